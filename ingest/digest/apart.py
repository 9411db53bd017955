"""Attachments and feedback that come apart from their event (docs/pipeline.md §8.5).

SDKs send large attachments and minidumps in an envelope of their own, named by the event's id
in the envelope header: after the event, or (crash reporters, a slow digest) before it is
stored. User feedback often arrives before its event is digested too. Nothing of this is
dropped: each item is stored when it arrives, on its event's issue when that event is stored,
otherwise *waiting* (no issue). When the event is stored, the items waiting for it move onto its
issue in the event's own transaction (`link_arrived`); the periodic inbox sweep links those a
race between two workers left behind (`link_stragglers`). An attachment still waiting once
`ORPHAN_ATTACHMENT_WINDOW` has passed is an *orphan*: it is kept (its outcome was recorded as
accepted when it was stored, and retention removes it like any other), and the project's
settings list it. Its event may still come: it is linked then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Model

from ingest.models import InboxItem
from tracker.models import Attachment, Event, Project, UserReport
from tracker.models.events import event_id_hex

STRAGGLER_BATCH = 500


@dataclass
class Standalone:
    """An inbox row that carries attachments without their event: saved like an event's
    attachments (ingest.digest.batch), on the issue of the event it names if that is stored."""

    item: InboxItem
    project: Project
    event_id: str  # 32 lowercase hex
    issue_id: int | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)


def carries_standalone_attachments(item: InboxItem) -> bool:
    return item.kind != InboxItem.Kind.EVENT and bool(item.attachments) and bool(item.event_id)


def standalone(items: Iterable[InboxItem], projects: dict[int, Project]) -> list[Standalone]:
    """The rows of a batch that carry attachments without their event, each with the issue
    of its event if that is stored (one query). Called after the batch's events committed, so
    an event and its attachments digested in the same batch find each other."""
    found = [
        Standalone(i, projects[i.project_id], event_id_hex(i.event_id),
                   attachments=list(i.attachments))
        for i in items
        if i.event_id is not None and carries_standalone_attachments(i)
        and i.project_id in projects
    ]
    if found:
        issues = stored_issues({(s.project.pk, s.event_id) for s in found})
        for s in found:
            s.issue_id = issues.get((s.project.pk, s.event_id))
    return found


def stored_issues(keys: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    """(project id, event id hex) -> issue id, for the events among `keys` that are stored."""
    if not keys:
        return {}
    rows = Event.objects.filter(
        project_id__in={p for p, _ in keys}, event_id__in={e for _, e in keys}
    ).values_list("project_id", "event_id", "issue_id")
    found = {(p, event_id_hex(e)): i for p, e, i in rows}
    return {k: i for k, i in found.items() if k in keys}


def link_arrived(events: dict[tuple[int, str], int]) -> int:
    """Move the attachments and feedback waiting for these just-stored events onto their
    issues; `events` maps (project id, event id hex) to the issue id. Returns how many moved."""
    if not events:
        return 0
    return sum(_link(model, events) for model in (Attachment, UserReport))


def _link(model: type[Model], events: dict[tuple[int, str], int]) -> int:
    waiting = model._default_manager.filter(
        issue__isnull=True, project_id__in={p for p, _ in events},
        event_id__in={e for _, e in events},
    ).values_list("pk", "project_id", "event_id")
    by_issue: dict[int, list[int]] = defaultdict(list)
    for pk, project_id, event_id in waiting:
        issue_id = events.get((project_id, event_id_hex(event_id)))
        if issue_id is not None:
            by_issue[issue_id].append(pk)
    for issue_id, pks in by_issue.items():
        model._default_manager.filter(pk__in=pks, issue__isnull=True).update(issue_id=issue_id)
    return sum(len(pks) for pks in by_issue.values())


def link_stragglers(now: datetime, *, since: datetime | None = None) -> int:
    """Waiting attachments and feedback whose event is stored after all: an event committed
    by one worker while another stored its attachments. Looks back over the orphan window."""
    since = since or now - orphan_window()
    moved = 0
    for model in (Attachment, UserReport):
        waiting = list(
            model._default_manager.filter(
                issue__isnull=True, event_id__isnull=False, created__gte=since,
            ).values_list("project_id", "event_id")[:STRAGGLER_BATCH]
        )
        events = stored_issues({(p, event_id_hex(e)) for p, e in waiting if e is not None})
        moved += _link(model, events) if events else 0
    return moved


def orphan_window() -> timedelta:
    return timedelta(seconds=settings.ERRATA["ORPHAN_ATTACHMENT_WINDOW"])
