"""The tracker's periodic tasks, thin over plain functions (tracker.alerts has its own)."""

from __future__ import annotations

import logging

from celery import shared_task

from tracker import retention

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def apply_retention() -> None:
    """Hourly (CELERY_BEAT_SCHEDULE): delete what is past its retention period."""
    removed = retention.run()
    if removed:
        logger.info("retention removed %s", ", ".join(
            f"{removed[kind]} {kind}" for kind in retention.KINDS if removed[kind]))
