"""Event normalization: the first step of the save pipeline (docs/pipeline.md §3).

Pure: no Django, no database, no I/O. Turns whatever an SDK sent into the shape the rest of
the pipeline (grouping, save) relies on. Invalid fields are removed and recorded in
`event["errors"]`; the event is only rejected when nothing is left to show (`InvalidEvent`).

Representation choices:
- timestamps (`timestamp`, `start_timestamp`, `received`, breadcrumbs, spans) are floats of
  Unix epoch seconds, UTC, as in Sentry's stored events;
- tags are a list of `[key, value]` string pairs;
- the message lives in `logentry` (`formatted` always set); there is no top-level `message`;
- `exception`, `threads` and `breadcrumbs` use the `{"values": [...]}` form;
- `errors` and `_meta` are only present when non-empty.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from ingest.digest.normalize.databag import CONTEXTS, EXTRA, REQUEST_DATA, limit_databag
from ingest.digest.normalize.message import normalize_logentry
from ingest.digest.normalize.meta import Notes
from ingest.digest.normalize.size import enforce_size_cap
from ingest.digest.normalize.stack import (
    normalize_exception,
    normalize_threads,
    normalize_top_stacktrace,
)
from ingest.digest.normalize.tags import normalize_release_fields, normalize_tags
from ingest.digest.normalize.time import normalize_breadcrumbs, normalize_timestamps

DEFAULT_MAX_JSON_BYTES = 1_048_576
MAX_LOGGER_CHARS = 64
MAX_CULPRIT_CHARS = 200
MAX_TRANSACTION_CHARS = 200
MAX_EMAIL_CHARS = 75

VALID_PLATFORMS = frozenset({
    "as3", "c", "cfml", "cocoa", "csharp", "dart", "elixir", "go", "groovy", "haskell", "java",
    "javascript", "native", "node", "objc", "other", "perl", "php", "python", "ruby",
})
_LEVELS = {
    "fatal": "fatal", "error": "error", "warning": "warning", "info": "info", "debug": "debug",
    "critical": "fatal", "warn": "warning", "log": "info",
}
# Platforms whose SDKs run on end-user devices and rely on the server to record the IP.
AUTO_IP_PLATFORMS = frozenset({"javascript", "cocoa", "objc"})
AUTO_IP = "{{auto}}"

_SECURITY_REPORT_TYPES = ("csp", "hpkp", "expectct", "expectstaple", "nel")
_KNOWN_KEYS = frozenset({
    "event_id", "level", "version", "type", "fingerprint", "culprit", "transaction",
    "transaction_info", "time_spent", "logentry", "message", "logger", "modules", "platform",
    "timestamp", "start_timestamp", "server_name", "release", "dist", "environment", "site",
    "user", "request", "contexts", "breadcrumbs", "exception", "stacktrace", "template",
    "threads", "tags", "extra", "debug_meta", "sdk", "checksum", "spans", "measurements",
    "breakdowns", "scraping_attempts", *_SECURITY_REPORT_TYPES,
})
# Written by us (here or later in the pipeline); an SDK-sent value is not trusted.
_SERVER_KEYS = frozenset({
    "received", "errors", "_meta", "_metrics", "hashes", "grouping_config", "key_id",
    "project", "metadata", "title", "location", "_fingerprint_info",
})
_LEGACY_ALIASES = {
    "sentry.interfaces.Exception": "exception",
    "sentry.interfaces.Message": "logentry",
    "sentry.interfaces.Stacktrace": "stacktrace",
    "sentry.interfaces.Template": "template",
    "sentry.interfaces.User": "user",
    "sentry.interfaces.Http": "request",
    "sentry.interfaces.Csp": "csp",
    "sentry.interfaces.Breadcrumbs": "breadcrumbs",
    "sentry.interfaces.Threads": "threads",
    "sentry.interfaces.Contexts": "contexts",
    "sentry.interfaces.DebugMeta": "debug_meta",
}
_HEX_UUID = re.compile(r"[0-9a-f]{32}")


class InvalidEvent(Exception):
    """The payload cannot become an event (nothing to show). Maps to an INVALID outcome."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def normalize_event(
    data: dict[str, Any],
    *,
    received: datetime,
    envelope_event_id: str | None = None,
    sent_at: datetime | None = None,
    client_ip: str | None = None,
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES,
    raw_size: int | None = None,
    notes: Notes | None = None,
) -> dict[str, Any]:
    """Normalize a JSON-decoded event payload and return it.

    `data` is modified in place and returned (no copy: this runs for every event). `received`
    and `sent_at` (the envelope header) should be aware datetimes; naive ones are taken as UTC.
    `raw_size` is the byte size of the JSON `data` was parsed from; when given, the final
    serialization that measures the event is skipped if the size is clearly under
    `max_json_bytes`. Raises `InvalidEvent` when an `exception` was sent but none of its values
    has a type or value and there is no message either. `notes` may hold annotations made
    before normalizing (when the payload's strings were made storable).
    """
    if not isinstance(data, dict):
        raise InvalidEvent("invalid_payload", "the event payload must be a JSON object")
    event = data
    notes = notes if notes is not None else Notes()
    _remove_foreign_keys(event, notes)
    is_transaction = event.get("type") == "transaction"
    event["event_id"] = _event_id(event.get("event_id"), envelope_event_id, notes)
    event["platform"] = _platform(event.get("platform"), notes)
    event["level"] = _level(event.get("level"), "info" if is_transaction else "error", notes)
    event["logger"] = _logger(event.get("logger"), notes)
    received = _utc(received)
    drift = normalize_timestamps(event, received, _utc(sent_at) if sent_at else None, notes)

    sent_exception = event.get("exception") is not None
    normalize_exception(event, notes)
    normalize_threads(event, notes)
    normalize_top_stacktrace(event, notes)
    normalize_logentry(event, notes)
    if sent_exception and "exception" not in event and "logentry" not in event:
        raise InvalidEvent(
            "no_event_payload", "no exception has a type or value, and there is no message"
        )
    event["type"] = _event_type(event, is_transaction)

    _normalize_short_texts(event, notes)
    normalize_tags(event, notes)
    normalize_release_fields(event, notes)
    _normalize_user(event, client_ip, notes)
    _normalize_request(event, client_ip, notes)
    _normalize_databags(event, notes)
    normalize_breadcrumbs(event, drift, notes)
    _normalize_fingerprint(event, notes)
    enforce_size_cap(event, notes, max_json_bytes, raw_size)
    notes.finish(event)
    return event


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _remove_foreign_keys(event: dict[str, Any], notes: Notes) -> None:
    """Resolve legacy interface names, drop server-owned keys and unknown attributes."""
    for key in [key for key in event if key not in _KNOWN_KEYS]:
        value = event.pop(key)
        if key in _SERVER_KEYS:
            continue
        canonical = _LEGACY_ALIASES.get(key)
        if canonical is not None:
            if event.get(canonical) is None:
                event[canonical] = value
        else:
            notes.error("invalid_attribute", key, None)


