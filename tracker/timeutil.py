"""Time buckets: counters, outcomes and sessions are kept per hour (UTC)."""

from __future__ import annotations

from datetime import datetime


def floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def floor_minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
