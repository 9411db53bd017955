"""Per-issue counters behind the frequency and unique-user conditions.

Events are counted per minute here (windows under an hour) and per hour by the pipeline
(tracker's IssueHourlyCount, windows of an hour or more). Users are kept as distinct keys per
minute and per hour bucket. Windows start at the bucket holding `now - window`, so a count
covers at most one bucket more than the window: a storm is never missed, at worst seen a
little early. Buckets go by event timestamp, like the hourly counts.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from tracker import sql
from tracker.alerts.models import CountedBatch, IssueMinuteCount, IssueUserBucket
from tracker.models import IssueHourlyCount
from tracker.timeutil import floor_hour, floor_minute

MINUTE = 1
HOUR = 60
# Minute rows serve windows under an hour; hour user buckets serve up to 30 days.
MINUTE_RETENTION = timedelta(hours=2)
HOUR_RETENTION = timedelta(days=31)


def floor(moment: datetime, span: int) -> datetime:
    return floor_hour(moment) if span == HOUR else floor_minute(moment)


def _moment(event: dict) -> datetime:
    return datetime.fromtimestamp(event["timestamp"], UTC)


def batch_key(events: Iterable[dict]) -> str:
    ids = sorted(f"{e['project_id']}:{e['event_id']}" for e in events)
    return hashlib.sha256(",".join(ids).encode()).hexdigest()


def record(events: list[dict]) -> bool:
    """Add a batch of stored events to the counters; False if this batch was already counted.

    The marker row and the increments commit together, so a task that runs twice (a worker
    died before acknowledging it) counts the batch once.
    """
    if not events:
        return False
    minutes = Counter((e["issue_id"], floor(_moment(e), MINUTE)) for e in events)
    users = {
        (e["issue_id"], span, floor(_moment(e), span), e["user_key"][:200])
        for e in events if e.get("user_key") for span in (MINUTE, HOUR)
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                CountedBatch.objects.create(key=batch_key(events))
        except IntegrityError:
            return False
        _add_minutes(minutes)
        IssueUserBucket.objects.bulk_create(
            [IssueUserBucket(issue_id=i, span=s, start=t, user_key=u) for i, s, t, u in users],
            ignore_conflicts=True,
        )
    return True


def _add_minutes(counts: Counter) -> None:
    """One upsert: concurrent workers add to the same row instead of overwriting it."""
    sql.add(IssueMinuteCount, ("issue_id", "minute", "count"),
            [(issue_id, minute, n) for (issue_id, minute), n in sorted(counts.items())],
            key=("issue_id", "minute"), sums=("count",))


def window_start(minutes: int, now: datetime | None = None) -> datetime:
    span = HOUR if minutes >= HOUR else MINUTE
    return floor((now or timezone.now()) - timedelta(minutes=minutes), span)


def events_in(issue_ids: Iterable[int], minutes: int, now: datetime | None = None) -> dict:
    """Events per issue in the last `minutes`: {issue_id: count}."""
    since = window_start(minutes, now)
    if minutes >= HOUR:
        rows = IssueHourlyCount.objects.filter(issue_id__in=issue_ids, hour__gte=since)
    else:
        rows = IssueMinuteCount.objects.filter(issue_id__in=issue_ids, minute__gte=since)
    totals = rows.values("issue_id").annotate(total=Sum("count")).values_list("issue_id", "total")
    return dict(totals)


def users_in(issue_ids: Iterable[int], minutes: int, now: datetime | None = None) -> dict:
    """Distinct users per issue in the last `minutes`: {issue_id: count}."""
    span = HOUR if minutes >= HOUR else MINUTE
    since = window_start(minutes, now)
    rows = IssueUserBucket.objects.filter(issue_id__in=issue_ids, span=span, start__gte=since)
    counts = rows.values("issue_id").annotate(n=Count("user_key", distinct=True))
    return dict(counts.values_list("issue_id", "n"))


def prune(now: datetime | None = None) -> None:
    """Delete buckets no window can reach any more, and old batch markers."""
    now = now or timezone.now()
    IssueMinuteCount.objects.filter(minute__lt=now - MINUTE_RETENTION).delete()
    IssueUserBucket.objects.filter(span=MINUTE, start__lt=now - MINUTE_RETENTION).delete()
    IssueUserBucket.objects.filter(span=HOUR, start__lt=now - HOUR_RETENTION).delete()
    CountedBatch.objects.filter(created__lt=now - MINUTE_RETENTION).delete()
