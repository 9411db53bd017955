"""Assigning events to issues, race-safe (docs/pipeline.md §6).

Every hash of a project has one IssueHash row (unique on project + hash). An event's rows are
created first, outside any lock; creating an issue then locks exactly those rows (ordered by
id, so overlapping hash sets cannot deadlock), checks again, and either creates the issue and
points the rows at it, or finds that a concurrent worker just did and joins that issue. Both
happen in one short transaction, so a waiting worker sees either no issue or a fully linked
one. On SQLite the IMMEDIATE transaction mode gives the same guarantee: one writer at a time.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from ingest.digest.prepare import Prepared
from tracker.models import Issue, IssueHash, Priority


class _Rows:
    """IssueHash rows of one batch, by (project_id, hash); kept current as issues appear."""

    def __init__(self) -> None:
        self.by_key: dict[tuple[int, str], IssueHash] = {}

    def load(self, events: Iterable[Prepared]) -> None:
        wanted = {(p.project.pk, h) for p in events for h in p.hashes}
        if not wanted:
            return
        projects = {pid for pid, _ in wanted}
        hashes = {h for _, h in wanted}
        self._add(IssueHash.objects.filter(project_id__in=projects, hash__in=hashes))
        missing = wanted - self.by_key.keys()
        if missing:
            IssueHash.objects.bulk_create(
                [IssueHash(project_id=pid, hash=h) for pid, h in sorted(missing)],
                ignore_conflicts=True,  # another worker may create the same rows right now
            )
            self._add(IssueHash.objects.filter(
                project_id__in={pid for pid, _ in missing}, hash__in={h for _, h in missing}
            ))

    def _add(self, rows: Iterable[IssueHash]) -> None:
        for row in rows:
            self.by_key[(row.project_id, row.hash)] = row

    def of(self, event: Prepared) -> list[IssueHash]:
        return [self.by_key[(event.project.pk, h)] for h in event.hashes]


def assign_all(events: list[Prepared]) -> None:
    """Set `issue_id`, `is_new_issue` or `discarded_id` on every event, in order."""
    rows = _Rows()
    rows.load(events)
    for event in events:
        _assign(event, rows)


def _first_match(rows: list[IssueHash]) -> tuple[int | None, int | None]:
    """(issue_id, discarded_id) of the first row, in hash order, that has either."""
    for row in rows:
        if row.issue_id is not None:
            return row.issue_id, None
        if row.discarded_id is not None:
            return None, row.discarded_id
    return None, None


def _assign(event: Prepared, rows: _Rows) -> None:
    mine = rows.of(event)
    issue_id, discarded_id = _first_match(mine)
    if issue_id is None and discarded_id is None:
        issue_id, discarded_id = _create_or_join(event, mine)
    if discarded_id is not None:
        event.discarded_id = discarded_id
        return
    event.issue_id = issue_id
    orphans = [r for r in mine if r.issue_id is None and r.discarded_id is None]
    if orphans:
        # New hashes of an existing issue join it (e.g. a new system hash for known app frames).
        IssueHash.objects.filter(
            id__in=[r.pk for r in orphans], issue__isnull=True, discarded__isnull=True
        ).update(issue_id=issue_id)
        for r in orphans:
            r.issue_id = issue_id


def _create_or_join(event: Prepared, mine: list[IssueHash]) -> tuple[int | None, int | None]:
    ids = [r.pk for r in mine]
    with transaction.atomic():
        locked = {
            r.pk: r
            for r in IssueHash.objects.select_for_update().filter(id__in=ids).order_by("id")
        }
        fresh = [locked[r.pk] for r in mine]  # back in hash order for the lookup
        issue_id, discarded_id = _first_match(fresh)
        if issue_id is None and discarded_id is None:
            issue = _create_issue(event)
            IssueHash.objects.filter(
                id__in=ids, issue__isnull=True, discarded__isnull=True
            ).update(issue=issue)
            issue_id = issue.pk
            event.is_new_issue = True
    for row, current in zip(mine, fresh, strict=True):
        row.issue_id = issue_id if row.discarded_id is None else row.issue_id
        row.discarded_id = current.discarded_id
    return issue_id, discarded_id


def _create_issue(event: Prepared) -> Issue:
    # times_seen starts at 0: the batch's aggregate step counts every stored event, this one
    # included, so a crash between the two steps can never count an event twice.
    return Issue.objects.create(
        project=event.project,
        short_id=event.project.next_short_id(),
        type=event.data.get("type") or "error",
        title=event.title[:512],
        culprit=event.culprit[:256],
        level=event.level,
        platform=event.data.get("platform", "")[:32],
        handling=event.handling,
        priority=event.priority or Priority.HIGH,
        first_seen=event.timestamp,
        last_seen=event.timestamp,
        times_seen=0,
        first_release_id=event.release_id,
        last_release_id=event.release_id,
        data={"title": event.title, "culprit": event.culprit, "metadata": event.metadata},
        search_text=event.search_text,
    )
