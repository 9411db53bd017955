"""Per-token rate limits for the API, with Sentry's headers.

Each token may make `API_RATE_LIMIT` requests per `API_RATE_LIMIT_WINDOW` seconds (0: no
limit). The count is a fixed window in the shared cache (Redis in production, so every web
process counts together): one `add` and one `incr` per request. Every response to a token
says where it stands, as Sentry's do:

    X-Sentry-Rate-Limit-Limit: 40
    X-Sentry-Rate-Limit-Remaining: 39
    X-Sentry-Rate-Limit-Reset: 1796600001      (epoch seconds when the window ends)

and the request past the limit gets 429 with `Retry-After`. Browser sessions are not
limited here. If the cache is down the request goes through: an outage of the counter
must not take the API down with it.
"""

from __future__ import annotations

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from tracker.models import ApiToken

logger = logging.getLogger(__name__)
HEADERS_ATTRIBUTE = "sentry_rate_limit"


class RateLimited(Throttled):
    """429 with Sentry's message as is (DRF would append its own sentence) and
    `Retry-After`."""

    def __init__(self, wait: int, detail: str):
        super().__init__(wait=None, detail=detail)
        self.wait = wait


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        token = request.auth
        limit = settings.API_RATE_LIMIT
        if not isinstance(token, ApiToken) or limit <= 0:
            return True
        window = settings.API_RATE_LIMIT_WINDOW
        now = time.time()
        start = int(now // window * window)
        key = f"api-rate:{token.token_hash[:24]}:{start}"
        try:
            cache.add(key, 0, timeout=window + 1)
            count = cache.incr(key)
        except Exception:  # any cache failure: let the request through
            logger.warning("API rate limit not counted: the cache is unavailable", exc_info=True)
            return True
        reset = start + window
        setattr(request._request, HEADERS_ATTRIBUTE, (limit, max(0, limit - count), reset))
        if count > limit:
            raise RateLimited(
                wait=max(1, math.ceil(reset - now)),
                detail="You are attempting to use this endpoint too frequently. "
                f"Limit is {limit} requests in {window} seconds",
            )
        return True


class RateLimitHeadersMiddleware:
    """Copies the throttle's verdict onto the response as Sentry's headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        state = getattr(request, HEADERS_ATTRIBUTE, None)
        if state is not None:
            limit, remaining, reset = state
            response["X-Sentry-Rate-Limit-Limit"] = str(limit)
            response["X-Sentry-Rate-Limit-Remaining"] = str(remaining)
            response["X-Sentry-Rate-Limit-Reset"] = str(reset)
        return response
