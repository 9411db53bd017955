"""Events in the API: a project's events, one event, and the helpers the issue routes use
to find an issue's events (its own and those of issues merged into it)."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet
from django.http import Http404
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.access import get_project
from tracker.actions import merged_family
from tracker.api import schema as S
from tracker.api import serializers
from tracker.api.pagination import Cursor, keyset_page, link_header
from tracker.api.params import limit_param, time_range
from tracker.api.schema import array, documented
from tracker.api.scopes import scoped
from tracker.models import Event
from tracker.models.events import event_id_hex


def serialize_event_summary(event: Event) -> dict:
    """Sentry's short event shape (lists without `full`)."""
    data = event.data or {}
    full = serializers.serialize_event(event)
    return {
        "id": full["id"], "eventID": full["eventID"], "event.type": full["type"],
        "groupID": full["groupID"], "projectID": full["projectID"],
        "title": full["title"], "message": full["message"] or event.title,
        "location": full["location"], "culprit": full["culprit"],
        "platform": full["platform"], "dateCreated": full["dateCreated"],
        "user": data.get("user") or None, "tags": full["tags"],
        "metadata": full["metadata"], "crashFile": None,
    }


def paged_events(request: Request, events: QuerySet[Event]) -> Response:
    """A page of events, newest first, as full payloads with `full=true` (or `1`)."""
    full = request.query_params.get("full", "").lower() in ("1", "true", "yes")
    cursor = Cursor.parse(request.query_params.get("cursor"))
    page, has_more = keyset_page(events, "timestamp", cursor,
                                 limit_param(request, default=100))
    serialize = serializers.serialize_event if full else serialize_event_summary
    response = Response([serialize(e) for e in page])
    response["Link"] = link_header(request, page, "timestamp", cursor, has_more)
    return response


def filtered(request: Request, events: QuerySet[Event]) -> QuerySet[Event]:
    """`statsPeriod`/`start`/`end`, `environment` and `level` (by name), when given."""
    bounds = time_range(request, default=None)
    if bounds is not None:
        events = events.filter(timestamp__gte=bounds[0], timestamp__lte=bounds[1])
    environments = [e for e in request.query_params.getlist("environment") if e]
    if environments:
        events = events.filter(environment__in=environments)
    return events


def family_events(issue_id: int) -> QuerySet[Event]:
    """An issue's events, including those of issues merged into it."""
    family = merged_family(issue_id)
    return Event.objects.filter(issue_id__in=family) if len(family) > 1 else (
        Event.objects.filter(issue_id=issue_id))


def latest_event_of(issue_ids: list[int]) -> Event | None:
    return Event.objects.filter(issue_id__in=issue_ids).order_by("-timestamp", "-id").first()


def neighbours(event: Event, events: QuerySet[Event]) -> dict[str, str | None]:
    """`previousEventID`/`nextEventID` within the issue, by time."""
    before = events.filter(Q(timestamp__lt=event.timestamp) | Q(
        timestamp=event.timestamp, id__lt=event.pk)).order_by("-timestamp", "-id").first()
    after = events.filter(Q(timestamp__gt=event.timestamp) | Q(
        timestamp=event.timestamp, id__gt=event.pk)).order_by("timestamp", "id").first()
    return {"previousEventID": event_id_hex(before.event_id) if before else None,
            "nextEventID": event_id_hex(after.event_id) if after else None}


def parse_event_id(event_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(event_id)
    except ValueError:
        raise Http404("No such event.") from None


@documented("GET", "List a Project's Error Events", "event:read",
            array(S.EVENT_OR_SUMMARY), paged=True, tag="Events",
            parameters=[S.FULL, S.CURSOR, S.LIMIT, S.STATS_PERIOD, S.START, S.END,
                        S.ENVIRONMENT])
@api_view(["GET"])
@scoped(GET="event:read")
def project_events(request: Request, org_slug: str, project_slug: str) -> Response:
    project = get_project(request.user, org_slug, project_slug)
    return paged_events(request, filtered(request, Event.objects.filter(project=project)))


@documented("GET", "Retrieve an Event for a Project", "event:read", S.EVENT, tag="Events")
@api_view(["GET"])
@scoped(GET="event:read")
def project_event(request: Request, org_slug: str, project_slug: str, event_id: str) -> Response:
    project = get_project(request.user, org_slug, project_slug)
    events = Event.objects.filter(project=project)
    event = events.filter(event_id=parse_event_id(event_id)).first()
    if event is None:
        raise Http404("No such event.")
    body = serializers.serialize_event(event)
    body.update(neighbours(event, events.filter(issue_id=event.issue_id)))
    return Response(body)

