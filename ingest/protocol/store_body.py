"""The legacy store endpoint's body: one event as JSON, in the encodings old SDKs used
(docs/protocol.md §3.3)."""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from ingest.protocol.errors import BadRequest, PayloadTooLarge, too_large

# Detects a zlib or a gzip header (RFC 1950/1952); raven wrote zlib.
_ZLIB_OR_GZIP = 32 + zlib.MAX_WBITS
_WHITESPACE = b" \t\r\n"
_URLSAFE_TO_STANDARD = bytes.maketrans(b"-_", b"+/")


def decode_store_body(body: bytes, *, max_size: int) -> dict[str, Any]:
    """The event of a store request (already stripped of HTTP content encoding).

    A body not starting with `{` is raven's base64 (then usually zlib). `max_size` bounds
    the body and what zlib inflates it to.
    """
    if len(body) > max_size:
        raise _too_large(max_size)
    data = body.strip(_WHITESPACE)
    if not data:
        raise BadRequest("empty store body", outcome_reason="empty_body")
    if not data.startswith(b"{"):
        data = _unbase64(data)
        if not data.startswith(b"{"):
            data = _inflate(data, max_size)
    return loads_event(data)


def decode_sentry_data(value: str, *, max_size: int) -> dict[str, Any]:
    """The event in the `sentry_data` query parameter of a GET store request (raven-js)."""
    return decode_store_body(value.encode("utf-8", "surrogatepass"), max_size=max_size)


def loads_event(data: bytes | str) -> dict[str, Any]:
    """Parse event JSON, reading the non-standard `NaN`/`Infinity` tokens as null."""
    try:
        value = json.loads(data, parse_constant=_non_finite_to_none)
    except (ValueError, RecursionError) as exc:
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise BadRequest(f"invalid event JSON: {why}", outcome_reason="invalid_json") from None
    if not isinstance(value, dict):
        raise BadRequest("event payload is not a JSON object", outcome_reason="invalid_json")
    return value


def _non_finite_to_none(_token: str) -> None:
    # Old raven-python and sentry-python wrote float('nan') as a bare NaN token; null is the
    # closest valid value and what Relay produces.
    return None


def _unbase64(data: bytes) -> bytes:
    # Tolerate line breaks, missing padding and the URL-safe alphabet: all harmless.
    compact = b"".join(data.split()).translate(_URLSAFE_TO_STANDARD)
    compact += b"=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(
            "store body is neither JSON nor base64", outcome_reason="payload"
        ) from None


def _inflate(data: bytes, max_size: int) -> bytes:
    decompressor = zlib.decompressobj(_ZLIB_OR_GZIP)
    try:
        out = decompressor.decompress(data, max_size + 1)
    except zlib.error as exc:
        raise BadRequest(
            f"failed to read store body: invalid zlib data ({exc})",
            outcome_reason="invalid_compression",
        ) from None
    if len(out) > max_size:
        raise _too_large(max_size)
    if not decompressor.eof:
        raise BadRequest(
            "failed to read store body: truncated zlib data",
            outcome_reason="invalid_compression",
        )
    return out


def _too_large(max_size: int) -> PayloadTooLarge:
    return too_large(f"event is larger than {max_size} bytes", "too_large:event")
