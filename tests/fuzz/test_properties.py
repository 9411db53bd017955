"""Property tests (hypothesis) for the SDK-facing parsers and the event normalization.

Where the fuzz targets (tests/fuzz/targets.py) check "refused cleanly or accepted" on raw
bytes, these state what must hold for inputs built the way SDKs build them: an envelope framed
with lengths parses back to its items; every encoding round-trips whatever the chunking; a body
shorter than its Content-Length is refused; any JSON value normalizes to something storable.
"""

from __future__ import annotations

import base64
import gzip
import itertools
import json
import zlib

import brotli
import pytest
import zstandard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.protocol.auth import auth_from_request
from ingest.protocol.encoding import decode_body
from ingest.protocol.envelope import parse_envelope
from ingest.protocol.errors import BadRequest, IngestError
from ingest.protocol.store_body import decode_store_body
from tests.fuzz import targets
from tracker import fastjson

pytestmark = pytest.mark.fuzz
FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
MAX = 1024 * 1024

COMPRESS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "br": lambda b: brotli.compress(b, quality=4),
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
}

# JSON values as clients send them, lone surrogates, NULs and odd keys included.
text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | text,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(text, inner, max_size=5),
    max_leaves=40,
)
EVENT_KEYS = ["message", "exception", "tags", "user", "request", "extra", "contexts",
              "breadcrumbs", "fingerprint", "level", "platform", "timestamp", "release",
              "environment", "logentry", "threads", "stacktrace", "transaction", "event_id"]
events = st.dictionaries(st.sampled_from(EVENT_KEYS) | text, json_values, max_size=8)


def chunked(body: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(body) + 1) for c in cuts})
    edges = [0, *points, len(body)]
    return [body[a:b] for a, b in itertools.pairwise(edges)]


@FAST
@given(payload=st.binary(max_size=4096), encoding=st.sampled_from(sorted(COMPRESS)),
       cuts=st.lists(st.integers(0, 10**6), max_size=20))
def test_every_encoding_round_trips_whatever_the_chunking(payload, encoding, cuts):
    packed = COMPRESS[encoding](payload)
    decoded = decode_body(iter(chunked(packed, cuts)), encoding, max_compressed=MAX,
                          max_decompressed=MAX, content_length=len(packed))
    assert decoded == payload


@FAST
@given(payload=st.binary(min_size=1, max_size=2048), missing=st.integers(1, 100),
       encoding=st.sampled_from(["", *sorted(COMPRESS)]))
def test_a_body_shorter_than_its_content_length_is_refused(payload, missing, encoding):
    packed = COMPRESS[encoding](payload) if encoding else payload
    with pytest.raises(BadRequest):
        decode_body(iter([packed]), encoding or None, max_compressed=MAX,
                    max_decompressed=MAX, content_length=len(packed) + missing)


@FAST
@given(garbage=st.binary(max_size=2048), encoding=st.sampled_from(sorted(COMPRESS)))
def test_corrupt_compressed_bodies_are_refused_not_crashed(garbage, encoding):
    try:
        decode_body(iter([garbage]), encoding, max_compressed=MAX, max_decompressed=MAX)
    except IngestError as e:
        assert e.status in (400, 413)


@FAST
@given(items=st.lists(st.tuples(
    st.sampled_from(["event", "attachment", "session", "client_report", "user_report",
                     "transaction", "unknown_type"]),
    st.binary(max_size=300)), max_size=6), explicit_length=st.booleans())
def test_an_envelope_framed_with_lengths_parses_back_to_its_items(items, explicit_length):
    lines = [b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}']
    for kind, payload in items:
        header = {"type": kind, "length": len(payload)}
        lines += [json.dumps(header).encode(), payload]
    body = b"\n".join(lines) + b"\n"
    try:
        envelope = parse_envelope(body, max_event_size=MAX, max_attachment_size=MAX,
                                  max_attachments_size=MAX)
    except IngestError as e:
        # The only refusal for well-framed items: more than one event-like item.
        assert sum(k in ("event", "transaction") for k, _ in items) > 1, e
        return
    assert [(i.type, i.payload) for i in envelope.items] == list(items)


@FAST
@given(data=st.binary(max_size=4096))
def test_arbitrary_envelope_bytes_are_refused_cleanly(data):
    targets.run("envelope", data)


@FAST
@given(event=events)
def test_store_bodies_in_every_framing_decode_to_the_event(event):
    raw = json.dumps(event).encode()
    for body in (raw, base64.b64encode(zlib.compress(raw)), base64.b64encode(raw),
                 b"  " + raw + b"\n"):
        try:
            assert decode_store_body(body, max_size=MAX) == json.loads(raw)
        except IngestError as e:
            assert e.status in (400, 413)


@FAST
@given(data=st.binary(max_size=2048))
def test_arbitrary_store_bodies_are_refused_cleanly(data):
    targets.run("store_body", data)


@FAST
@given(key=st.text("0123456789abcdef", min_size=32, max_size=32),
       version=st.integers(1, 7), client=st.text(max_size=50).filter(lambda s: "," not in s),
       noise=st.dictionaries(st.text("abcdefghij_", min_size=1, max_size=10),
                             st.text(max_size=10).filter(lambda s: "," not in s), max_size=3))
def test_a_well_formed_auth_header_names_its_key(key, version, client, noise):
    pairs = {**noise, "sentry_key": key, "sentry_version": str(version),
             "sentry_client": client}
    header = "Sentry " + ", ".join(f"{k}={v}" for k, v in pairs.items())
    auth = auth_from_request({"x-sentry-auth": header}, {})
    assert auth is not None and auth.public_key == key and auth.version == version


@FAST
@given(header=st.text(max_size=200), authorization=st.text(max_size=200),
       query=st.dictionaries(st.sampled_from(["sentry_key", "sentry_version", "sentry_client",
                                              "sentry_data", "other"]),
                             st.text(max_size=40), max_size=3))
def test_any_auth_is_accepted_or_refused_with_400_or_401(header, authorization, query):
    try:
        auth_from_request({"x-sentry-auth": header, "authorization": authorization}, query)
    except IngestError as e:
        assert e.status in (400, 401)


@FAST
@given(event=events)
def test_any_event_normalizes_to_something_storable(event):
    """Whatever JSON an SDK sends, the digest stores it: normalized, grouped and encodable as
    JSON (lone surrogates and NULs made storable, not fatal)."""
    raw = json.dumps(event).encode()
    targets.run("normalize", raw)
    # And what normalization produced can be written to the database's JSON column.
    from ingest.digest.normalize.event import InvalidEvent, normalize_event
    from ingest.digest.normalize.meta import Notes
    from ingest.protocol import storable
    data = json.loads(raw)
    notes = Notes()
    if storable.may_contain(raw):
        data = storable.clean(data, notes.changed)
    if storable.may_nest_too_deep(raw):
        data = storable.limit_depth(data, notes.changed)
    if not isinstance(data, dict):
        return
    try:
        normalized = normalize_event(data, received=targets.RECEIVED, notes=notes)
    except InvalidEvent:
        return
    fastjson.dumps(normalized)


@settings(max_examples=30, deadline=None)
@given(depth=st.integers(100, 3000), nul=st.booleans())
def test_deeply_nested_events_do_not_exhaust_the_stack(depth, nul):
    leaf = '"\\u0000"' if nul else "1"
    raw = ('{"extra": {"deep": ' + "[" * depth + leaf + "]" * depth + "}}").encode()
    targets.run("normalize", raw)
