"""Resolved issues that see new events regress; ignored issues whose condition is met return.

Decided with conditional UPDATEs, so when several workers see the same issue come back only
the one whose UPDATE changed the row records the activity (pipeline.md §5.6).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone

from ingest.prepared import Prepared
from ingest.releases import is_newer
from ingest.store_events import issue_of
from tracker.models import Issue, IssueActivity, Release


@dataclass(frozen=True, slots=True)
class StateChange:
    issue_id: int
    kind: str  # "regression" or "unignored"
    event_id: str


def handle(events: list[Prepared]) -> list[StateChange]:
    by_issue: dict[int, list[Prepared]] = defaultdict(list)
    for p in events:
        by_issue[issue_of(p)].append(p)
    issues = Issue.objects.filter(
        pk__in=by_issue, status__in=(Issue.Status.RESOLVED, Issue.Status.IGNORED)
    ).select_related("resolved_in_release").order_by("pk")
    changes = []
    for issue in issues:
        group = by_issue[issue.pk]
        if issue.status == Issue.Status.RESOLVED:
            change = _regress(issue, group)
        else:
            change = _unignore(issue, group)
        if change is not None:
            changes.append(change)
    return changes


def regresses(issue: Issue, event: Prepared, releases: dict[int, Release]) -> bool:
    if issue.resolved_at is not None and event.timestamp <= issue.resolved_at:
        return False  # a late event from before the fix never reopens the issue
    fixed_in = issue.resolved_in_release
    if fixed_in is None:
        return True
    release = releases.get(event.release_id) if event.release_id else None
    # Without a release we cannot tell whether the event runs the fixed code.
    return release is not None and is_newer(release, fixed_in)


def _regress(issue: Issue, group: list[Prepared]) -> StateChange | None:
    release_ids = {p.release_id for p in group if p.release_id}
    releases = Release.objects.in_bulk(release_ids) if release_ids else {}
    trigger = next((p for p in sorted(group, key=lambda p: p.timestamp)
                    if regresses(issue, p, releases)), None)
    if trigger is None:
        return None
    reopened = Issue.objects.filter(pk=issue.pk, status=Issue.Status.RESOLVED).update(
        status=Issue.Status.UNRESOLVED, substatus=Issue.Substatus.REGRESSED, resolved_at=None,
        resolved_in_release=None,
    )
    if not reopened:
        return None
    IssueActivity.objects.create(
        issue_id=issue.pk, kind=IssueActivity.Kind.REGRESSION,
        data={
            "event_id": trigger.event_id,
            "version": trigger.release,
            "resolved_in_version": issue.resolved_in_release.version
            if issue.resolved_in_release else None,
        },
    )
    return StateChange(issue.pk, "regression", trigger.event_id)


def _unignore(issue: Issue, group: list[Prepared]) -> StateChange | None:
    now = timezone.now()
    due = (issue.ignored_until is not None and now >= issue.ignored_until) or (
        issue.ignored_until_times_seen is not None
        and issue.times_seen >= issue.ignored_until_times_seen
    )
    if not due:
        return None
    returned = Issue.objects.filter(pk=issue.pk, status=Issue.Status.IGNORED).update(
        status=Issue.Status.UNRESOLVED, substatus=Issue.Substatus.ESCALATING,
        ignored_until=None, ignored_until_times_seen=None, resolved_at=None,
    )
    if not returned:
        return None
    IssueActivity.objects.create(
        issue_id=issue.pk, kind=IssueActivity.Kind.UNIGNORED,
        data={"event_id": group[-1].event_id, "reason": "condition met"},
    )
    return StateChange(issue.pk, "unignored", group[-1].event_id)
