"""Timestamps of an event: parsing, clock drift correction, bounds; and breadcrumbs, whose
timestamps are most of the work there.

Every timestamp leaves normalization as a float of Unix epoch seconds (UTC), as Sentry stores
them: `timestamp`, `start_timestamp`, `received`, breadcrumb and span timestamps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ingest.digest.normalize.databag import BREADCRUMB_DATA, limit_databag
from ingest.digest.normalize.meta import Notes

MAX_SECS_IN_FUTURE = 60
MAX_SECS_IN_PAST = 30 * 24 * 3600
# Below this, a difference between the SDK's and our clock is latency or ordinary skew;
# above it, it is a wrong clock or time zone and worth correcting (Relay's value).
CLOCK_DRIFT_THRESHOLD = 55 * 60
MAX_BREADCRUMBS = 100

# Plausible epoch seconds: 1970 .. 9999. Millisecond epochs land above and count as invalid.
_MAX_EPOCH = 253_402_300_799.0


def parse_timestamp(value: Any) -> float | None:
    """Epoch seconds from a number, a numeric string or an RFC 3339 string (naive means UTC)."""
    kind = type(value)
    if kind is float or kind is int:
        return float(value) if 0 <= value <= _MAX_EPOCH else None
    if kind is not str:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            number = float(value)
        except ValueError:
            return None
        return number if 0 <= number <= _MAX_EPOCH else None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def clock_drift(received: datetime, sent_at: datetime | None) -> float:
    """Seconds to add to the SDK's timestamps; 0 when there is no significant drift."""
    if sent_at is None:
        return 0.0
    drift = (received - sent_at).total_seconds()
    return drift if abs(drift) >= CLOCK_DRIFT_THRESHOLD else 0.0


def normalize_timestamps(
    event: dict[str, Any], received: datetime, sent_at: datetime | None, notes: Notes
) -> float:
    """Set `received`, `timestamp` and `start_timestamp`; returns the drift applied."""
    received_ts = received.timestamp()
    event["received"] = received_ts
    drift = clock_drift(received, sent_at)
    if drift and sent_at is not None:
        notes.error("clock_drift", "timestamp", drift, sdk_time=sent_at.isoformat(),
                    server_time=received.isoformat())
    start = _shifted(event, "start_timestamp", drift, notes)
    if start is not None:
        event["start_timestamp"] = start
    raw = event.get("timestamp")
    timestamp = _shifted(event, "timestamp", drift, notes)
    if timestamp is None:
        timestamp = received_ts
    elif timestamp > received_ts + MAX_SECS_IN_FUTURE:
        notes.error("future_timestamp", "timestamp", raw)
        timestamp = received_ts
    elif timestamp < received_ts - MAX_SECS_IN_PAST:
        notes.error("past_timestamp", "timestamp", raw)
        timestamp = received_ts
    event["timestamp"] = timestamp
    _shift_spans(event, drift, notes)
    return drift


def _shifted(target: dict[str, Any], key: str, drift: float, notes: Notes,
             name: str | None = None) -> float | None:
    """Parse `target[key]` and add the drift; an invalid value is removed and recorded."""
    value = target.get(key)
    if value is None:
        target.pop(key, None)
        return None
    parsed = parse_timestamp(value)
    if parsed is None:
        notes.error("invalid_data", name or key, value)
        del target[key]
        return None
    return parsed + drift


def _shift_spans(event: dict[str, Any], drift: float, notes: Notes) -> None:
    spans = event.get("spans")
    if not isinstance(spans, list):
        return
    for index, span in enumerate(spans):
        if not isinstance(span, dict):
            continue
        for key in ("timestamp", "start_timestamp"):
            value = _shifted(span, key, drift, notes, f"spans.{index}.{key}")
            if value is not None:
                span[key] = value


def normalize_breadcrumbs(event: dict[str, Any], drift: float, notes: Notes) -> None:
    """`{"values": [...]}` form, the newest MAX_BREADCRUMBS, float timestamps, bounded data."""
    crumbs = event.get("breadcrumbs")
    if crumbs is None:
        event.pop("breadcrumbs", None)
        return
    if isinstance(crumbs, list):
        crumbs = event["breadcrumbs"] = {"values": crumbs}
    values = crumbs.get("values") if isinstance(crumbs, dict) else None
    if not isinstance(values, list):
        notes.error("invalid_data", "breadcrumbs", crumbs)
        del event["breadcrumbs"]
        return
    if not all(type(crumb) is dict for crumb in values):
        values = [crumb for crumb in values if isinstance(crumb, dict)]
        notes.error("invalid_data", "breadcrumbs.values", None,
                    reason="breadcrumbs must be objects")
    if len(values) > MAX_BREADCRUMBS:
        notes.original_length(("breadcrumbs", "values"), len(values))
        values = values[-MAX_BREADCRUMBS:]
    for index, crumb in enumerate(values):
        timestamp = crumb.get("timestamp")
        kind = type(timestamp)
        if (kind is float or kind is int) and 0 <= timestamp <= _MAX_EPOCH:
            # Fast path for the common numeric form (JavaScript and most mobile SDKs).
            crumb["timestamp"] = timestamp + drift if drift else float(timestamp)
        else:
            timestamp = _shifted(crumb, "timestamp", drift, notes,
                                 f"breadcrumbs.values.{index}.timestamp")
            if timestamp is not None:
                crumb["timestamp"] = timestamp
        data = crumb.get("data")
        if data:
            crumb["data"] = limit_databag(data, BREADCRUMB_DATA,
                                          ("breadcrumbs", "values", index, "data"), notes)
    if values:
        crumbs["values"] = values
    else:
        del event["breadcrumbs"]
