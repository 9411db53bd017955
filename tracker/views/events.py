"""Events of an issue: one event with its neighbours, the event list, raw JSON, attachments.

An issue's events include those of the issues merged into it (merging moves hashes, not
events, so that it can be undone). Events are ordered by (timestamp, id), which the
(issue, timestamp) index serves.
"""

from __future__ import annotations

import contextlib
import json
import uuid

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from tracker import actions, event_errors
from tracker.access import get_membership, visible_projects
from tracker.models import Attachment, Event, Issue, Member
from tracker.trace import TraceView

EVENT_PAGE = 20
INLINE_LIMIT = 512 * 1024
_TEXT_TYPES = ("text/", "application/json", "application/x-ndjson", "application/xml")
_TEXT_SUFFIXES = (".txt", ".log", ".json", ".csv", ".xml", ".yaml", ".yml", ".md")

_LIST_FIELDS = ("event_id", "timestamp", "level", "title", "release", "environment",
                "user_key", "handling", "issue_id")


def _ordered(family: list[int], newest_first: bool = True):
    order = ("-timestamp", "-pk") if newest_first else ("timestamp", "pk")
    return Event.objects.filter(issue_id__in=family).order_by(*order)


def _neighbour(family: list[int], event: Event, older: bool) -> str | None:
    if older:
        after = Q(timestamp__lt=event.timestamp) | Q(timestamp=event.timestamp, pk__lt=event.pk)
    else:
        after = Q(timestamp__gt=event.timestamp) | Q(timestamp=event.timestamp, pk__gt=event.pk)
    found = _ordered(family, newest_first=older).filter(after).values_list(
        "event_id", flat=True
    ).first()
    return found.hex if found else None


def event_context(
    issue: Issue, family: list[int], event: Event | None, trace: TraceView | None = None
) -> dict:
    """The shown event (the latest if none is given), its neighbours and recent events,
    its stack traces shown as `trace` says."""
    if event is None:
        event = _ordered(family).first()
    recent = list(_ordered(family).only(*_LIST_FIELDS)[: EVENT_PAGE + 1])
    context: dict = {
        "event": event, "older": None, "newer": None, "attachments": [],
        "trace": trace or TraceView(),
        "recent_events": recent[:EVENT_PAGE],
        "events_cursor": _cursor(recent[EVENT_PAGE - 1]) if len(recent) > EVENT_PAGE else "",
    }
    if event is not None:
        context["older"] = _neighbour(family, event, older=True)
        context["newer"] = _neighbour(family, event, older=False)
        context["processing_errors"] = event_errors.explain(event.data, issue.project)
        context["attachments"] = list(
            Attachment.objects.filter(project_id=issue.project_id, event_id=event.event_id)
            .order_by("name")
        )
    return context


def scoped_issue(request: HttpRequest, org_slug: str, issue_id: int) -> tuple[Member, Issue]:
    """The issue if it belongs to one of the user's organizations; 404 otherwise."""
    membership = get_membership(request.user, org_slug)
    issue = (
        Issue.objects.select_related(
            "project", "first_release", "last_release", "assignee", "assignee_team",
            "merged_into", "resolved_in_release",
        )
        .filter(pk=issue_id, project__in=visible_projects(membership))
        .first()
    )
    if issue is None:
        raise Http404("No such issue.")
    return membership, issue


def _cursor(event: Event) -> str:
    return f"{event.timestamp.isoformat()}~{event.pk}"


def find_event(issue: Issue, family: list[int], ref: str) -> Event:
    if ref in ("latest", "newest", "oldest"):
        event = _ordered(family, newest_first=ref != "oldest").first()
    else:
        try:
            event_id = uuid.UUID(ref)
        except ValueError:
            raise Http404("No such event.") from None
        event = Event.objects.filter(
            project_id=issue.project_id, event_id=event_id, issue_id__in=family
        ).first()
    if event is None:
        raise Http404("No such event.")
    return event


@require_GET
@login_required
@vary_on_headers("HX-Request")
def event_list(request: HttpRequest, org_slug: str, issue_id: int) -> HttpResponse:
    """All events of the issue, newest first, a page at a time."""
    membership, issue = scoped_issue(request, org_slug, issue_id)
    family = actions.merged_family(issue.pk)
    events = _ordered(family).only(*_LIST_FIELDS)
    time, _, pk = request.GET.get("cursor", "").partition("~")
    if pk.isdigit():
        try:
            events = events.filter(Q(timestamp__lt=time) | Q(timestamp=time, pk__lt=int(pk)))
        except (ValueError, TypeError):
            raise Http404("Bad cursor.") from None
    rows = list(events[: EVENT_PAGE + 1])
    context = {
        "org": membership.organization, "project": issue.project, "issue": issue,
        "recent_events": rows[:EVENT_PAGE],
        "events_cursor": _cursor(rows[EVENT_PAGE - 1]) if len(rows) > EVENT_PAGE else "",
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "events/list.html#rows", context)
    return render(request, "events/list.html", context)


@require_GET
@login_required
def event_json(request: HttpRequest, org_slug: str, issue_id: int, event_ref: str):
    _, issue = scoped_issue(request, org_slug, issue_id)
    event = find_event(issue, actions.merged_family(issue.pk), event_ref)
    # JSON with an explicit type (and nosniff from SecurityMiddleware): never rendered as HTML.
    return JsonResponse(event.data, json_dumps_params={"indent": 2})


def _scoped_attachment(
    request: HttpRequest, org_slug: str, attachment_id: int
) -> tuple[Member, Attachment]:
    membership = get_membership(request.user, org_slug)
    attachment = Attachment.objects.filter(
        pk=attachment_id, project__in=visible_projects(membership)
    ).first()
    if attachment is None:
        raise Http404("No such attachment.")
    return membership, attachment


@require_GET
@login_required
def attachment_download(request: HttpRequest, org_slug: str, attachment_id: int):
    _, attachment = _scoped_attachment(request, org_slug, attachment_id)
    # Always a download of opaque bytes: an uploaded HTML file must not run on our origin.
    return FileResponse(
        attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
        content_type="application/octet-stream",
    )


def is_viewable(attachment: Attachment) -> bool:
    return attachment.size <= INLINE_LIMIT and (
        attachment.content_type.startswith(_TEXT_TYPES)
        or attachment.name.lower().endswith(_TEXT_SUFFIXES)
    )


@require_GET
@login_required
def attachment_view(request: HttpRequest, org_slug: str, attachment_id: int):
    """Text and JSON attachments shown in a page, as escaped text."""
    membership, attachment = _scoped_attachment(request, org_slug, attachment_id)
    if not is_viewable(attachment):
        raise Http404("This attachment can only be downloaded.")
    with attachment.file.open("rb") as f:
        text = f.read(INLINE_LIMIT).decode("utf-8", errors="replace")
    if "json" in attachment.content_type or attachment.name.lower().endswith(".json"):
        # Not valid JSON after all: show it as it is.
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    issue = Issue.objects.filter(pk=attachment.issue_id).select_related("project").first()
    return render(request, "events/attachment.html", {
        "org": membership.organization, "attachment": attachment,
        "text": text, "issue": issue, "project": issue.project if issue else None,
    })
