"""Celery tasks: thin wrappers over plain functions; they take no data, only wake work up."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from ingest.digest import apart, batch
from ingest.inbox import claim, wake


@shared_task(ignore_result=True)
def digest() -> None:
    """Drain the inbox: claim batches and digest them until nothing is left."""
    wake.clear_flag()  # before looking: a row committed after this wakes us again
    while batch.digest_batch():
        pass


@shared_task(ignore_result=True)
def sweep() -> None:
    """Periodic: wake a digester if rows wait (broker was down, a worker died mid-batch), and
    link attachments and feedback to events stored after all (ingest.digest.apart)."""
    if claim.has_pending():
        digest.apply_async()
    apart.link_stragglers(timezone.now())
