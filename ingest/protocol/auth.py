"""Who is sending: the public key, protocol version and SDK name of an ingest request.

Implements docs/protocol.md §1 and §2. Sources 1-5 come from the HTTP request
(`auth_from_request`); source 6, the envelope header `dsn`, is merged in by `resolve_auth`.
"""

from __future__ import annotations

import base64
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ingest.protocol.errors import BadRequest, IngestError, Unauthorized, invalid_envelope

PROTOCOL_VERSION = 7
DEFAULT_SCHEMES = ("http", "https")

_SENTRY_PREFIX = re.compile(r"\s*sentry\s+", re.IGNORECASE)
_BASIC_PREFIX = re.compile(r"\s*basic\s+", re.IGNORECASE)
_VERSION = re.compile(r"[0-9]+")
_PUBLIC_KEY = re.compile(r"[0-9a-fA-F]{32}")
_MAX_CLIENT_LENGTH = 200

BAD_AUTH = "bad x-sentry-auth header"
BAD_PUBLIC_KEY = "bad sentry DSN public key"
BAD_ENVELOPE_AUTH = "bad envelope authentication header"
MULTIPLE_AUTH = "multiple authorization payloads detected"
MISSING_AUTH = "missing authorization information"


@dataclass(frozen=True, slots=True)
class AuthInfo:
    public_key: str  # 32 lowercase hex characters, flags stripped
    version: int
    client: str | None


@dataclass(frozen=True, slots=True)
class Dsn:
    scheme: str
    public_key: str
    secret_key: str | None
    host: str
    port: int | None
    path_prefix: str  # "" or "/sentry" style, without a trailing slash
    project_id: int


class InvalidDsn(ValueError):
    pass


def missing_auth_error() -> Unauthorized:
    return Unauthorized(MISSING_AUTH)


def auth_from_request(
    headers: Mapping[str, str],
    query: Mapping[str, str],
    *,
    user_agent: str | None = None,
    path_key: str | None = None,
) -> AuthInfo | None:
    """Credentials from sources 1-5, or None when the request carries none.

    `user_agent` defaults to the `User-Agent` header; it stands in for a missing
    `sentry_client`. `path_key` is the key segment of endpoints like unreal.
    """
    if user_agent is None:
        user_agent = _header(headers, "user-agent")
    found: list[dict[str, str]] = []

    x_sentry_auth = _header(headers, "x-sentry-auth")
    authorization = _header(headers, "authorization")
    if (x_sentry_auth is not None and authorization is None and path_key is None
            and not any(name.startswith("sentry_") for name in query)):
        # What the SDKs send, and the same few values over and over: parsed once.
        return _from_sentry_header(x_sentry_auth, user_agent) if x_sentry_auth.strip() else None

    if x_sentry_auth is not None and x_sentry_auth.strip():
        found.append(_parse_sentry_header(x_sentry_auth))

    if authorization is not None:
        if _SENTRY_PREFIX.match(authorization):
            found.append(_parse_sentry_header(authorization))
        elif _BASIC_PREFIX.match(authorization):
            found.append(_parse_basic(authorization))
        # Other schemes (Bearer from a proxy in front of us) are not ours to judge.

    # `sentry_data` is the legacy GET store payload, not a credential.
    if any(name.startswith("sentry_") and name != "sentry_data" for name in query):
        found.append({k: v for k, v in query.items() if k.startswith("sentry_")})

    if path_key is not None:
        found.append({"sentry_key": path_key})

    if not found:
        return None
    if len(found) > 1:
        raise Unauthorized(MULTIPLE_AUTH)
    return _auth_from_pairs(found[0], user_agent)


