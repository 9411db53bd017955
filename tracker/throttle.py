"""Attempt limits for sign-in, password resets and API token checks: 10 tries per 15 minutes
per client IP and per account, counted in the cache (Redis when configured, so every web
worker shares the count).

A fixed window per key: the first attempt starts it, the count expires with it. Failed
sign-ins count (a user who types their password right is never slowed by their own
successes); every password reset request counts, since each one sends an email.
"""

from __future__ import annotations

from django.core.cache import cache

LIMIT = 10
WINDOW = 15 * 60
MESSAGE = "Too many attempts. Wait 15 minutes, then try again."


def _keys(kind: str, ip: str | None, account: str | None) -> list[str]:
    keys = []
    if ip:
        keys.append(f"throttle:{kind}:ip:{ip}")
    if account:
        keys.append(f"throttle:{kind}:account:{account.strip().lower()[:200]}")
    return keys


def blocked(kind: str, ip: str | None, account: str | None = None) -> bool:
    counts = cache.get_many(_keys(kind, ip, account))
    return any(count >= LIMIT for count in counts.values())


def record(kind: str, ip: str | None, account: str | None = None) -> None:
    for key in _keys(kind, ip, account):
        if not cache.add(key, 1, timeout=WINDOW):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.add(key, 1, timeout=WINDOW)
