"""The tracker's periodic tasks, thin over plain functions (tracker.alerts has its own)."""

from __future__ import annotations

import logging

from celery import shared_task

from tracker import artifact_bundles, retention

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def apply_retention() -> None:
    """Hourly (CELERY_BEAT_SCHEDULE): delete what is past its retention period."""
    removed = retention.run()
    if removed:
        logger.info("retention removed %s", ", ".join(
            f"{removed[kind]} {kind}" for kind in retention.KINDS if removed[kind]))


@shared_task(ignore_result=True)
def assemble_artifact_bundle(bundle_id: int) -> None:
    """Join an uploaded bundle's chunks and index it; once (errors end in state `error`)."""
    artifact_bundles.assemble(bundle_id)


def start_assembly(bundle_id: int) -> None:
    """Queue the assembly of a bundle; with the broker down, assemble here: sentry-cli is
    polling for the result, and nothing else would start it."""
    try:
        assemble_artifact_bundle.delay(bundle_id)
    except Exception:
        logger.warning("broker unavailable; assembling bundle %s in-process", bundle_id,
                       exc_info=True)
        artifact_bundles.assemble(bundle_id)


@shared_task(ignore_result=True)
def delete_project(project_id: int) -> None:
    """Delete a project and everything under it (tracker.provisioning.delete_project)."""
    from tracker.models import Project

    deleted, _ = Project.objects.filter(pk=project_id, is_active=False).delete()
    logger.info("deleted project %s (%s rows)", project_id, deleted)
