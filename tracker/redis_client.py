"""The shared Redis connection (rate-limit counters, digest wake-ups), if one is configured."""

from __future__ import annotations

from functools import cache

import redis
from django.conf import settings


@cache
def get_redis() -> redis.Redis | None:
    if not settings.REDIS_URL:
        return None
    # Short timeouts: Redis sits on the ingest hot path, and a stuck Redis must degrade
    # (counters skipped) rather than stall every request.
    return redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5, health_check_interval=30
    )
