"""Retention: nothing is kept forever (docs/retention.md).

Events older than their project's period go, with their attachments (rows and files), the
issues' hourly counts and tag values of that age, and user feedback; an issue whose last
event went goes too. Outcomes and session buckets have periods of their own. The hourly
task (tracker.tasks.apply_retention) applies the configured periods; `manage.py cleanup`
applies one period to everything.

Rows go in batches of at most BATCH, each batch selected and deleted in its own short
transaction, so no statement runs long or holds locks that stall the digest. Batches are
selected with SKIP LOCKED on PostgreSQL: two overlapping runs never delete (and uncount)
the same events twice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from tracker import actions, issue_counts
from tracker.models import (
    Attachment,
    Event,
    Issue,
    IssueActivity,
    IssueHourlyCount,
    IssueTag,
    Outcome,
    Project,
    SessionBucket,
    SessionState,
    UserReport,
)

BATCH = 1000
# Deleting an issue deletes its hashes, tag values, activity and alert counters with it.
ISSUE_BATCH = 100

# What is removed, in the order it is removed and reported.
KINDS = ("events", "events over the cap", "attachments", "orphan attachments",
         "issue hourly counts", "issue tags", "user reports", "issues", "outcomes",
         "session buckets", "session states")


def event_retention_days(project: Project) -> int:
    """The project's own period, else its organization's, else the server's."""
    if project.event_retention_days is not None:
        return project.event_retention_days
    if project.organization.event_retention_days is not None:
        return project.organization.event_retention_days
    return settings.ERRATA["EVENT_RETENTION_DAYS"]


def run(now: datetime | None = None) -> Counter[str]:
    """Apply the configured periods everywhere; return how many rows of each kind went."""
    now = now or timezone.now()
    removed: Counter[str] = Counter()
    for project in Project.objects.select_related("organization").order_by("pk"):
        removed += expire_project(project, now - timedelta(days=event_retention_days(project)))
        removed += cap_project(project)
    removed += expire_outcomes(now - timedelta(days=settings.ERRATA["OUTCOME_RETENTION_DAYS"]))
    removed += expire_sessions(now - timedelta(days=settings.ERRATA["SESSION_RETENTION_DAYS"]))
    return removed


def cleanup(days: int, project: Project | None = None, *, dry_run: bool = False,
            now: datetime | None = None) -> Counter[str]:
    """Everything older than `days`, whatever the configured periods, for one project or
    all; with `dry_run` only counted."""
    cutoff = (now or timezone.now()) - timedelta(days=days)
    projects: Iterable[Project] = [project] if project else Project.objects.order_by("pk")
    removed: Counter[str] = Counter()
    for each in projects:
        removed += expire_project(each, cutoff, dry_run=dry_run)
    project_id = project.pk if project else None
    removed += expire_outcomes(cutoff, project_id, dry_run=dry_run)
    removed += expire_sessions(cutoff, project_id, dry_run=dry_run)
    return removed


def expire_project(project: Project, cutoff: datetime, *, dry_run: bool = False
                   ) -> Counter[str]:
    """One project's events older than `cutoff`, and what goes with them."""
    events = Event.objects.filter(project=project, timestamp__lt=cutoff)
    hourly = IssueHourlyCount.objects.filter(issue__project=project, hour__lt=cutoff)
    # A tag value last seen before the cutoff belongs only to expired events.
    tags = IssueTag.objects.filter(issue__project=project, last_seen__lt=cutoff)
    reports = UserReport.objects.filter(project=project, created__lt=cutoff)
    # Attachments sent apart from an event that never came (ingest.digest.apart).
    orphans = Attachment.objects.filter(project=project, issue__isnull=True, created__lt=cutoff)
    # Every event of such an issue is older than the cutoff (last_seen is the latest).
    issues = Issue.objects.filter(project=project, last_seen__lt=cutoff)
    if dry_run:
        return Counter({
            "events": events.count(),
            "attachments": Attachment.objects.filter(
                project=project, event_id__in=events.values("event_id")).count(),
            "issue hourly counts": hourly.count(),
            "issue tags": tags.count(),
            "user reports": reports.count(),
            "orphan attachments": orphans.count(),
            "issues": issues.count(),
        })
    removed: Counter[str] = Counter()
    while _expire_events(project, events, removed):
        pass
    removed["issue hourly counts"] = _delete_in_batches(hourly)
    removed["issue tags"] = _delete_in_batches(tags)
    removed["user reports"] = _delete_in_batches(reports)
    removed["orphan attachments"] = _delete_in_batches(orphans)
    while ids := list(issues.values_list("pk", flat=True)[:ISSUE_BATCH]):
        removed["issues"] += actions.delete_expired(ids, cutoff)
    return removed


def _expire_events(project: Project, events: QuerySet[Event], removed: Counter[str]) -> bool:
    """Delete one batch of events with their attachments and take them off their issues'
    counts, in one transaction; False once there are none left."""
    with transaction.atomic():
        batch = list(_locked(events).values_list("pk", "event_id", "issue_id")[:BATCH])
        if not batch:
            return False
        _delete_events(project, batch, removed)
    return True


