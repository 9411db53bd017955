"""Celery tasks: thin, taking JSON or ids, safe to run twice (see evaluate, delivery).

The only module of the app that enqueues tasks: firing and delivery return what was written
or what to reschedule, and the functions here queue it.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import transaction

from tracker.alerts import counters, delivery, firing, health, workflow
from tracker.alerts.evaluate import evaluate_events
from tracker.alerts.models import Notification, RuleAction

logger = logging.getLogger(__name__)


def events_stored(events: list[dict]) -> None:
    """Called by the save pipeline after a batch has committed, with one JSON-able dict per
    stored event: project_id, issue_id, event_id (hex), is_new_issue, state_change
    ("regression", "unignored" or None), level (name), handling, priority, release,
    environment, user_key, tags ([[key, value], ...]) and timestamp (epoch seconds).

    Rules are evaluated by a task. If the broker cannot take it, they are evaluated here:
    the caller is a worker already, and a lost batch would mean alerts silently missing.
    """
    try:
        evaluate.delay_on_commit(events)
    except Exception:
        logger.warning("broker unavailable; evaluating alert rules in-process", exc_info=True)
        try:
            # Only evaluated: with the broker down the notifications stay pending, and the
            # sweep sends them once it is back.
            evaluate_events(events)
        except Exception:
            logger.exception("alert rules could not be evaluated for %d events", len(events))


@shared_task(ignore_result=True)
def evaluate(events: list[dict]) -> None:
    """Evaluate alert rules for events the pipeline stored (their dicts, see events_stored)."""
    firings = evaluate_events(events)
    if firings:
        # One query for the rows the firings wrote; each firing committed with its rows.
        rows = Notification.objects.filter(firing__in=firings).order_by("id")
        for notification_id in rows.values_list("pk", flat=True):
            deliver.delay_on_commit(notification_id)


@shared_task(ignore_result=True)
def deliver(notification_id: int) -> str | None:
    """Send one notification; if it failed and may be retried, schedule the retry. Returns
    the new status, as delivery.deliver."""
    status, retry_in = delivery.deliver(notification_id)
    if retry_in is not None:
        try:
            deliver.apply_async((notification_id,), countdown=retry_in.total_seconds())
        except Exception:
            logger.warning("could not schedule a retry; the sweep will", exc_info=True)
    return status


@shared_task(ignore_result=True)
def check_release_health() -> None:
    """Periodic: fire the rules whose crash-free rate condition holds (alerts/health.py)."""
    fired = health.evaluate_health()
    if fired:
        rows = Notification.objects.filter(firing__in=fired).order_by("id")
        for notification_id in rows.values_list("pk", flat=True):
            deliver.delay_on_commit(notification_id)


@shared_task(ignore_result=True)
def sweep() -> None:
    """Periodic: deliver what is due but has no task in flight; prune old counters."""
    for notification_id in delivery.due():
        deliver.delay(notification_id)
    counters.prune()


def send_test(action: RuleAction) -> Notification:
    """The "send a test notification" button: a notification without a firing."""
    with transaction.atomic():
        (row,) = firing.create_notifications(action.rule, [action], is_test=True)
        deliver.delay_on_commit(row.pk)
    return row


def send_again(notification_ids: list[int]) -> int:
    """Send failed notifications again (an explicit choice in the admin); return how many."""
    count = delivery.retry(notification_ids)
    for notification_id in notification_ids:
        deliver.delay_on_commit(notification_id)
    return count


def notify_assigned(issue_ids: list[int], assignee, actor) -> None:
    """Assignment emails (tracker.alerts.workflow): rows now, delivery after the commit."""
    for row in workflow.queue_assigned(issue_ids, assignee, actor):
        deliver.delay_on_commit(row.pk)
