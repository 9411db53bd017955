"""The little validation ingest does on an event: enough to refuse garbage with a clear 400.

Everything else (defaults, trimming, types of fields) is the pipeline's normalization; the
request path only parses the JSON once and checks what would make the event unusable.
"""

from __future__ import annotations

import uuid
from typing import Any

from ingest.protocol.envelope import normalize_event_id
from ingest.protocol.errors import BadRequest
from tracker import fastjson


def parse_event(payload: bytes, header_event_id: str | None) -> tuple[dict[str, Any], str]:
    """The event as a dict and its id (32 hex): the envelope header's, the payload's or new."""
    try:
        data = fastjson.loads(payload)
    except (ValueError, RecursionError) as e:
        raise BadRequest(f"event is not valid JSON: {e}", outcome_reason="invalid_json") from None
    return data, check_event(data, header_event_id)


def check_event(data: object, header_event_id: str | None) -> str:
    if not isinstance(data, dict):
        raise BadRequest("event payload is not a JSON object", outcome_reason="invalid_json")
    event_id = header_event_id
    raw_id = data.get("event_id")
    if raw_id is not None:
        normalized = normalize_event_id(raw_id)
        if normalized is None:
            raise BadRequest(
                f"event_id {str(raw_id)[:40]!r} is not a UUID", outcome_reason="invalid_event_id"
            )
        event_id = event_id or normalized
    _check_exceptions(data)
    return event_id or uuid.uuid4().hex


def _check_exceptions(data: dict[str, Any]) -> None:
    """An event whose every exception lacks both type and value, and that has no message to
    fall back on, describes nothing: refuse it instead of creating an empty issue."""
    exception = data.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else exception
    if not isinstance(values, list) or not values:
        return
    if any(isinstance(v, dict) and (v.get("type") or v.get("value")) for v in values):
        return
    if data.get("message") or data.get("logentry"):
        return
    raise BadRequest(
        "every exception lacks both type and value", outcome_reason="no_event_payload"
    )
