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
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
