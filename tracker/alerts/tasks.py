"""Celery tasks: thin, taking JSON or ids, safe to run twice (see evaluate, delivery)."""

from __future__ import annotations

from celery import shared_task

from tracker.alerts import counters, delivery
from tracker.alerts.evaluate import evaluate_events


@shared_task(ignore_result=True)
def evaluate(events: list[dict]) -> None:
    """Evaluate alert rules for events the pipeline stored (their dicts, see events_stored)."""
    evaluate_events(events)


@shared_task(ignore_result=True)
def deliver(notification_id: int) -> None:
    delivery.deliver(notification_id)


@shared_task(ignore_result=True)
def sweep() -> None:
    """Periodic: deliver what is due but has no task in flight; prune old counters."""
    for notification_id in delivery.due():
        deliver.delay(notification_id)
    counters.prune()
