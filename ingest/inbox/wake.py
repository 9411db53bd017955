"""Waking the digesters once rows are committed.

The web side never imports the digest: it sends the digest task by name. A short-lived Redis
flag debounces wake-ups: the digest task clears it *before* it looks for work, so a row
committed after that look sets the flag again and gets its own wake-up. Without Redis every
stored row enqueues a digest (cheap on one machine).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from tracker.celery import app
from tracker.redis_client import get_redis

logger = logging.getLogger(__name__)

DIGEST_TASK = "ingest.digest.tasks.digest"
FLAG_TTL_MS = 1000
# After a failed publish, don't try again for a while: a dead broker costs seconds per
# attempt, and ingest must keep answering fast. The sweep enqueues what waits meanwhile.
BROKER_RETRY_AFTER = 10.0
_broker_down_until = 0.0


def wake_digesters() -> None:
    """Enqueue a digest unless one is already due to run."""
    if broker_resting():
        return
    client = get_redis()
    if client is not None:
        try:
            if not client.set(flag(), b"1", nx=True, px=FLAG_TTL_MS):
                return
        except Exception:
            logger.warning("redis unavailable; enqueueing a digest anyway", exc_info=True)
    enqueue_digest()


def broker_resting() -> bool:
    return time.monotonic() < _broker_down_until


def enqueue_digest() -> None:
    global _broker_down_until
    try:
        app.send_task(DIGEST_TASK, retry=False)
    except Exception:
        # The row is committed: the periodic sweep will enqueue it once the broker is back.
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER
        logger.warning("broker unavailable; the inbox sweep will pick this up", exc_info=True)


def flag() -> str:
    return f"{settings.REDIS_PREFIX}:digest-wake:{settings.CELERY_TASK_DEFAULT_QUEUE}"


def clear_flag() -> None:
    client = get_redis()
    if client is not None:
        try:
            client.delete(flag())
        except Exception:
            logger.warning("redis unavailable while clearing the wake flag", exc_info=True)
