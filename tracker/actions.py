"""Issue state changes: the only code that sets an issue's status, assignee or merge target.

Every function takes the issues to change (already scoped by the caller through
tracker.access) and the acting user, changes them with conditional UPDATEs, and writes one
IssueActivity row per issue that really changed, so a double-submitted form or two people
resolving the same issue at once leave one row, not two.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import DateTimeField, F, Q, QuerySet, Value
from django.db.models.functions import Greatest, Least
from django.utils import timezone

from tracker import issue_counts
from tracker.discards import discard_issues
from tracker.models import (
    Issue,
    IssueActivity,
    IssueHash,
    Member,
    Release,
    Team,
)

logger = logging.getLogger(__name__)

Kind = IssueActivity.Kind
Status = Issue.Status
Substatus = Issue.Substatus


class ActionError(ValueError):
    """An action that makes no sense for these issues (merging one issue, a foreign team)."""


def _ids(issues: Iterable[Issue] | QuerySet[Issue]) -> list[int]:
    if isinstance(issues, QuerySet):
        return list(issues.values_list("pk", flat=True))
    return [issue.pk for issue in issues]


def _record(issue_ids: Iterable[int], user, kind: str, data: dict | None = None) -> None:
    IssueActivity.objects.bulk_create(
        [IssueActivity(issue_id=pk, user=user, kind=kind, data=data or {}) for pk in issue_ids]
    )


def _change(issue_ids: list[int], unchanged: Q, **values) -> list[int]:
    """Update the issues not already in the wanted state; return the ids that changed.

    The ids are read and updated under a row lock so the activity rows match the UPDATE.
    """
    with transaction.atomic():
        changing = list(
            Issue.objects.select_for_update()
            .filter(pk__in=issue_ids)
            .exclude(unchanged)
            .exclude(status=Status.MERGED)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        if changing:
            Issue.objects.filter(pk__in=changing).update(**values)
    return changing


_NOT_IGNORED = {"ignored_until": None, "ignored_until_times_seen": None}


def resolve(issues: Iterable[Issue], user) -> list[int]:
    changed = _change(
        _ids(issues), Q(status=Status.RESOLVED, resolved_in_release=None),
        status=Status.RESOLVED, substatus="", resolved_at=timezone.now(),
        resolved_in_release=None, **_NOT_IGNORED,
    )
    _record(changed, user, Kind.RESOLVED)
    return changed


def latest_release(project_id: int) -> Release | None:
    """The project's newest release right now, by when Errata first saw it."""
    return Release.objects.filter(projects=project_id).order_by("-created", "-pk").first()


def resolve_in_next_release(issues: Iterable[Issue], user) -> list[int]:
    """Resolve, but let only events of a release newer than today's latest reopen the issue.

    The pipeline's regression check compares an event's release with `resolved_in_release`;
    without any release to compare with this is a plain resolve.
    """
    by_project: dict[int, list[int]] = {}
    for pk, project_id in Issue.objects.filter(pk__in=_ids(issues)).values_list(
        "pk", "project_id"
    ):
        by_project.setdefault(project_id, []).append(pk)
    changed: list[int] = []
    for project_id, ids in by_project.items():
        release = latest_release(project_id)
        if release is None:
            changed += resolve([Issue(pk=pk) for pk in ids], user)
            continue
        changed += resolve_in_release([Issue(pk=pk) for pk in ids], user, release)
    return changed


def resolve_in_release(issues: Iterable[Issue], user, release: Release) -> list[int]:
    """Resolve so that only events of releases newer than `release` reopen the issues."""
    done = _change(
        _ids(issues), Q(status=Status.RESOLVED, resolved_in_release=release),
        status=Status.RESOLVED, substatus="", resolved_at=timezone.now(),
        resolved_in_release=release, **_NOT_IGNORED,
    )
    _record(done, user, Kind.RESOLVED_IN_RELEASE, {"version": release.version})
    return done


def unresolve(issues: Iterable[Issue], user) -> list[int]:
    """Back to unresolved, from resolved or ignored."""
    ids = _ids(issues)
    with transaction.atomic():
        previous = dict(
            Issue.objects.select_for_update()
            .filter(pk__in=ids, status__in=(Status.RESOLVED, Status.IGNORED))
            .values_list("pk", "status")
        )
        Issue.objects.filter(pk__in=previous).update(
            status=Status.UNRESOLVED, substatus=Substatus.ONGOING, resolved_at=None,
            resolved_in_release=None, **_NOT_IGNORED,
        )
    resolved = [pk for pk, status in previous.items() if status == Status.RESOLVED]
    ignored = [pk for pk, status in previous.items() if status == Status.IGNORED]
    _record(resolved, user, Kind.UNRESOLVED)
    _record(ignored, user, Kind.UNIGNORED, {"reason": "by hand"})
    return sorted(previous)


