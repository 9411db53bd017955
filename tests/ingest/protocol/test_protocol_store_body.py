import base64
import gzip
import zlib

import pytest

from ingest.protocol.errors import IngestError
from ingest.protocol.store_body import decode_sentry_data, decode_store_body, loads_event

MiB = 1024 * 1024
EVENT = b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","message":"hello","extra":{"n":1}}'
EXPECTED = {"event_id": "9ec79c33ec9942ab8353589fcb2e04dc", "message": "hello", "extra": {"n": 1}}


def b64(data: bytes) -> bytes:
    return base64.b64encode(data)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(EVENT, id="json"),
        pytest.param(b" \r\n\t" + EVENT + b"\n", id="json-with-whitespace"),
        pytest.param(b64(zlib.compress(EVENT)), id="raven-base64-zlib"),
        pytest.param(b64(EVENT), id="base64-json"),
        pytest.param(b64(gzip.compress(EVENT)), id="base64-gzip"),
        pytest.param(base64.urlsafe_b64encode(zlib.compress(EVENT)), id="urlsafe-base64"),
        pytest.param(b64(zlib.compress(EVENT)).rstrip(b"="), id="unpadded-base64"),
        pytest.param(base64.encodebytes(zlib.compress(EVENT)), id="base64-with-line-breaks"),
    ],
)
def test_store_body_encodings(body):
    assert decode_store_body(body, max_size=MiB) == EXPECTED


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"a": NaN}', {"a": None}),
        (b'{"a": [Infinity, -Infinity, 1.5]}', {"a": [None, None, 1.5]}),
        (b'{"a": "NaN Infinity"}', {"a": "NaN Infinity"}),
        (b'{"extra": {"x": -Infinity}, "b": 1e3}', {"extra": {"x": None}, "b": 1000.0}),
    ],
)
def test_non_finite_tokens_become_null(body, expected):
    assert decode_store_body(body, max_size=MiB) == expected


def test_non_finite_tokens_inside_raven_encoding():
    assert decode_store_body(b64(zlib.compress(b'{"a":NaN}')), max_size=MiB) == {"a": None}


@pytest.mark.parametrize(
    ("body", "status", "reason"),
    [
        pytest.param(b"", 400, "empty_body", id="empty"),
        pytest.param(b"  \n", 400, "empty_body", id="blank"),
        pytest.param(b'{"a":', 400, "invalid_json", id="truncated-json"),
        pytest.param(b"{" * 10 + b"}", 400, "invalid_json", id="bad-json"),
        pytest.param(b"[" * 100_000, 400, "payload", id="deep-nesting-not-base64"),
        pytest.param(b"{" + b'"a":[' * 100_000, 400, "invalid_json", id="deep-nesting"),
        pytest.param(b64(b"[1, 2]"), 400, "invalid_compression", id="base64-array-is-not-zlib"),
        pytest.param(b64(zlib.compress(b"[1, 2]")), 400, "invalid_json", id="zlib-array"),
        pytest.param(b64(zlib.compress(b'"x"')), 400, "invalid_json", id="zlib-string"),
        pytest.param(b"not base64 at all!", 400, "payload", id="not-base64"),
        pytest.param(b64(b"\x00\x01garbage"), 400, "invalid_compression", id="not-zlib"),
        pytest.param(
            b64(zlib.compress(EVENT)[:-6]), 400, "invalid_compression", id="truncated-zlib"
        ),
        pytest.param(b'{"a": "\xff"}', 400, "invalid_json", id="invalid-utf8"),
    ],
)
def test_store_body_errors(body, status, reason):
    with pytest.raises(IngestError) as caught:
        decode_store_body(body, max_size=MiB)
    assert (caught.value.status, caught.value.outcome_reason) == (status, reason)


def test_store_body_size_limit():
    body = b'{"a":"' + b"x" * 100 + b'"}'
    assert decode_store_body(body, max_size=len(body)) == {"a": "x" * 100}
    with pytest.raises(IngestError) as caught:
        decode_store_body(body, max_size=len(body) - 1)
    assert (caught.value.status, caught.value.outcome_reason) == (413, "too_large:event")


def test_zlib_bomb_in_store_body_is_413():
    bomb = b64(zlib.compress(b'{"a":"' + bytes(50 * MiB) + b'"}', 9))
    assert len(bomb) < MiB
    with pytest.raises(IngestError) as caught:
        decode_store_body(bomb, max_size=MiB)
    assert (caught.value.status, caught.value.outcome_reason) == (413, "too_large:event")


@pytest.mark.parametrize(
    "value",
    [
        EVENT.decode(),
        b64(zlib.compress(EVENT)).decode(),
    ],
)
def test_sentry_data_query_parameter(value):
    assert decode_sentry_data(value, max_size=MiB) == EXPECTED


def test_sentry_data_must_be_an_object():
    with pytest.raises(IngestError) as caught:
        decode_sentry_data("[]", max_size=MiB)
    assert caught.value.status == 400


def test_loads_event_accepts_str():
    assert loads_event('{"a": NaN}') == {"a": None}
