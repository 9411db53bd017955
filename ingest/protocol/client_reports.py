"""Client reports: what an SDK dropped before sending, turned into outcomes
(docs/protocol.md §10.5).

A report is advisory: anything malformed is dropped quietly, never answered with an error.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ingest.protocol import storable
from ingest.protocol.categories import DataCategory
from ingest.protocol.outcomes import OutcomeKind

MAX_CLIENT_REPORT_SIZE = 4 * 1024
DEFAULT_MAX_FUTURE = timedelta(minutes=1)  # clock skew we forgive
_MAX_REASON_LENGTH = 200

_SECTIONS = (
    ("discarded_events", OutcomeKind.CLIENT_DISCARD),
    ("rate_limited_events", OutcomeKind.RATE_LIMITED),
    ("filtered_events", OutcomeKind.FILTERED),
    ("filtered_sampling_events", OutcomeKind.FILTERED),
)


@dataclass(frozen=True, slots=True)
class ClientOutcome:
    outcome: OutcomeKind
    reason: str
    category: DataCategory
    quantity: int
    timestamp: datetime


def parse_client_report(
    payload: bytes,
    received: datetime,
    *,
    max_age: timedelta,
    max_future: timedelta = DEFAULT_MAX_FUTURE,
) -> list[ClientOutcome]:
    """The outcomes in one `client_report` item; empty when the report must be dropped.

    `max_age` is our outcome retention: older reports are dropped, as are reports dated more
    than `max_future` after `received`.
    """
    if len(payload) > MAX_CLIENT_REPORT_SIZE:
        return []
    try:
        report = storable.clean(json.loads(payload))
    except (ValueError, RecursionError):
        return []
    if not isinstance(report, dict):
        return []
    received = _aware(received)
    if "timestamp" in report and report["timestamp"] is not None:
        timestamp = _parse_timestamp(report["timestamp"])
        if timestamp is None:
            return []
    else:
        timestamp = received
    if timestamp < received - max_age or timestamp > received + max_future:
        return []

    outcomes = []
    for section, outcome in _SECTIONS:
        entries = report.get(section)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            parsed = _parse_entry(entry, outcome, timestamp)
            if parsed is not None:
                outcomes.append(parsed)
    return outcomes


def _parse_entry(entry: object, outcome: OutcomeKind, timestamp: datetime) -> ClientOutcome | None:
    if not isinstance(entry, dict):
        return None
    reason, category_name, quantity = (
        entry.get("reason"),
        entry.get("category"),
        entry.get("quantity"),
    )
    if not isinstance(reason, str) or not reason or len(reason) > _MAX_REASON_LENGTH:
        return None
    if not isinstance(category_name, str):
        return None
    category = DataCategory.from_name(category_name)
    # bool is an int in Python; `true` is not a quantity.
    if category is None or type(quantity) is not int or quantity <= 0:
        return None
    return ClientOutcome(outcome, reason, category, quantity, timestamp)


def _parse_timestamp(value: object) -> datetime | None:
    """RFC 3339 or epoch seconds, as an aware UTC datetime; None when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if not math.isfinite(value):
            return None
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return _aware(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _aware(moment: datetime) -> datetime:
    # A naive datetime is taken as UTC, the only zone SDKs write without an offset.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
