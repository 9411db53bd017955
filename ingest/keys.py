"""DSN key lookup, cached: the ingest hot path should not query the database per request.

The verdict for a public key (everything ingest needs: ids, active flags, limits, allowed
origins) is kept in the shared cache and dropped whenever a key, its project or its
organization changes (see `ingest.signals`). A 2-second per-process memo in front of it
saves the cache round trip under load; that is the longest a change can take to apply.

The cache is a shortcut, never a dependency: when it fails (Redis down) a lookup goes to the
database, and when that fails too a memo of any age keeps answering, so ingest goes on
accepting events for the keys it has seen.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from ingest.protocol.errors import WouldBlock
from tracker.models import ProjectKey

logger = logging.getLogger(__name__)

CACHE_TTL = 300
LOCAL_TTL = 2.0
STALE_TTL = 30.0
# Keys whose memo outlived LOCAL_TTL and was used anyway: the async path refreshes them.
stale: set[str] = set()
_MISSING = "missing"
_local: dict[str, tuple[float, KeyInfo | None]] = {}


@dataclass(frozen=True, slots=True)
class KeyInfo:
    key_id: int
    public_key: str
    project_id: int
    organization_id: int
    active: bool  # the key and its project both accept events
    rate_limit_count: int | None
    rate_limit_window: int
    allowed_origins: tuple[str, ...]
    project_error_quota: int | None
    project_attachment_quota: int | None
    org_error_quota: int | None
    org_attachment_quota: int | None

    @property
    def has_quotas(self) -> bool:
        return any(
            limit is not None
            for limit in (
                self.rate_limit_count, self.project_error_quota, self.project_attachment_quota,
                self.org_error_quota, self.org_attachment_quota,
            )
        )


def cache_key(public_key: str) -> str:
    return f"ingest:key:{public_key}"


def get_key(public_key: str) -> KeyInfo | None:
    now = time.monotonic()
    memo = _local.get(public_key)
    if memo is not None and memo[0] > now:
        return memo[1]
    found = _cache_get(public_key)
    if found is None:
        try:
            found = _load(public_key) or _MISSING
        except Exception:
            if memo is None:
                raise
            # Cache and database both away: the last verdict we had beats refusing the event.
            logger.warning("could not look up DSN key %s; using the verdict of %.0f s ago",
                           public_key, now - memo[0] + LOCAL_TTL, exc_info=True)
            return memo[1]
        _cache_set(public_key, found)
    info = None if found == _MISSING else found
    if len(_local) > 10_000:  # bounded: random keys from a scanner must not grow memory
        _local.clear()
    _local[public_key] = (now + LOCAL_TTL, info)
    return info


def get_key_memoized(public_key: str) -> KeyInfo | None:
    """The verdict this process memoized, without any I/O (the async ingest path).

    Never looked up, or not for STALE_TTL seconds: raise `WouldBlock` (the request is then
    handled in a thread). Older than LOCAL_TTL: still answer with it, and note the key in
    `stale` for the caller to refresh in the background. Otherwise every request arriving
    while a busy key's memo expires would wait for a thread.
    """
    memo = _local.get(public_key)
    now = time.monotonic()
    if memo is None or memo[0] + STALE_TTL <= now:
        raise WouldBlock("key lookup")
    if memo[0] <= now:
        stale.add(public_key)
    return memo[1]


def get_key_by_id(key_id: int) -> KeyInfo | None:
    """For the pipeline's refunds: rare, so a query to find the public key is fine."""
    public_key = ProjectKey.objects.filter(pk=key_id).values_list("public_key", flat=True).first()
    return get_key(public_key) if public_key else None


def forget(public_keys) -> None:
    keys = list(public_keys)
    try:
        cache.delete_many([cache_key(k) for k in keys])
    except Exception:
        # Saving a key or project must not fail over the cache; a verdict left in it
        # expires within CACHE_TTL.
        logger.warning("could not drop cached DSN keys", exc_info=True)
    for k in keys:
        _local.pop(k, None)


def _cache_get(public_key: str) -> Any:
    """The cached verdict (a KeyInfo or _MISSING), or None if not cached or the cache fails:
    then the database answers."""
    try:
        return cache.get(cache_key(public_key))
    except Exception:
        logger.warning("cache unavailable; looking DSN key %s up in the database", public_key,
                       exc_info=True)
        return None


def _cache_set(public_key: str, found: KeyInfo | str) -> None:
    try:
        cache.set(cache_key(public_key), found, CACHE_TTL)
    except Exception:
        logger.warning("cache unavailable; DSN key %s not cached", public_key, exc_info=True)


def _load(public_key: str) -> KeyInfo | None:
    key = (
        ProjectKey.objects.select_related("project__organization")
        .filter(public_key=public_key)
        .first()
    )
    if key is None:
        return None
    project = key.project
    org = project.organization
    origins = tuple(line.strip() for line in project.allowed_origins.splitlines() if line.strip())
    return KeyInfo(
        key_id=key.pk,
        public_key=key.public_key,
        project_id=project.pk,
        organization_id=org.pk,
        active=key.is_active and project.is_active,
        rate_limit_count=key.rate_limit_count,
        rate_limit_window=max(1, key.rate_limit_window),
        allowed_origins=origins,
        project_error_quota=project.monthly_error_quota,
        project_attachment_quota=project.monthly_attachment_quota,
        org_error_quota=org.monthly_error_quota,
        org_attachment_quota=org.monthly_attachment_quota,
    )
