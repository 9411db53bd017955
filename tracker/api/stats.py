"""`/api/0/organizations/{org}/stats_v2/`: outcome counts as Sentry's usage stats answer them.

Read from the hourly Outcome buckets (tracker/outcomes.py writes them): one GROUP BY over
hour and the `groupBy` columns, then laid out into Sentry's `intervals` and `groups` with a
`totals` and a `series` per group. The hour is the finest grain kept, so `interval` is a
whole number of hours or days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Sum
from rest_framework.decorators import api_view
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from ingest.protocol.categories import DataCategory
from ingest.protocol.outcomes import OutcomeKind
from ingest.public import category_name
from tracker.access import get_membership
from tracker.api import schema as S
from tracker.api.params import as_id, parse_period, time_range
from tracker.api.schema import documented
from tracker.api.scopes import scoped
from tracker.api.serializers import iso
from tracker.models import Outcome, Project

FIELD = "sum(quantity)"
GROUP_BY = {"outcome": "outcome", "category": "category", "reason": "reason",
            "project": "project_id"}
MAX_INTERVALS = 1000
_CATEGORY_ALIASES = {"error": (DataCategory.ERROR, DataCategory.DEFAULT, DataCategory.SECURITY)}


@documented("GET", "Retrieve Event Counts for an Organization (v2)", "org:read", S.STATS_V2,
            tag="Stats", parameters=S.STATS_V2_PARAMETERS)
@api_view(["GET"])
@scoped(GET="org:read")
def organization_stats(request: Request, org_slug: str) -> Response:
    membership = get_membership(request.user, org_slug)
    org = membership.organization
    params = request.query_params
    fields = params.getlist("field")
    if fields != [FIELD]:
        raise ParseError(f"field must be {FIELD}")
    group_by = params.getlist("groupBy")
    unknown = [g for g in group_by if g not in GROUP_BY]
    if unknown:
        raise ParseError(f"groupBy must be among {', '.join(GROUP_BY)}")
    interval = parse_period(params.get("interval") or "1h", "interval")
    if interval % timedelta(hours=1):
        raise ParseError("interval must be whole hours (1h, 6h, 1d...)")
    start, end = time_range(request, default="14d")
    start = _floor(start, interval)
    if (end - start) / interval > MAX_INTERVALS:
        raise ParseError(f"at most {MAX_INTERVALS} intervals: use a longer interval")

    rows = Outcome.objects.filter(organization_id=org.pk, hour__gte=start, hour__lt=end)
    rows = rows.filter(project_id__in=_projects(params.getlist("project"), org.pk))
    for name, column, parse in (("category", "category", _category),
                                ("outcome", "outcome", _outcome)):
        wanted = [v for v in params.getlist(name) if v]
        if wanted:
            rows = rows.filter(**{f"{column}__in": [x for v in wanted for x in parse(v)]})
    reasons = [r for r in params.getlist("reason") if r]
    if reasons:
        rows = rows.filter(reason__in=reasons)

    columns = [GROUP_BY[g] for g in group_by]
    intervals = _intervals(start, end, interval)
    groups: dict[tuple, list[int]] = {}
    totals = rows.values("hour", *columns).annotate(n=Sum("quantity")).order_by()
    for row in totals:
        key = tuple(_fold(c, row[c]) for c in columns)
        series = groups.setdefault(key, [0] * len(intervals))
        series[int((row["hour"] - start) // interval)] += row["n"] or 0
    if not group_by and not groups:
        groups[()] = [0] * len(intervals)
    return Response({
        "start": iso(start), "end": iso(end),
        "intervals": [iso(moment) for moment in intervals],
        "groups": [
            {"by": {g: _label(g, value) for g, value in zip(group_by, key, strict=True)},
             "totals": {FIELD: sum(series)}, "series": {FIELD: series}}
            for key, series in sorted(groups.items(), key=lambda item: -sum(item[1]))
        ],
    })


def _fold(column: str, value):
    """Sentry's usage stats count default and security events as errors."""
    if column == "category" and value in _CATEGORY_ALIASES["error"]:
        return int(DataCategory.ERROR)
    return value


def _floor(moment: datetime, interval: timedelta) -> datetime:
    moment = moment.replace(minute=0, second=0, microsecond=0)
    if interval >= timedelta(days=1):
        moment = moment.replace(hour=0)
    return moment


def _intervals(start: datetime, end: datetime, interval: timedelta) -> list[datetime]:
    moments = []
    moment = start
    while moment < end:
        moments.append(moment)
        moment += interval
    return moments


def _projects(raw: list[str], org_id: int) -> list[int]:
    """`project` ids of the organization (`-1` or none: all of them)."""
    projects = Project.objects.filter(organization_id=org_id)
    wanted = [p for p in raw if p not in ("", "-1")]
    if not wanted:
        return list(projects.values_list("pk", flat=True))
    if not all(as_id(p) for p in wanted):
        raise ParseError("project must be project ids")
    found = list(projects.filter(pk__in=[int(p) for p in wanted]).values_list("pk", flat=True))
    if len(found) != len(set(wanted)):
        raise ParseError("project: no such project in this organization")
    return found


def _category(name: str) -> tuple[int, ...]:
    if name in _CATEGORY_ALIASES:
        return tuple(int(c) for c in _CATEGORY_ALIASES[name])
    category = DataCategory.from_name(name)
    if category is None:
        raise ParseError(f"unknown category {name!r}")
    return (int(category),)


def _outcome(name: str) -> tuple[int, ...]:
    for kind in OutcomeKind:
        if kind.api_name == name:
            return (int(kind),)
    raise ParseError(f"unknown outcome {name!r}")


def _label(group: str, value) -> str | int:
    if group == "outcome":
        return OutcomeKind(value).api_name
    if group == "category":
        return category_name(value)
    if group == "project":
        return value
    return value or "none"
