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


@shared_task(ignore_result=True)
def delete_project(project_id: int) -> None:
    """Delete a project and everything under it (tracker.provisioning.delete_project)."""
    from tracker.models import Project

    deleted, _ = Project.objects.filter(pk=project_id, is_active=False).delete()
    logger.info("deleted project %s (%s rows)", project_id, deleted)
