"""Organization-level API routes that belong to no other concept (the organization's
projects) and an event's attachments. Issues are in tracker.api.issues, events in
tracker.api.events, outcome stats in tracker.api.stats.

Objects of other organizations are 404s, exactly like objects that don't exist.
"""

from __future__ import annotations

import uuid

from django.http import FileResponse, Http404
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.access import get_membership, get_project, visible_projects
from tracker.api import schema as S
from tracker.api import serializers
from tracker.api.schema import array, documented
from tracker.api.scopes import scoped
from tracker.models import Attachment, Event


@documented("GET", "List an Organization's Projects", "org:read", array(S.PROJECT),
            tag="Organizations")
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
