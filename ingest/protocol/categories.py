"""Data categories: what quotas and outcomes count, and how each item type is counted.

Names and ids follow docs/protocol.md §10.1; the item type table is docs/protocol.md §6.1.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, IntEnum
from types import MappingProxyType

from ingest.protocol.envelope import Item


class DataCategory(IntEnum):
    DEFAULT = 0
    ERROR = 1
    TRANSACTION = 2
    SECURITY = 3
    ATTACHMENT = 4
    SESSION = 5
    PROFILE = 6
    REPLAY = 7
    TRANSACTION_PROCESSED = 8
    TRANSACTION_INDEXED = 9
    MONITOR = 10
    PROFILE_INDEXED = 11
    SPAN = 12
    MONITOR_SEAT = 13
    FEEDBACK = 14  # Relay's user_report_v2
    METRIC_BUCKET = 15
    SPAN_INDEXED = 16
    PROFILE_DURATION = 17
    PROFILE_CHUNK = 18
    METRIC_SECOND = 19
    REPLAY_VIDEO = 20
    UPTIME = 21
    ATTACHMENT_ITEM = 22
    LOG_ITEM = 23
    LOG_BYTE = 24

    @property
    def api_name(self) -> str:
        """The name used on the wire: rate limit headers, client reports, outcomes."""
        return self.name.lower()

    @classmethod
    def from_name(cls, name: str) -> DataCategory | None:
        return _BY_NAME.get(name)


_BY_NAME: Mapping[str, DataCategory] = MappingProxyType(
    {category.api_name: category for category in DataCategory}
    | {"user_report_v2": DataCategory.FEEDBACK}
)

# Client reports are counted under this name; it has no id and is never rate limited.
INTERNAL = "internal"


class Quantity(Enum):
    ONE = "one"
    BYTES = "bytes"  # payload length, at least 1
    ITEM_COUNT = "item_count"  # the `item_count` header of container items, else 1
    SESSION_AGGREGATES = "session_aggregates"  # sum of the counts in a `sessions` item
    SPANS_PLUS_ONE = "spans_plus_one"  # a transaction's spans plus its root span


@dataclass(frozen=True, slots=True)
class Counted:
    category: DataCategory
    quantity: Quantity


def _counts(*pairs: tuple[DataCategory, Quantity]) -> tuple[Counted, ...]:
    return tuple(Counted(category, quantity) for category, quantity in pairs)


_ONE = Quantity.ONE
_COUNT = Quantity.ITEM_COUNT
_C = DataCategory

# Item type -> what it counts as. Types not listed (client_report, nel, statsd, form_data and
# anything unknown) count in no category.
ITEM_CATEGORIES: Mapping[str, tuple[Counted, ...]] = MappingProxyType(
    {
        # Message-only events have event type "default" but are still counted as errors.
        "event": _counts((_C.ERROR, _ONE)),
        "attachment": _counts((_C.ATTACHMENT, Quantity.BYTES), (_C.ATTACHMENT_ITEM, _ONE)),
        "user_report": _counts((_C.FEEDBACK, _ONE)),
        "user_feedback": _counts((_C.FEEDBACK, _ONE)),
        "feedback": _counts((_C.FEEDBACK, _ONE)),
        "session": _counts((_C.SESSION, _ONE)),
        "sessions": _counts((_C.SESSION, Quantity.SESSION_AGGREGATES)),
        "transaction": _counts((_C.TRANSACTION, _ONE), (_C.SPAN, Quantity.SPANS_PLUS_ONE)),
        "security": _counts((_C.SECURITY, _ONE)),
        "raw_security": _counts((_C.SECURITY, _ONE)),
        "unreal_report": _counts((_C.ERROR, _ONE)),
        "span": _counts((_C.SPAN, _COUNT)),
        "otel_span": _counts((_C.SPAN, _COUNT)),
        "profile": _counts((_C.PROFILE, _ONE)),
        "profile_chunk": _counts((_C.PROFILE_CHUNK, _COUNT)),
        "replay_event": _counts((_C.REPLAY, _ONE)),
        "replay_recording": _counts((_C.REPLAY, _ONE)),
        "replay_video": _counts((_C.REPLAY, _ONE)),
        "check_in": _counts((_C.MONITOR, _COUNT)),
        "log": _counts((_C.LOG_ITEM, _COUNT), (_C.LOG_BYTE, Quantity.BYTES)),
        "otel_log": _counts((_C.LOG_ITEM, _COUNT), (_C.LOG_BYTE, Quantity.BYTES)),
    }
)

# The item types an error tracker keeps; every other type is accepted and dropped
# (docs/protocol.md §6.1).
KEPT_ITEM_TYPES = frozenset(
    {
        "event",
        "attachment",
        "client_report",
        "session",
        "sessions",
        "user_report",
        "user_feedback",
        "feedback",
    }
)

# Categories of dropped item types, spelled as SDKs spell them, to advertise in
# `X-Sentry-Rate-Limits` (reason `feature_disabled`) so SDKs stop sending what we throw away.
DROPPED_CATEGORIES = (
    _C.TRANSACTION.api_name,
    _C.SPAN.api_name,
    _C.PROFILE.api_name,
    _C.PROFILE_CHUNK.api_name,
    _C.REPLAY.api_name,
    _C.MONITOR.api_name,
    _C.LOG_ITEM.api_name,
    _C.METRIC_BUCKET.api_name,
)


def is_kept(item_type: str) -> bool:
    return item_type in KEPT_ITEM_TYPES


def item_category(item_type: str) -> str | None:
    """The main category name of an item type: `error`, `internal`, ...; None if uncounted."""
    if item_type == "client_report":
        return INTERNAL
    counted = ITEM_CATEGORIES.get(item_type)
    return counted[0].category.api_name if counted else None


def item_quantities(item: Item) -> list[tuple[DataCategory, int]]:
    """What `item` counts as, for quotas and outcomes; zero quantities are left out."""
    result = []
    for counted in ITEM_CATEGORIES.get(item.type, ()):
        quantity = _quantity(counted.quantity, item)
        if quantity > 0:
            result.append((counted.category, quantity))
    return result


def _quantity(rule: Quantity, item: Item) -> int:
    if rule is Quantity.ONE:
        return 1
    if rule is Quantity.BYTES:
        return max(1, len(item.payload))
    if rule is Quantity.ITEM_COUNT:
        count = item.headers.get("item_count")
        return count if type(count) is int and count >= 0 else 1
    payload = _json_or_none(item.payload)
    if rule is Quantity.SESSION_AGGREGATES:
        return _session_aggregate_count(payload)
    spans = payload.get("spans") if isinstance(payload, dict) else None
    return len(spans) + 1 if isinstance(spans, list) else 1


_AGGREGATE_COUNTS = ("exited", "errored", "abnormal", "unhandled", "crashed")


def _session_aggregate_count(payload: object) -> int:
    aggregates = payload.get("aggregates") if isinstance(payload, dict) else None
    if not isinstance(aggregates, list):
        return 1  # unreadable: count the item itself, as Relay does for one session
    total = 0
    for aggregate in aggregates:
        if isinstance(aggregate, dict):
            for key in _AGGREGATE_COUNTS:
                value = aggregate.get(key)
                if type(value) is int and value > 0:
                    total += value
    return total


def _json_or_none(payload: bytes) -> object:
    try:
        return json.loads(payload)
    except (ValueError, RecursionError):
        return None
