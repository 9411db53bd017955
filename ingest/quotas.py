"""Rate limits and quotas: consumed at ingest, refunded by the digest (docs/pipeline.md §9,
docs/protocol.md §10.4).

Quotas are fixed-window counters. A key's rate limit counts events per `rate_limit_window`
seconds (windows staggered per organization, as Sentry does); project and organization quotas
count errors and attachment bytes per calendar month. Consuming checks every quota an item
counts against and increments them all only if none would go over, atomically. Refunds add to
a parallel counter, so usage is consumed minus refunded.

Counters live in Redis (one Lua call per item) when REDIS_URL is set, else in the database.
A quota found exhausted is remembered in-process until its window ends, so a client hammering
a spent quota costs no round trip at all.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F

from ingest.keys import KeyInfo
from ingest.models import QuotaCounter
from ingest.protocol.categories import DataCategory
from tracker.redis_client import get_redis

logger = logging.getLogger(__name__)

# Error quotas cover every kind of error event, as Sentry's do (docs/protocol.md §10.2, §10.4).
ERROR_CATEGORIES = ("default", "error", "security")
REFUND_GRACE = 60


@dataclass(frozen=True, slots=True)
class Quota:
    id: str
    category: DataCategory  # what it counts: ERROR (events) or ATTACHMENT (bytes)
    limit: int
    scope: str  # key, project, organization
    reason: str  # key_quota, project_quota, org_quota
    bucket: str  # the current window's name
    retry_after: int  # seconds until the window ends

    @property
    def counter_key(self) -> str:
        return f"{settings.REDIS_PREFIX}:quota:{self.id}:{self.bucket}"

    @property
    def header_categories(self) -> tuple[str, ...]:
        return ERROR_CATEGORIES if self.category == DataCategory.ERROR else ("attachment",)


def quotas_for(info: KeyInfo, category: DataCategory, at: datetime) -> list[Quota]:
    quotas = []
    now = at.timestamp()
    if category == DataCategory.ERROR and info.rate_limit_count is not None:
        window = info.rate_limit_window
        shifted = int(now) - info.organization_id % window
        quotas.append(Quota(
            f"k{info.key_id}", category, info.rate_limit_count, "key", "key_quota",
            str(shifted // window), window - shifted % window,
        ))
    month, until_next = _month(at)
    project_limit, org_limit = (
        (info.project_error_quota, info.org_error_quota)
        if category == DataCategory.ERROR
        else (info.project_attachment_quota, info.org_attachment_quota)
    )
    letter = "e" if category == DataCategory.ERROR else "a"
    if project_limit is not None:
        quotas.append(Quota(f"p{info.project_id}{letter}", category, project_limit, "project",
                            "project_quota", month, until_next))
    if org_limit is not None:
        quotas.append(Quota(f"o{info.organization_id}{letter}", category, org_limit,
                            "organization", "org_quota", month, until_next))
    return quotas


def _month(at: datetime) -> tuple[str, int]:
    at = at.astimezone(UTC)
    start_next = datetime(at.year + at.month // 12, at.month % 12 + 1, 1, tzinfo=UTC)
    return f"{at:%Y%m}", max(1, int((start_next - at).total_seconds()))


# Exhausted counters, remembered until the window ends: counter_key -> monotonic deadline.
_exhausted: dict[str, float] = {}


def consume(quotas: list[Quota], quantity: int) -> Quota | None:
    """Count `quantity` against all `quotas`; return the one that refused, or None."""
    if not quotas:
        return None
    now = time.monotonic()
    for quota in quotas:
        if _exhausted.get(quota.counter_key, 0) > now:
            return quota
    try:
        refused = _consume_redis(quotas, quantity) if get_redis() else _consume_db(quotas, quantity)
    except Exception:
        # Counters are a service, not a gate for durability: if they are unreachable we
        # accept (and say so in the log) rather than lose events.
        logger.exception("quota counters unavailable; accepting without counting")
        return None
    if refused is not None:
        if len(_exhausted) > 10_000:
            _exhausted.clear()
        _exhausted[refused.counter_key] = now + min(refused.retry_after, 60)
    return refused


def refund(quotas: list[Quota], quantity: int) -> None:
    """Give back what the pipeline threw away (discarded hashes, crash-report limit)."""
    if not quotas or quantity <= 0:
        return
    for quota in quotas:
        _exhausted.pop(quota.counter_key, None)
    client = get_redis()
    if client is not None:
        pipe = client.pipeline(transaction=False)
        for quota in quotas:
            pipe.incrby("r:" + quota.counter_key, quantity)
            pipe.expire("r:" + quota.counter_key, quota.retry_after + REFUND_GRACE)
        pipe.execute()
        return
    for quota in quotas:
        QuotaCounter.objects.filter(key=quota.counter_key).update(
            refunded=F("refunded") + quantity
        )


def usage(quota: Quota) -> int:
    client = get_redis()
    if client is not None:
        used, refunded = client.mget(quota.counter_key, "r:" + quota.counter_key)
        return int(used or 0) - int(refunded or 0)
    row = QuotaCounter.objects.filter(key=quota.counter_key).first()
    return row.used - row.refunded if row else 0


# Check every counter first and increment only if all have room: one atomic script call.
_CONSUME = """
local quantity = tonumber(ARGV[1])
local n = #KEYS / 2
for i = 1, n do
  local used = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local refunded = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  if used - refunded + quantity > tonumber(ARGV[2 * i]) then return i end
end
for i = 1, n do
  redis.call('INCRBY', KEYS[2 * i - 1], quantity)
  redis.call('EXPIRE', KEYS[2 * i - 1], tonumber(ARGV[2 * i + 1]))
end
return 0
"""
_script = None


def _consume_redis(quotas: list[Quota], quantity: int) -> Quota | None:
    global _script
    client = get_redis()
    assert client is not None, "called only when Redis is configured"
    if _script is None:
        _script = client.register_script(_CONSUME)
    keys, args = [], [quantity]
    for quota in quotas:
        keys += [quota.counter_key, "r:" + quota.counter_key]
        args += [quota.limit, quota.retry_after + REFUND_GRACE]
    refused = int(_script(keys=keys, args=args, client=client))
    return quotas[refused - 1] if refused else None


def _consume_db(quotas: list[Quota], quantity: int) -> Quota | None:
    with transaction.atomic():
        for quota in quotas:
            try:
                with transaction.atomic():
                    QuotaCounter.objects.get_or_create(key=quota.counter_key)
            except IntegrityError:
                pass  # created concurrently: fine, it exists
        rows = {
            row.key: row
            for row in QuotaCounter.objects.select_for_update().filter(
                key__in=[q.counter_key for q in quotas]
            )
        }
        for quota in quotas:
            row = rows[quota.counter_key]
            if row.used - row.refunded + quantity > quota.limit:
                return quota
        QuotaCounter.objects.filter(key__in=list(rows)).update(used=F("used") + quantity)
    return None
