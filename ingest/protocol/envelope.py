"""Envelope framing (docs/protocol.md §5): parse, validate, and size-check a decoded body.

Unknown item types are kept so the caller can skip them (and count them) by type; nothing in
here decides what we store.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ingest.protocol.errors import BadRequest, clip, invalid_envelope, too_large
from tracker import fastjson

DEFAULT_ATTACHMENT_TYPE = "event.attachment"
DEFAULT_MAX_ITEMS = 1000

# At most one of these per envelope, in any combination: each becomes (or feeds) the event.
SINGLE_EVENT_TYPES = frozenset(
    {"event", "transaction", "security", "raw_security", "unreal_report", "form_data"}
)
# Items whose payload is an event-sized JSON document: over `max_event_size` rejects the
# envelope with `too_large:<type>`.
EVENT_SIZED_TYPES = frozenset(
    (SINGLE_EVENT_TYPES - {"unreal_report"})
    | {"nel", "user_report", "user_feedback", "feedback", "replay_event"}
    | {"span", "otel_span", "log"}
)
# Binary crash data counted against the attachment limits.
ATTACHMENT_TYPES = frozenset({"attachment", "unreal_report"})

# Outcome reason suffixes for attachment types; unknown types get none, so a client cannot
# invent unbounded reason strings.
_ATTACHMENT_REASON_SUFFIX = {
    "event.minidump": "minidump",
    "event.applecrashreport": "apple_crash_report",
    "event.payload": "event_payload",
    "event.breadcrumbs": "breadcrumbs",
    "event.view_hierarchy": "view_hierarchy",
    "unreal.context": "unreal_context",
    "unreal.logs": "unreal_logs",
    "playstation.prosperodump": "prosperodump",
}

_EVENT_ID = re.compile(
    r"(?:urn:uuid:)?\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?"
)
_WHITESPACE = b" \t\r\n"


@dataclass(slots=True)
class Item:
    headers: dict[str, Any]
    payload: bytes

    @property
    def type(self) -> str:
        item_type: str = self.headers["type"]  # parse_envelope guarantees a non-empty string
        return item_type

    @property
    def attachment_type(self) -> str:
        value = self.headers.get("attachment_type")
        return value if isinstance(value, str) and value else DEFAULT_ATTACHMENT_TYPE

    @property
    def filename(self) -> str | None:
        value = self.headers.get("filename")
        return value if isinstance(value, str) else None

    @property
    def content_type(self) -> str | None:
        value = self.headers.get("content_type")
        return value if isinstance(value, str) else None


@dataclass(slots=True)
class Envelope:
    headers: dict[str, Any]
    items: list[Item] = field(default_factory=list)

    @property
    def event_id(self) -> str | None:
        """The header `event_id`, already normalized to 32 lowercase hex characters.

        None when absent: the caller then takes the payload's id or generates one.
        """
        return self.headers.get("event_id")

    @property
    def dsn(self) -> object:
        """The raw header `dsn` (any JSON value), for `auth.resolve_auth`."""
        return self.headers.get("dsn")

    @property
    def sent_at(self) -> datetime | None:
        """The client's send time, or None when absent or unreadable (it only tunes drift)."""
        value = self.headers.get("sent_at")
        if not isinstance(value, str):
            return None
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def items_of_type(self, *types: str) -> list[Item]:
        return [item for item in self.items if item.type in types]

    @property
    def event_item(self) -> Item | None:
        """The one event-like item (event, transaction, security, ...), if any."""
        return next((item for item in self.items if item.type in SINGLE_EVENT_TYPES), None)


def normalize_event_id(value: object) -> str | None:
    """32 lowercase hex characters for any UUID spelling SDKs use, else None."""
    if not isinstance(value, str) or len(value) > 45:
        return None
    match = _EVENT_ID.fullmatch(value.strip().lower())
    if match is None:
        return None
    normalized = "".join(match.groups())
    hyphens = value.count("-")
    # Either no dashes or exactly the canonical four; "abcd-..." elsewhere is not a UUID.
    if hyphens not in (0, 4):
        return None
    return normalized


