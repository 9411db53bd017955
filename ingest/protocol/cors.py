"""CORS for browser SDKs and the per-project allowed origins (docs/protocol.md §11)."""

from __future__ import annotations

from urllib.parse import urlsplit

ALLOW_HEADERS = (
    "x-sentry-auth, x-requested-with, x-forwarded-for, origin, referer, accept, content-type, "
    "authentication, authorization, content-encoding, transfer-encoding"
)
EXPOSE_HEADERS = "x-sentry-error, x-sentry-rate-limits, retry-after"


def add_headers(headers: dict[str, str], request_headers, methods: str = "POST") -> None:
    """Add the CORS headers of an answer to `headers`, given the request's headers."""
    origin = request_headers.get("Origin")
    headers["Access-Control-Allow-Origin"] = origin or "*"
    headers["Access-Control-Allow-Methods"] = methods
    headers["Access-Control-Allow-Headers"] = ALLOW_HEADERS
    headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    headers["Access-Control-Max-Age"] = "3600"
    if origin:
        headers["Vary"] = "Origin"


def request_origin(headers) -> str | None:
    """The Origin header, or the origin part of the Referer; None for server-to-server."""
    origin = headers.get("Origin")
    if origin:
        return origin
    referer = headers.get("Referer")
    if referer:
        parts = urlsplit(referer)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return None


def origin_allowed(origin: str | None, patterns: tuple[str, ...]) -> bool:
    if origin is None or "*" in patterns:
        return True
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    if not host:
        return False  # "null" (file://, sandboxed frames) only passes a "*" pattern
    port = parts.port
    return any(_matches(pattern.lower(), parts.scheme, host, port) for pattern in patterns)


def _matches(pattern: str, scheme: str, host: str, port: int | None) -> bool:
    want_scheme = None
    if "://" in pattern:
        want_scheme, pattern = pattern.split("://", 1)
    pattern = pattern.rstrip("/")
    want_port = None
    if ":" in pattern:
        pattern, _, raw_port = pattern.rpartition(":")
        if raw_port != "*":
            if not raw_port.isdigit():
                return False
            want_port = int(raw_port)
    if want_scheme and want_scheme != scheme:
        return False
    if want_port is not None and want_port != port:
        return False
    if pattern.startswith("*."):
        base = pattern[2:]
        return host == base or host.endswith("." + base)
    return host == pattern
