"""The read API, shaped like Sentry's (`/api/0/...`), scoped to the token user's organizations.

Objects of other organizations are 404s, exactly like objects that don't exist. Issue lists
page with keyset cursors in a `Link` header, the way Sentry's clients expect: each link says
whether it has results (`results="true"`) and carries its cursor.
"""

from __future__ import annotations

import uuid

from django.db.models import Count, Q
from django.http import FileResponse, Http404
from rest_framework.decorators import api_view
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import search
from tracker.access import get_membership, get_project, visible_projects
from tracker.api import serializers
from tracker.api.pagination import Cursor, keyset_page, link_header
from tracker.api.scopes import scoped
from tracker.models import Attachment, Event, Issue, IssueActivity

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
DEFAULT_QUERY = "is:unresolved"
# `sort` values as Sentry names them, and the column each orders by (descending).
SORTS = {"date": "last_seen", "new": "first_seen", "freq": "times_seen", "user": "users_seen"}


@api_view(["GET"])
@scoped(GET="org:read")
def organization_projects(request: Request, org_slug: str) -> Response:
    membership = get_membership(request.user, org_slug)
    projects = (
        visible_projects(membership)
        .select_related("organization")
        .order_by("slug")
    )
    return Response([serializers.serialize_project(p) for p in projects])


@api_view(["GET"])
@scoped(GET="event:read")
def project_event(request: Request, org_slug: str, project_slug: str, event_id: str) -> Response:
    project = get_project(request.user, org_slug, project_slug)
    try:
        wanted = uuid.UUID(event_id)
    except ValueError:
        raise Http404("No such event.") from None
    event = Event.objects.filter(project=project, event_id=wanted).first()
    if event is None:
        raise Http404("No such event.")
    return Response(serializers.serialize_event(event))


def _event_attachments(request: Request, org_slug: str, project_slug: str, event_id: str):
    """The attachments stored for an event id of a visible project: those of a stored event,
    and those sent apart whose event has not come (yet). 404 when there is neither."""
    project = get_project(request.user, org_slug, project_slug)
    try:
        wanted = uuid.UUID(event_id)
    except ValueError:
        raise Http404("No such event.") from None
    attachments = Attachment.objects.filter(project=project, event_id=wanted).order_by("pk")
    if not attachments.exists() and not Event.objects.filter(
            project=project, event_id=wanted).exists():
        raise Http404("No such event.")
    return attachments


@api_view(["GET"])
@scoped(GET="event:read")
def event_attachments(request: Request, org_slug: str, project_slug: str,
                      event_id: str) -> Response:
    attachments = _event_attachments(request, org_slug, project_slug, event_id)
    query = (request.query_params.get("query") or "").strip()
    if query:
        attachments = attachments.filter(name__icontains=query)
    return Response([serializers.serialize_attachment(a) for a in attachments])


@api_view(["GET"])
@scoped(GET="event:read")
def event_attachment(request: Request, org_slug: str, project_slug: str, event_id: str,
                     attachment_id: int):
    """One attachment's details; with `?download`, its bytes (Sentry's route and parameter)."""
    attachment = _event_attachments(request, org_slug, project_slug, event_id).filter(
        pk=attachment_id).first()
    if attachment is None:
        raise Http404("No such attachment.")
    if "download" in request.query_params:
        # Opaque bytes as a download, whatever the client claimed: never rendered as a page.
        return FileResponse(attachment.file.open("rb"), as_attachment=True,
                            filename=attachment.name, content_type="application/octet-stream")
    return Response(serializers.serialize_attachment(attachment))


@api_view(["GET"])
@scoped(GET="event:read")
def project_issues(request: Request, org_slug: str, project_slug: str) -> Response:
    project = get_project(request.user, org_slug, project_slug)
    limit = limit_param(request)
    sort = request.query_params.get("sort", "date")
    column = SORTS.get(sort)
    if column is None:
        raise ParseError(f"sort must be one of {', '.join(SORTS)}")
    cursor = Cursor.parse(request.query_params.get("cursor"))

    issues = (
        Issue.objects.filter(project=project)
        .exclude(status=Issue.Status.MERGED)
        .filter(_query_filter(request))
        .select_related("project__organization", "assignee", "assignee_team",
                        "resolved_in_release")
    )
    page, has_more = keyset_page(issues, column, cursor, limit)
    comments = _comment_counts(page)
    response = Response([serializers.serialize_issue(i, comments.get(i.pk, 0)) for i in page])
    response["Link"] = link_header(request, page, column, cursor, has_more)
    return response


def limit_param(request: Request, default: int = DEFAULT_LIMIT) -> int:
    raw = request.query_params.get("limit") or request.query_params.get("per_page")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise ParseError(f"limit must be between 1 and {MAX_LIMIT}")
    return int(raw)


def _query_filter(request: Request) -> Q:
    query = request.query_params.get("query")
    parsed = search.parse(DEFAULT_QUERY if query is None else query)
    condition = search.to_filter(parsed, request.user)
    if parsed.errors:
        raise ParseError("; ".join(parsed.errors))
    return condition


def _comment_counts(page: list[Issue]) -> dict[int, int]:
    if not page:
        return {}
    rows = (
        IssueActivity.objects.filter(issue__in=page, kind=IssueActivity.Kind.COMMENT)
        .values("issue_id")
        .annotate(n=Count("id"))
    )
    return {row["issue_id"]: row["n"] for row in rows}
