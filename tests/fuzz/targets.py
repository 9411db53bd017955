"""Fuzz targets: the SDK-facing parsers and the event normalization, one function each.

Each target takes arbitrary bytes and feeds them where a client's bytes go. Any input may be
refused, but only with the protocol's own errors (`IngestError` and its kinds, which become
a 4xx with a `{"detail": ...}`; `InvalidEvent`, which becomes an INVALID outcome). Anything
else escaping a target is a bug. The same targets run under atheris (tests/fuzz/run.py, with
the seed corpus in tests/fuzz/corpus/<target>/) and replay that corpus in the test suite.

No Django, no database: these are the pure parts (docs/architecture.md).
"""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Callable
from datetime import UTC, datetime

import brotli
import zstandard

import grouping
from ingest.digest import severity
from ingest.digest.normalize.event import InvalidEvent, normalize_event
from ingest.digest.normalize.meta import Notes
from ingest.protocol import storable
from ingest.protocol.auth import auth_from_request, resolve_auth
from ingest.protocol.encoding import decode_body
from ingest.protocol.envelope import parse_envelope
from ingest.protocol.errors import IngestError
from ingest.protocol.store_body import decode_store_body
from ingest.protocol.validate import parse_event

# The protocol's own ways of refusing input.
REFUSALS: tuple[type[Exception], ...] = (IngestError, InvalidEvent)

MAX = 64 * 1024  # small limits make the size checks reachable by small inputs
RECEIVED = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def envelope(data: bytes) -> None:
    """An envelope body, then each event item as the endpoint reads it."""
    parsed = parse_envelope(data, max_event_size=MAX, max_attachment_size=MAX,
                            max_attachments_size=2 * MAX, max_items=50)
    for item in parsed.items:
        if item.type in ("event", "transaction"):
            parse_event(item.payload, parsed.event_id)
    resolve_auth(None, parsed.headers.get("dsn"), project_id=1)


def _split(data: bytes) -> tuple[bytes, bytes]:
    """First byte: control; the rest: payload."""
    return data[:1], data[1:]


_ENCODINGS = ["", "gzip", "deflate", "br", "zstd", "gzip, br", "identity", "x-gzip",
              "deflate, zstd", "gzip, gzip", "compress"]


def decode(data: bytes) -> None:
    """A request body under every Content-Encoding, arriving in chunks of a size the input
    picks, with a declared Content-Length that may be wrong. Also the payload compressed
    for real, so the decoders' insides are reached, and the result must round-trip."""
    control, payload = _split(data)
    c = control[0] if control else 0
    encoding = _ENCODINGS[c % len(_ENCODINGS)]
    size = 1 + (c >> 4) * 97
    chunks = _chunked(payload, size)
    declared = len(payload) + ((c >> 2) & 3) - 1 if c & 2 else None
    with contextlib.suppress(REFUSALS):
        decode_body(iter(chunks), encoding, max_compressed=MAX, max_decompressed=MAX,
                    content_length=declared)
    for name, compress in _COMPRESSORS.items():
        packed = compress(payload)
        try:
            out = decode_body(iter(_chunked(packed, size)), name,
                              max_compressed=4 * MAX + 1024, max_decompressed=4 * MAX)
        except REFUSALS as e:
            raise AssertionError(f"{name}: a well-formed body was refused: {e!r}") from e
        assert out == payload, f"{name} did not round-trip"


def _chunked(body: bytes, size: int) -> list[bytes]:
    """The body as it might arrive: its start in pieces of `size`, then the rest at once
    (byte-sized pieces all the way would only make each run slow)."""
    head = body[:256]
    return [head[i:i + size] for i in range(0, len(head), size)] + [body[256:]]


_COMPRESSORS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": lambda b: brotli.compress(b, quality=4),  # the default, 11, is slow
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}


def store_body(data: bytes) -> None:
    """A store request body: JSON, or raven's base64 (and zlib)."""
    decode_store_body(data, max_size=MAX)


def auth(data: bytes) -> None:
    """X-Sentry-Auth, Authorization and the query string's sentry_* pairs, as text."""
    text = data.decode("utf-8", "replace")
    parts = text.split("\x00")
    headers = {}
    if parts:
        headers["x-sentry-auth"] = parts[0]
    if len(parts) > 1:
        headers["authorization"] = parts[1]
    query = {}
    for pair in parts[2:]:
        name, _, value = pair.partition("=")
        query[name] = value
    found = auth_from_request(headers, query, user_agent=None)
    resolve_auth(found, parts[-1] if len(parts) > 3 else None, project_id=1)


def normalize(data: bytes) -> None:
    """An event payload as the digest prepares it: parsed, made storable, normalized,
    grouped, given a severity."""
    try:
        event = parse_event(data, None)[0]
    except REFUSALS:
        return
    notes = Notes()
    if storable.may_contain(data):
        event = storable.clean(event, notes.changed)
    if storable.may_nest_too_deep(data):
        event = storable.limit_depth(event, notes.changed)
    event = normalize_event(event, received=RECEIVED, raw_size=len(data), notes=notes,
                            client_ip="127.0.0.1")
    result = grouping.compute(event)
    severity.severity(event, result.title)
    severity.handling(event)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "envelope": envelope,
    "decode": decode,
    "store_body": store_body,
    "auth": auth,
    "normalize": normalize,
}


def run(name: str, data: bytes) -> None:
    """One input through one target; a refusal is fine, anything else raises."""
    with contextlib.suppress(REFUSALS):
        TARGETS[name](data)