def ignore(
    issues: Iterable[Issue],
    user,
    *,
    duration: timedelta | None = None,
    more_events: int | None = None,
) -> list[int]:
    """Ignore forever, for a while, or until the issue has seen `more_events` more events.

    The pipeline brings an ignored issue back when its condition is met.
    """
    if more_events is not None and more_events < 1:
        raise ActionError("more_events must be at least 1")
    values: dict = {"status": Status.IGNORED, "resolved_at": None, "resolved_in_release": None}
    data: dict = {}
    if duration is None and more_events is None:
        values.update(substatus=Substatus.IGNORED_FOREVER, **_NOT_IGNORED)
    else:
        values["substatus"] = Substatus.IGNORED_UNTIL
        values["ignored_until"] = timezone.now() + duration if duration else None
        # Relative to each issue's own count, in the same UPDATE: no read-modify-write.
        values["ignored_until_times_seen"] = (
            F("times_seen") + more_events if more_events else None
        )
        if duration:
            data["until"] = values["ignored_until"].isoformat()
            data["minutes"] = int(duration.total_seconds() // 60)
        if more_events:
            data["more_events"] = more_events
    # An ignored issue is "unchanged" only if ignored forever and asked to be ignored forever.
    unchanged = Q(status=Status.IGNORED, substatus=Substatus.IGNORED_FOREVER) if not data else Q(
        pk__in=[]
    )
    changed = _change(_ids(issues), unchanged, **values)
    _record(changed, user, Kind.IGNORED, data)
    return changed


def assign(issues: Iterable[Issue], user, assignee=None, team: Team | None = None) -> list[int]:
    """Assign to a member (a user of the issues' organization), a team, or nobody."""
    ids = _ids(issues)
    org_ids = set(
        Issue.objects.filter(pk__in=ids).values_list("project__organization_id", flat=True)
    )
    if assignee is not None and team is not None:
        raise ActionError("assign to a member or a team, not both")
    if assignee is not None and Member.objects.filter(
        organization_id__in=org_ids, user=assignee
    ).count() != len(org_ids):
        raise ActionError("the assignee is not a member of the organization")
    if team is not None and org_ids != {team.organization_id}:
        raise ActionError("the team belongs to another organization")
    assignee_id = assignee.pk if assignee is not None else None
    team_id = team.pk if team is not None else None
    changed = _change(
        ids, Q(assignee_id=assignee_id, assignee_team_id=team_id),
        assignee_id=assignee_id, assignee_team_id=team_id,
    )
    if assignee is None and team is None:
        _record(changed, user, Kind.UNASSIGNED)
    elif assignee is not None:
        _record(changed, user, Kind.ASSIGNED,
                {"user_id": assignee.pk, "name": assignee.get_username()})
    else:
        _record(changed, user, Kind.ASSIGNED, {"team_id": team.pk, "name": f"#{team.slug}"})
    return changed


def comment(issue: Issue, user, text: str) -> IssueActivity:
    text = text.strip()
    if not text:
        raise ActionError("a comment needs some text")
    return IssueActivity.objects.create(
        issue=issue, user=user, kind=Kind.COMMENT, data={"text": text[:10_000]}
    )


def merge(issues: Iterable[Issue], user) -> Issue:
    """Merge issues of one project into the one with the most events; return that one.

    The sources' hashes move to the target, so their future events land there; their counts,
    hourly counts and tag values are added to the target's. Their events stay where they are
    (the target's pages include its merged issues), which is what makes `unmerge` exact.
    """
    chosen = list(
        Issue.objects.filter(pk__in=_ids(issues)).exclude(status=Status.MERGED)
        .order_by("-times_seen", "first_seen", "pk")
    )
    if len(chosen) < 2:
        raise ActionError("choose at least two issues to merge")
    if len({issue.project_id for issue in chosen}) > 1:
        raise ActionError("only issues of the same project can be merged")
    target, sources = chosen[0], chosen[1:]
    with transaction.atomic():
        # Lock the target first, then sources in id order: concurrent merges cannot deadlock.
        Issue.objects.select_for_update().filter(pk=target.pk).first()
        for source in sorted(sources, key=lambda s: s.pk):
            _merge_one(source, target, user)
    target.refresh_from_db()
    return target


def _merge_one(source: Issue, target: Issue, user) -> None:
    locked = Issue.objects.select_for_update().filter(pk=source.pk).exclude(
        status=Status.MERGED
    ).first()
    if locked is None:
        return
    hashes = list(IssueHash.objects.filter(issue=locked).values_list("hash", flat=True))
    IssueHash.objects.filter(issue=locked).update(issue=target)
    Issue.objects.filter(pk=locked.pk).update(status=Status.MERGED, merged_into=target)
    Issue.objects.filter(pk=target.pk).update(
        times_seen=F("times_seen") + locked.times_seen,
        users_seen=F("users_seen") + locked.users_seen,
        first_seen=Least(F("first_seen"), Value(locked.first_seen, DateTimeField())),
        last_seen=Greatest(F("last_seen"), Value(locked.last_seen, DateTimeField())),
    )
    issue_counts.move(locked.pk, target.pk, sign=1)
    IssueActivity.objects.create(
        issue=locked, user=user, kind=Kind.MERGED,
        data={
            "into": target.pk, "into_title": target.title, "hashes": hashes,
            "times_seen": locked.times_seen, "users_seen": locked.users_seen,
            "status": locked.status, "substatus": locked.substatus,
        },
    )
    IssueActivity.objects.create(
        issue=target, user=user, kind=Kind.MERGED,
        data={"source": locked.pk, "source_title": locked.title,
              "times_seen": locked.times_seen},
    )


def unmerge(source: Issue, user) -> Issue:
    """Undo `merge` for one merged issue: its hashes and counts go back to it."""
    record = (
        IssueActivity.objects.filter(issue=source, kind=Kind.MERGED, data__has_key="into")
        .order_by("-created", "-pk").first()
    )
    if source.status != Status.MERGED or source.merged_into_id is None or record is None:
        raise ActionError("this issue is not merged")
    data = record.data
    target_id = source.merged_into_id
    with transaction.atomic():
        list(Issue.objects.select_for_update().filter(pk__in=[target_id, source.pk])
             .order_by("pk").values_list("pk", flat=True))
        IssueHash.objects.filter(
            project_id=source.project_id, issue_id=target_id, hash__in=data.get("hashes", [])
        ).update(issue=source)
        Issue.objects.filter(pk=target_id).update(
            times_seen=Greatest(F("times_seen") - data.get("times_seen", 0), 0),
            users_seen=Greatest(F("users_seen") - data.get("users_seen", 0), 0),
        )
        issue_counts.move(source.pk, target_id, sign=-1)
        Issue.objects.filter(pk=source.pk).update(
            status=data.get("status") or Status.UNRESOLVED,
            substatus=data.get("substatus", Substatus.ONGOING), merged_into=None,
        )
        IssueActivity.objects.create(
            issue=source, user=user, kind=Kind.UNMERGED, data={"from": target_id}
        )
        IssueActivity.objects.create(
            issue_id=target_id, user=user, kind=Kind.UNMERGED,
            data={"source": source.pk, "source_title": source.title},
        )
    source.refresh_from_db()
    return source


# Issues that see new events: regressions and ignored issues returning (docs/pipeline.md §7.4).
# The digest calls these inside its transaction. Decided with conditional UPDATEs, so when
# several workers see the same issue come back, only the one whose UPDATE changed the row
# records the activity.


@dataclass(frozen=True, slots=True)
class NewEvent:
    event_id: str
    timestamp: datetime
    release_id: int | None
    version: str


@dataclass(frozen=True, slots=True)
class StateChange:
    issue_id: int
    kind: str  # "regression" or "unignored"
    event_id: str

def events_arrived(by_issue: dict[int, list[NewEvent]]) -> list[StateChange]:
    """Reopen the resolved issues these events regress, and return the ignored ones whose
    condition is met."""
    issues = Issue.objects.filter(
        pk__in=by_issue, status__in=(Status.RESOLVED, Status.IGNORED)
    ).select_related("resolved_in_release").order_by("pk")
    changes = []
    for issue in issues:
        events = by_issue[issue.pk]
        if issue.status == Status.RESOLVED:
            change = _regress(issue, events)
        else:
            change = _unignore(issue, events)
        if change is not None:
            changes.append(change)
    return changes


def regresses(issue: Issue, event: NewEvent, releases: dict[int, Release]) -> bool:
    if issue.resolved_at is not None and event.timestamp <= issue.resolved_at:
        return False  # a late event from before the fix never reopens the issue
    fixed_in = issue.resolved_in_release
    if fixed_in is None:
        return True
    release = releases.get(event.release_id) if event.release_id else None
    # Without a release we cannot tell whether the event runs the fixed code.
    return release is not None and release.is_newer_than(fixed_in)


def _regress(issue: Issue, events: list[NewEvent]) -> StateChange | None:
    release_ids = {e.release_id for e in events if e.release_id}
    releases = Release.objects.in_bulk(release_ids) if release_ids else {}
    trigger = next((e for e in sorted(events, key=lambda e: e.timestamp)
                    if regresses(issue, e, releases)), None)
    if trigger is None:
        return None
    reopened = Issue.objects.filter(pk=issue.pk, status=Status.RESOLVED).update(
        status=Status.UNRESOLVED, substatus=Substatus.REGRESSED, resolved_at=None,
        resolved_in_release=None,
    )
    if not reopened:
        return None
    IssueActivity.objects.create(
        issue_id=issue.pk, kind=Kind.REGRESSION,
        data={
            "event_id": trigger.event_id,
            "version": trigger.version,
            "resolved_in_version": issue.resolved_in_release.version
            if issue.resolved_in_release else None,
        },
    )
    return StateChange(issue.pk, "regression", trigger.event_id)


def _unignore(issue: Issue, events: list[NewEvent]) -> StateChange | None:
    now = timezone.now()
    due = (issue.ignored_until is not None and now >= issue.ignored_until) or (
        issue.ignored_until_times_seen is not None
        and issue.times_seen >= issue.ignored_until_times_seen
    )
    if not due:
        return None
    returned = Issue.objects.filter(pk=issue.pk, status=Status.IGNORED).update(
        status=Status.UNRESOLVED, substatus=Substatus.ESCALATING,
        ignored_until=None, ignored_until_times_seen=None, resolved_at=None,
    )
    if not returned:
        return None
    IssueActivity.objects.create(
        issue_id=issue.pk, kind=Kind.UNIGNORED,
        data={"event_id": events[-1].event_id, "reason": "condition met"},
    )
    return StateChange(issue.pk, "unignored", events[-1].event_id)


def delete(issues: Iterable[Issue], user) -> int:
    """Delete issues, their merged issues and their events. Their hashes go too, so new
    events with those hashes start a new issue. The activity goes with the issue, so the
    deletion is logged instead. Attachment files go once this commits
    (tracker.attachment_files)."""
    ids = _with_merged(_ids(issues))
    logger.info("user %s deleted issues %s", getattr(user, "pk", None), ids)
    deleted, _ = Issue.objects.filter(pk__in=ids).delete()
    return len(ids) if deleted else 0


def delete_expired(issue_ids: list[int], cutoff: datetime) -> int:
    """Retention: delete the issues whose last event is older than `cutoff`; return how many.

    Checked again under the rows' locks (in id order, as the digest takes them), so an issue
    an event reached meanwhile is kept. Every event of such an issue is older than the
    cutoff, including those of issues merged into it (merging keeps the latest last_seen).
    """
    with transaction.atomic():
        expired = list(
            Issue.objects.select_for_update().filter(pk__in=issue_ids, last_seen__lt=cutoff)
            .order_by("pk").values_list("pk", flat=True)
        )
        if expired:
            Issue.objects.filter(pk__in=expired).delete()
    return len(expired)


def delete_and_discard(issues: Iterable[Issue], user) -> list:
    """Delete issues and drop future events that hash like them (tracker.discards)."""
    ids = _ids(issues)
    # A merged issue's hashes already belong to its target; discarding the target covers them.
    children = _with_merged(ids)
    if len(children) > len(ids):
        Issue.objects.filter(pk__in=set(children) - set(ids)).delete()
    return discard_issues(list(Issue.objects.filter(pk__in=ids).select_related("project")),
                          user)


def _with_merged(ids: list[int]) -> list[int]:
    """The issues and, transitively, the issues merged into them."""
    found = list(ids)
    frontier = list(ids)
    while frontier:
        frontier = list(
            Issue.objects.filter(merged_into__in=frontier).exclude(pk__in=found)
            .values_list("pk", flat=True)
        )
        found += frontier
    return found


def merged_family(issue_id: int) -> list[int]:
    """The issue and every issue merged into it: whose events its pages show."""
    return _with_merged([issue_id])


def set_priority(issues: Iterable[Issue], user, priority: int) -> list[int]:
    changed = _change(_ids(issues), Q(priority=priority), priority=priority)
    _record(changed, user, Kind.PRIORITY, {"priority": priority})
    return changed