def parse_envelope(
    body: bytes,
    *,
    max_event_size: int,
    max_attachment_size: int,
    max_attachments_size: int,
    max_items: int = DEFAULT_MAX_ITEMS,
) -> Envelope:
    """Parse a decoded envelope body; raises IngestError (400 or 413) when it is unusable."""
    if not body or body.isspace():  # isspace stops at the first other byte: no copy
        raise BadRequest("empty envelope body", outcome_reason="empty_body")
    end = len(body)
    newline = body.find(b"\n")
    header_end = end if newline < 0 else newline
    headers = _json_object(body[:header_end], "envelope header (line 1)")
    _normalize_header_event_id(headers)

    envelope = Envelope(headers=headers)
    state = _Limits(max_event_size, max_attachment_size, max_attachments_size)
    position = header_end + 1
    while position < end:
        line_end = body.find(b"\n", position)
        if line_end < 0:
            line_end = end
        if body[position] in _WHITESPACE and not body[position:line_end].strip(_WHITESPACE):
            # Blank lines where an item header belongs carry nothing (Relay's JSON reader skips
            # them too); this is also what makes trailing whitespace harmless.
            position = line_end + 1
            continue
        index = len(envelope.items)
        if index >= max_items:
            raise too_large(f"envelope has more than {max_items} items", "too_large:envelope")
        item, position = _parse_item(body, position, line_end, index)
        state.check(item, index)
        envelope.items.append(item)
    _check_single_event(envelope.items)
    return envelope


def _parse_item(body: bytes, start: int, line_end: int, index: int) -> tuple[Item, int]:
    """Parse the item whose header line is `body[start:line_end]`; return it and where the
    next one starts."""
    end = len(body)
    headers = _json_object(body[start:line_end], f"item {index} header")
    item_type = headers.get("type")
    if not isinstance(item_type, str) or not item_type:
        raise invalid_envelope(f'item {index} header has no "type" string')
    where = f"item {index} ({clip(item_type, 30)})"
    length = headers.get("length")
    payload_start = min(line_end + 1, end)  # the last header line needs no newline
    if length is None:
        newline = body.find(b"\n", payload_start)
        payload_end = end if newline < 0 else newline
    else:
        if type(length) is not int or length < 0:
            raise invalid_envelope(f"{where}: length {clip(length)} is not a byte count")
        payload_end = payload_start + length
        if payload_end > end:
            raise invalid_envelope(
                f"{where}: length {length} runs past the end of the body "
                f"({end - payload_start} bytes left)"
            )
        if payload_end < end and body[payload_end] != 0x0A:
            raise invalid_envelope(
                f"{where}: missing newline after its {length}-byte payload "
                f"(found {clip(body[payload_end : payload_end + 10])})"
            )
    return Item(headers=headers, payload=body[payload_start:payload_end]), payload_end + 1


def _json_object(line: bytes, what: str) -> dict[str, Any]:
    try:
        value = fastjson.loads(line)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else type(exc).__name__
        raise invalid_envelope(f"{what} is not valid JSON ({reason})") from None
    if not isinstance(value, dict):
        raise invalid_envelope(f"{what} is not a JSON object")
    return value


def _normalize_header_event_id(headers: dict[str, Any]) -> None:
    raw = headers.get("event_id")
    if raw is None:
        headers.pop("event_id", None)
        return
    event_id = normalize_event_id(raw)
    if event_id is None:
        raise BadRequest(
            f"invalid envelope: header event_id {clip(raw)} is not a UUID",
            outcome_reason="invalid_event_id",
        )
    headers["event_id"] = event_id


def _check_single_event(items: list[Item]) -> None:
    seen: tuple[int, str] | None = None
    for index, item in enumerate(items):
        if item.type not in SINGLE_EVENT_TYPES:
            continue
        if seen is not None:
            raise BadRequest(
                f"invalid envelope: duplicate item: {item.type} (item {index}) in an envelope "
                f"that already has {seen[1]} (item {seen[0]}); at most one event-like item "
                "is allowed",
                outcome_reason="duplicate_item",
            )
        seen = (index, item.type)


@dataclass(slots=True)
class _Limits:
    max_event_size: int
    max_attachment_size: int
    max_attachments_size: int
    attachments_total: int = 0

    def check(self, item: Item, index: int) -> None:
        size = len(item.payload)
        item_type = item.type
        if item_type in EVENT_SIZED_TYPES and size > self.max_event_size:
            raise too_large(
                f"item {index} ({item_type}) is {size} bytes, over the "
                f"{self.max_event_size}-byte limit",
                f"too_large:{item_type}",
            )
        if item_type not in ATTACHMENT_TYPES:
            return
        reason = _attachment_reason(item)
        if size > self.max_attachment_size:
            raise too_large(
                f"item {index} ({item_type}) is {size} bytes, over the "
                f"{self.max_attachment_size}-byte attachment limit",
                reason,
            )
        self.attachments_total += size
        if self.attachments_total > self.max_attachments_size:
            raise too_large(
                f"attachments add up to more than {self.max_attachments_size} bytes "
                f"(at item {index})",
                reason,
            )


def _attachment_reason(item: Item) -> str:
    if item.type != "attachment":
        return f"too_large:{item.type}"
    suffix = _ATTACHMENT_REASON_SUFFIX.get(item.attachment_type)
    return f"too_large:attachment:{suffix}" if suffix else "too_large:attachment"
