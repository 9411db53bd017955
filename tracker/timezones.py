"""The user's time zone, for every time a page shows.

Until accounts have a time-zone setting, the browser tells: static/js/timezone.js stores
its IANA zone name (`Europe/Berlin`) in the `tz` cookie, and this middleware activates it
for the request, so Django's `date` filter and `formatting.when` print local times. An
unknown or missing zone leaves UTC.
"""

from __future__ import annotations

import zoneinfo
from functools import lru_cache
from urllib.parse import unquote

from django.utils import timezone

COOKIE = "tz"


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def zone_from_cookie(value: str) -> zoneinfo.ZoneInfo | None:
    # IANA names are short; anything else (or a path) is not one.
    value = unquote(value)
    if not value or len(value) > 64 or ".." in value or value.startswith("/"):
        return None
    return _zone(value)


class TimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = zone_from_cookie(request.COOKIES.get(COOKIE, ""))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