def _delete_events(project: Project, batch: list[tuple[int, Any, int]],
                   removed: Counter[str]) -> None:
    """(pk, event id, issue id) rows: the events, their attachments, their issues' counts.
    In the caller's transaction."""
    # Attachment files are deleted after the commit (tracker.attachment_files).
    removed["attachments"] += Attachment.objects.filter(
        project=project, event_id__in=[event_id for _, event_id, _ in batch]).delete()[0]
    removed["events"] += Event.objects.filter(pk__in=[pk for pk, _, _ in batch]).delete()[0]
    issue_counts.forget_events(Counter(issue_id for _, _, issue_id in batch))


def cap_project(project: Project, *, dry_run: bool = False) -> Counter[str]:
    """Keep at most `project.max_stored_events` events: the oldest go first, but every issue
    keeps its first event, its latest event and the events that regressed it, so its page
    still says where it started, where it is, and what reopened it (those may leave the
    project somewhat over its cap)."""
    cap = project.max_stored_events
    if cap is None:
        return Counter()
    excess = Event.objects.filter(project=project).count() - cap
    if excess <= 0:
        return Counter()
    kept = _capped_keepers(project)
    doomed: list[tuple[int, Any, int]] = []
    for pk, event_id, issue_id in (
        Event.objects.filter(project=project).order_by("timestamp", "pk")
        .values_list("pk", "event_id", "issue_id").iterator(chunk_size=BATCH)
    ):
        if pk not in kept:
            doomed.append((pk, event_id, issue_id))
            if len(doomed) >= excess:
                break
    if dry_run:
        return Counter({"events over the cap": len(doomed)})
    removed: Counter[str] = Counter()
    for start in range(0, len(doomed), BATCH):
        with transaction.atomic():
            # Only rows still there: a concurrent run may have taken some.
            batch = doomed[start:start + BATCH]
            present = set(_locked(Event.objects.filter(pk__in=[pk for pk, _, _ in batch]))
                          .values_list("pk", flat=True))
            rows = [row for row in batch if row[0] in present]
            if rows:
                _delete_events(project, rows, removed)
    removed["events over the cap"] = removed.pop("events", 0)
    return removed


def _capped_keepers(project: Project) -> set[int]:
    """Primary keys of the events the cap never evicts: each issue's first and latest (by
    timestamp, then id) and those that regressed it."""
    events = Event.objects.filter(project=project)
    # One pass in (issue, time) order: a capped project holds about `cap` events.
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for pk, issue_id in events.order_by("issue_id", "timestamp", "pk").values_list(
            "pk", "issue_id").iterator(chunk_size=BATCH):
        first.setdefault(issue_id, pk)
        last[issue_id] = pk
    keep = set(first.values()) | set(last.values())
    regressions = IssueActivity.objects.filter(
        issue__project=project, kind=IssueActivity.Kind.REGRESSION,
    ).values_list("data", flat=True)
    trigger_ids = {d.get("event_id") for d in regressions if isinstance(d, dict)}
    trigger_ids.discard(None)
    if trigger_ids:
        keep |= set(events.filter(event_id__in=list(trigger_ids)).values_list("pk", flat=True))
    return keep


def expire_outcomes(cutoff: datetime, project_id: int | None = None, *,
                    dry_run: bool = False) -> Counter[str]:
    outcomes = Outcome.objects.filter(hour__lt=cutoff)
    if project_id is not None:
        outcomes = outcomes.filter(project_id=project_id)
    return Counter({"outcomes": outcomes.count() if dry_run else _delete_in_batches(outcomes)})


def expire_sessions(cutoff: datetime, project_id: int | None = None, *,
                    dry_run: bool = False) -> Counter[str]:
    buckets = SessionBucket.objects.filter(hour__lt=cutoff)
    states = SessionState.objects.filter(hour__lt=cutoff)
    if project_id is not None:
        buckets = buckets.filter(project_id=project_id)
        states = states.filter(project_id=project_id)
    return Counter({
        "session buckets": buckets.count() if dry_run else _delete_in_batches(buckets),
        "session states": states.count() if dry_run else _delete_in_batches(states)})


def _delete_in_batches(rows: QuerySet) -> int:
    """Delete the rows BATCH at a time, each batch in its own transaction; return how many.
    For models nothing else points at, so each batch is one DELETE."""
    total = 0
    while True:
        with transaction.atomic():
            pks = list(_locked(rows).values_list("pk", flat=True)[:BATCH])
            if not pks:
                return total
            total += rows.model.objects.filter(pk__in=pks).delete()[0]


def _locked(rows: QuerySet) -> QuerySet:
    """The rows locked for this transaction, skipping those another run is deleting."""
    if connection.features.has_select_for_update_skip_locked:
        return rows.select_for_update(skip_locked=True, of=("self",))
    return rows
