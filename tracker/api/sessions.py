"""`GET /api/0/organizations/{org}/sessions/`: release health as Sentry's API serves it.

The parameters are Sentry's (`field`, `groupBy`, `statsPeriod` or `start`/`end`, `interval`,
`project`, `environment`, `query`); the numbers come from tracker/release_health.py.
Sessions are kept per hour, so intervals are whole hours.
"""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime, timedelta

from django.http import Http404
from django.utils import timezone
from rest_framework.decorators import api_view
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import release_health
from tracker.access import get_membership
from tracker.api.scopes import scoped
from tracker.models import Project

DEFAULT_PERIOD = "24h"
DEFAULT_INTERVAL = "1h"
MAX_INTERVALS = 1000
_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# The filters `query` understands, and the keyword each fills.
QUERY_KEYS = {"release": "releases", "environment": "environments"}


@api_view(["GET"])
@scoped(GET="org:read")
def organization_sessions(request: Request, org_slug: str) -> Response:
    organization = get_membership(request.user, org_slug).organization
    params = request.query_params
    fields = params.getlist("field")
    if not fields:
        raise ParseError('Request is missing a "field"')
    interval = _duration(params.get("interval") or DEFAULT_INTERVAL, "interval")
    if interval < timedelta(hours=1) or interval % timedelta(hours=1):
        raise ParseError("The interval has to be a multiple of one hour (1h).")
    start, end = _range(params)
    start, end = release_health.aligned(start, end, interval)
    if (end - start) / interval > MAX_INTERVALS:
        raise ParseError("Your interval and date range would create too many results. "
                         "Use a larger interval, or a smaller date range.")
    filters = _query(params.get("query", ""))
    try:
        result = release_health.query(release_health.SessionQuery(
            project_ids=_projects(organization, params.getlist("project")),
            start=start, end=end, interval=interval, fields=tuple(fields),
            group_by=tuple(params.getlist("groupBy")),
            environments=tuple(params.getlist("environment")) + filters["environments"],
            releases=filters["releases"],
        ))
    except release_health.QueryError as e:
        raise ParseError(str(e)) from e
    return Response({**result, "query": params.get("query", "")})


def _duration(value: str, name: str) -> timedelta:
    match = _DURATION.match(value.strip())
    if match is None:
        raise ParseError(f"Invalid {name}: {value!r} (expected a number and one of s, m, h, d, "
                         "w, such as 24h or 14d)")
    return timedelta(**{_UNITS[match[2]]: int(match[1])})


def _range(params) -> tuple[datetime, datetime]:
    start, end = params.get("start"), params.get("end")
    if start or end:
        if not (start and end):
            raise ParseError("start and end are both needed, or statsPeriod")
        first, last = _moment(start, "start"), _moment(end, "end")
        if first >= last:
            raise ParseError("start must be before end")
        return first, last
    now = timezone.now()
    return now - _duration(params.get("statsPeriod") or DEFAULT_PERIOD, "statsPeriod"), now


def _moment(value: str, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(f"Invalid {name}: {value!r} (expected an ISO 8601 date)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _projects(organization, values: list[str]) -> tuple[int, ...]:
    """The projects asked for (all of the organization's for none, or -1). A project of
    another organization is not found, like one that does not exist."""
    projects = Project.objects.filter(organization=organization)
    wanted = [v for v in values if v != "-1"]
    if not wanted:
        return tuple(projects.values_list("pk", flat=True))
    try:
        ids = {int(v) for v in wanted}
    except ValueError:
        raise ParseError("Invalid project: project ids are integers") from None
    found = set(projects.filter(pk__in=ids).values_list("pk", flat=True))
    if found != ids:
        raise Http404("The requested resource does not exist")
    return tuple(sorted(found))


def _query(text: str) -> dict[str, tuple[str, ...]]:
    """`release:1.0 environment:production`, values quoted or in `[a, b]` lists."""
    found: dict[str, list[str]] = {"releases": [], "environments": []}
    try:
        tokens = shlex.split(text)
    except ValueError:
        raise ParseError("Invalid query: unbalanced quotes") from None
    for token in tokens:
        key, sep, value = token.partition(":")
        if not sep or key not in QUERY_KEYS or not value:
            raise ParseError(f"Invalid query: {token!r} (supported: release:, environment:)")
        if value.startswith("[") and value.endswith("]"):
            values = [v.strip() for v in value[1:-1].split(",") if v.strip()]
        else:
            values = [value]
        found[QUERY_KEYS[key]] += values
    return {k: tuple(v) for k, v in found.items()}