def parse_dsn(dsn: str) -> Dsn:
    """Split a DSN into its parts (docs/protocol.md §1); raises InvalidDsn."""
    try:
        parts = urlsplit(dsn.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidDsn(f"not a URL: {exc}") from None
    if parts.scheme not in DEFAULT_SCHEMES:
        raise InvalidDsn("scheme must be http or https")
    if not parts.hostname:
        raise InvalidDsn("missing host")
    if not parts.username:
        raise InvalidDsn("missing public key")
    public_key = _normalize_public_key(unquote(parts.username))
    if public_key is None:
        raise InvalidDsn("public key is not 32 hex characters")
    prefix, _, project = parts.path.rstrip("/").rpartition("/")
    # Project ids are bigints; the length cap also keeps int() away from huge digit strings.
    if not project.isascii() or not project.isdigit() or len(project) > 18:
        raise InvalidDsn("the last path segment must be the numeric project id")
    return Dsn(
        scheme=parts.scheme,
        public_key=public_key,
        secret_key=unquote(parts.password) if parts.password else None,
        host=parts.hostname,
        port=port,
        path_prefix=prefix,
        project_id=int(project),
    )


def auth_from_dsn(dsn: str) -> AuthInfo:
    """Credentials from the envelope header `dsn` (source 6)."""
    try:
        parsed = parse_dsn(dsn)
    except InvalidDsn:
        raise Unauthorized(BAD_ENVELOPE_AUTH) from None
    return AuthInfo(public_key=parsed.public_key, version=PROTOCOL_VERSION, client=None)


def resolve_auth(
    request_auth: AuthInfo | None, envelope_dsn: object, *, project_id: int | None = None
) -> AuthInfo:
    """Combine request credentials with the envelope header `dsn` (any JSON value or None).

    The DSN is used only when the request has no credentials; when both exist they must name
    the same key (and, if `project_id` is given, the same project) or the envelope is refused.
    """
    if envelope_dsn is None:
        if request_auth is None:
            raise missing_auth_error()
        return request_auth
    if not isinstance(envelope_dsn, str):
        if request_auth is None:
            raise Unauthorized(BAD_ENVELOPE_AUTH)
        raise invalid_envelope("header dsn is not a string")
    try:
        dsn = parse_dsn(envelope_dsn)
    except InvalidDsn as exc:
        if request_auth is None:
            raise Unauthorized(BAD_ENVELOPE_AUTH) from None
        raise invalid_envelope(f"header dsn is invalid: {exc}") from None
    if project_id is not None and dsn.project_id != project_id:
        raise invalid_envelope("project id header mismatch between envelope and request")
    if request_auth is None:
        return AuthInfo(public_key=dsn.public_key, version=PROTOCOL_VERSION, client=None)
    if dsn.public_key != request_auth.public_key:
        raise invalid_envelope("public key header mismatch between envelope and request")
    return request_auth


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # `headers` ignores case: Django's request.headers, or ingest.endpoint.Headers.
    return headers.get(name)


@functools.lru_cache(maxsize=256)
def _from_sentry_header(value: str, user_agent: str | None) -> AuthInfo:
    # AuthInfo is frozen, so one instance may serve many requests; errors are not cached.
    return _auth_from_pairs(_parse_sentry_header(value), user_agent)


def _parse_sentry_header(value: str) -> dict[str, str]:
    match = _SENTRY_PREFIX.match(value)
    if match is None:
        raise Unauthorized(BAD_AUTH)
    pairs: dict[str, str] = {}
    for piece in value[match.end() :].split(","):
        key, _, val = piece.partition("=")
        key = key.strip()
        if key:
            pairs[key] = val.strip()
    return pairs


def _parse_basic(value: str) -> dict[str, str]:
    match = _BASIC_PREFIX.match(value)
    assert match is not None  # the caller checked the scheme
    try:
        decoded = base64.b64decode(value[match.end() :].strip(), validate=True).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), not ASCII, not UTF-8 once decoded
        raise Unauthorized(BAD_AUTH) from None
    # Basic auth is `user:password`; the public key is the user, any secret is ignored.
    public_key, _, _ = decoded.partition(":")
    return {"sentry_key": public_key}


def _auth_from_pairs(pairs: Mapping[str, str], user_agent: str | None) -> AuthInfo:
    raw_key = pairs.get("sentry_key", "").strip()
    if not raw_key:
        raise Unauthorized(BAD_AUTH)
    public_key = _normalize_public_key(raw_key)
    if public_key is None:
        raise BadRequest(BAD_PUBLIC_KEY)
    version = _parse_version(pairs.get("sentry_version"))
    client = (pairs.get("sentry_client") or "").strip() or (user_agent or "").strip() or None
    if client is not None:
        client = client[:_MAX_CLIENT_LENGTH]
    return AuthInfo(public_key=public_key, version=version, client=client)


def _normalize_public_key(raw: str) -> str | None:
    # Relay lets a key carry internal flags after a colon (`<key>:no-cache`): ignore them.
    key = raw.partition(":")[0].strip()
    return key.lower() if _PUBLIC_KEY.fullmatch(key) else None


def _parse_version(raw: str | None) -> int:
    if raw is None:
        return PROTOCOL_VERSION
    # `7` and `7.0` both mean 7: only the part before the first dot counts.
    major = raw.strip().partition(".")[0]
    if not _VERSION.fullmatch(major):
        raise Unauthorized(BAD_AUTH)
    major = major.lstrip("0") or "0"
    if len(major) > 1 or int(major) > PROTOCOL_VERSION:
        raise IngestError(
            f"unsupported protocol version ({major[:10]})",
            status=400,
            outcome_reason="auth_version",
        )
    return int(major)
