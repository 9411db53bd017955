"""Query parameters the API routes share, parsed as Sentry's are: `limit`/`per_page`,
`statsPeriod` (`24h`, `14d`, `30m`, `2w`) or `start`/`end` (ISO 8601), and `interval`.

Bad values are a 400 naming the parameter, never a 500 and never silently ignored.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import ParseError
from rest_framework.request import Request

DEFAULT_LIMIT = 25
MAX_LIMIT = 100
_PERIOD = re.compile(r"^(?P<amount>\d{1,6})(?P<unit>[smhdw]?)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks", "": "seconds"}
# Far enough back for any retention, near enough that datetime arithmetic cannot overflow.
MAX_PERIOD = timedelta(days=3650)


def limit_param(request: Request, default: int = DEFAULT_LIMIT, maximum: int = MAX_LIMIT) -> int:
    raw = request.query_params.get("limit") or request.query_params.get("per_page")
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise ParseError(f"limit must be between 1 and {maximum}")
    return int(raw)


def parse_period(raw: str, name: str = "statsPeriod") -> timedelta:
    match = _PERIOD.match(raw)
    if match is None:
        raise ParseError(f"{name} must look like 24h, 14d, 30m or 2w")
    period = timedelta(**{_UNITS[match["unit"]]: int(match["amount"])})
    if not timedelta(0) < period <= MAX_PERIOD:
        raise ParseError(f"{name} must be more than 0 and at most {MAX_PERIOD.days} days")
    return period


def _moment(raw: str, name: str) -> datetime:
    try:
        moment = parse_datetime(raw)
    except ValueError:
        moment = None
    if moment is None:
        raise ParseError(f"{name} must be an ISO 8601 date and time")
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    # Far outside any data, and near enough the calendar's ends that arithmetic overflows.
    if not 1970 < moment.year < 9000:
        raise ParseError(f"{name} must be between the years 1971 and 8999")
    return moment


def time_range(request: Request, default: str | None = "14d",
               period_param: str = "statsPeriod") -> tuple[datetime, datetime] | None:
    """`(start, end)` from `statsPeriod` or `start`+`end`; `default` when neither is given
    (None: no range)."""
    params = request.query_params
    period, start, end = params.get(period_param), params.get("start"), params.get("end")
    if period and (start or end):
        raise ParseError(f"give either {period_param} or start and end, not both")
    now = timezone.now()
    if start or end:
        if not (start and end):
            raise ParseError("start and end go together")
        begin, finish = _moment(start, "start"), _moment(end, "end")
        if begin >= finish:
            raise ParseError("start must be before end")
        if finish - begin > MAX_PERIOD:
            raise ParseError(f"the range may cover at most {MAX_PERIOD.days} days")
        return begin, finish
    if not period:
        if default is None:
            return None
        period = default
    return now - parse_period(period, period_param), now


# PostgreSQL text cannot hold NUL characters: a value with one would fail in the database
# (a 500) instead of being refused. Ids beyond a bigint would fail the same way.
MAX_ID = 2**63 - 1


def reject_nul(value, name: str = "the body") -> None:
    """400 if any string in `value` (nested lists and objects too) holds a NUL character."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ParseError(f"{name} must not contain NUL characters")
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_nul(key, name)
            reject_nul(item, name)
    elif isinstance(value, list):
        for item in value:
            reject_nul(item, name)


def as_id(raw: str) -> int | None:
    """A database id from a URL or query string, or None when it cannot be one."""
    if not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_ID:
        return None
    return int(raw)


class RejectNulMiddleware:
    """API requests whose path or query string holds a NUL are a 400, before any view. Only
    the REST API (`/api/0/`): the SDK-facing `/api/<project>/...` URLs keep what they get."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/0/") and (
            "\x00" in request.path or any("\x00" in k or "\x00" in v
                                          for k, values in request.GET.lists()
                                          for v in values)
        ):
            from django.http import JsonResponse

            return JsonResponse({"detail": "The URL must not contain NUL characters."},
                                status=400)
        return self.get_response(request)
