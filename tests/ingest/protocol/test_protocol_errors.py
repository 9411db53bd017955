import pytest

from ingest.protocol.errors import (
    BadRequest,
    IngestError,
    PayloadTooLarge,
    Unauthorized,
    clip,
    invalid_envelope,
    too_large,
)


@pytest.mark.parametrize(
    ("error", "status", "reason"),
    [
        (BadRequest("x"), 400, None),
        (Unauthorized("x"), 401, None),
        (PayloadTooLarge("x", outcome_reason="too_large:event"), 413, "too_large:event"),
        (IngestError("x", status=503), 503, None),
        (invalid_envelope("x"), 400, "invalid_envelope"),
        (too_large("x", "too_large:attachment"), 413, "too_large:attachment"),
    ],
)
def test_status_and_reason(error, status, reason):
    assert (error.status, error.outcome_reason) == (status, reason)
    assert isinstance(error, IngestError)


def test_detail_and_json():
    error = invalid_envelope("item header is not a JSON object")
    assert str(error) == "invalid envelope: item header is not a JSON object"
    assert error.as_json() == {"detail": "invalid envelope: item header is not a JSON object"}


@pytest.mark.parametrize(
    ("detail", "header"),
    [
        ("plain ascii", "plain ascii"),
        ("line\r\nbreak", "line??break"),
        ("caf\u00e9 \u20ac", "caf? ?"),
        ("x" * 300, "x" * 197 + "..."),
    ],
)
def test_header_detail_is_safe(detail, header):
    assert BadRequest(detail).header_detail == header


def test_clip():
    assert clip("short") == "'short'"
    assert clip("x" * 100, 10) == "'xxxxxx..."