def _event_id(payload_id: Any, envelope_id: str | None, notes: Notes) -> str:
    """The envelope's id wins; a payload id is normalized to 32 lowercase hex characters."""
    if envelope_id is not None:
        parsed = _uuid_hex(envelope_id)
        if parsed is not None:
            return parsed
    if payload_id is not None:
        parsed = _uuid_hex(payload_id)
        if parsed is not None:
            return parsed
        notes.error("invalid_data", "event_id", payload_id)
    return uuid.uuid4().hex


def _uuid_hex(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    if _HEX_UUID.fullmatch(value):
        return value
    try:
        return uuid.UUID(value.strip()).hex
    except ValueError:
        return None


def _platform(value: Any, notes: Notes) -> str:
    if value is None:
        return "other"
    if isinstance(value, str):
        platform = value.strip().lower()
        if platform in VALID_PLATFORMS:
            return platform
    notes.error("invalid_data", "platform", value)
    return "other"


def _level(value: Any, default: str, notes: Notes) -> str:
    """A level name, an alias, or a Python `logging` number (also as a string)."""
    if value is None:
        return default
    if isinstance(value, str):
        name = value.strip().lower()
        if name in _LEVELS:
            return _LEVELS[name]
        if name.isdigit():
            value = int(name)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return _logging_level(value)
    notes.error("invalid_data", "level", value)
    return default


def _logging_level(number: int) -> str:
    # Python logging: NOTSET 0, DEBUG 10, INFO 20, WARNING 30, ERROR 40, CRITICAL 50; custom
    # levels in between round down, as `logging` itself orders them.
    if number < 20:
        return "debug"
    if number < 30:
        return "info"
    if number < 40:
        return "warning"
    if number < 50:
        return "error"
    return "fatal"


def _logger(value: Any, notes: Notes) -> str:
    """At most 64 characters; long dotted names lose whole parts from the left, then `*`."""
    if value is None:
        return ""
    if not isinstance(value, str):
        notes.error("invalid_data", "logger", value)
        return ""
    name = value.strip()
    if len(name) <= MAX_LOGGER_CHARS:
        return name
    notes.original_length(("logger",), len(name))
    tail = name[-(MAX_LOGGER_CHARS - 1) :]
    dot = tail.find(".")
    if 0 < dot < len(tail) - 1:
        tail = tail[dot:]
    return "*" + tail


def _event_type(event: dict[str, Any], is_transaction: bool) -> str:
    if is_transaction:
        return "transaction"
    if event.get("exception"):
        return "error"
    for key in _SECURITY_REPORT_TYPES:
        if event.get(key):
            return key
    return "default"


def _normalize_short_texts(event: dict[str, Any], notes: Notes) -> None:
    """`culprit` and `transaction` are cut to 200; `server_name`/`site` must be strings.

    A missing culprit is left missing: grouping computes it from the stack trace.
    """
    limits = (("culprit", MAX_CULPRIT_CHARS), ("transaction", MAX_TRANSACTION_CHARS),
              ("server_name", None), ("site", None))
    for key, limit in limits:
        value = event.get(key)
        if value is None:
            event.pop(key, None)
        elif not isinstance(value, str):
            notes.error("invalid_data", key, event.pop(key))
        elif not (value := value.strip()):
            del event[key]
        else:
            event[key] = notes.trim(value, limit, (key,)) if limit else value


def _normalize_user(event: dict[str, Any], client_ip: str | None, notes: Notes) -> None:
    """Resolve `{{auto}}` and infer the IP where SDKs expect it; validate it; cut the email."""
    user = event.get("user")
    if user is not None and not isinstance(user, dict):
        notes.error("invalid_data", "user", event.pop("user"))
        user = None
    ip = user.get("ip_address") if user else None
    if ip == AUTO_IP or (ip is None and _infers_ip(event)):
        ip = client_ip
        if ip is not None:
            user = event.setdefault("user", user if user is not None else {})
            user["ip_address"] = ip
        elif user:
            user.pop("ip_address", None)
    if not user:
        event.pop("user", None)
        return
    if ip is not None and not _is_ip(ip):
        notes.error("invalid_data", "user.ip_address", user.pop("ip_address"))
    for key in ("id", "username"):
        value = user.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            user[key] = str(value)
    email = user.get("email")
    if isinstance(email, str):
        user["email"] = notes.trim(email, MAX_EMAIL_CHARS, ("user", "email"))


def _infers_ip(event: dict[str, Any]) -> bool:
    """SDKs on end-user devices don't know the public IP; `sdk.settings.infer_ip` overrides."""
    sdk = event.get("sdk")
    settings = sdk.get("settings") if isinstance(sdk, dict) else None
    setting = settings.get("infer_ip") if isinstance(settings, dict) else None
    if setting == "never":
        return False
    return setting == "auto" or event["platform"] in AUTO_IP_PLATFORMS


def _is_ip(value: Any) -> bool:
    # The length check keeps arbitrary long strings out of the cache (IPv6 text is <= 45).
    return isinstance(value, str) and len(value) <= 64 and _parses_as_ip(value)


@functools.lru_cache(maxsize=4096)
def _parses_as_ip(value: str) -> bool:
    # Cached: parsing costs microseconds and the same addresses keep coming back.
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _normalize_request(event: dict[str, Any], client_ip: str | None, notes: Notes) -> None:
    request = event.get("request")
    if request is None:
        event.pop("request", None)
        return
    if not isinstance(request, dict):
        notes.error("invalid_data", "request", event.pop("request"))
        return
    if request.get("data") is not None:
        request["data"] = limit_databag(request["data"], REQUEST_DATA, ("request", "data"), notes)
    env = request.get("env")
    if isinstance(env, dict) and env.get("REMOTE_ADDR") == AUTO_IP:
        if client_ip is None:
            del env["REMOTE_ADDR"]
        else:
            env["REMOTE_ADDR"] = client_ip


def _normalize_databags(event: dict[str, Any], notes: Notes) -> None:
    """`extra` and `contexts` must be objects (each context too) and stay within limits."""
    contexts = event.get("contexts")
    if isinstance(contexts, dict) and not all(type(c) is dict for c in contexts.values()):
        for name in [name for name, ctx in contexts.items() if not isinstance(ctx, dict)]:
            notes.error("invalid_data", f"contexts.{name}", contexts.pop(name))
    for key, limit in (("extra", EXTRA), ("contexts", CONTEXTS)):
        value = event.get(key)
        if value is None:
            event.pop(key, None)
        elif not isinstance(value, dict):
            notes.error("invalid_data", key, event.pop(key))
        elif value:
            event[key] = limit_databag(value, limit, (key,), notes)
        else:
            del event[key]


def _normalize_fingerprint(event: dict[str, Any], notes: Notes) -> None:
    """A list of strings; numbers and booleans are stringified, other entries dropped."""
    fingerprint = event.get("fingerprint")
    if fingerprint is None:
        event.pop("fingerprint", None)
        return
    if not isinstance(fingerprint, list):
        notes.error("invalid_data", "fingerprint", event.pop("fingerprint"))
        return
    parts = []
    for part in fingerprint:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, bool):
            parts.append("true" if part else "false")
        elif isinstance(part, int | float):
            parts.append(str(part))
        elif part is not None:
            notes.error("invalid_data", "fingerprint", part)
    if parts:
        event["fingerprint"] = parts
    else:
        del event["fingerprint"]
