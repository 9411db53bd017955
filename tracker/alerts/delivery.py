"""Sending notifications: the rows are the queue.

A delivery claims its row with a conditional UPDATE (pending and due, or sending with an
expired lease -> sending, with a fresh token), so two workers handed the same id never both
send. The result is written back only by the holder of the token. Failures are retried with
exponential backoff up to MAX_ATTEMPTS; then the row is marked failed with the error, for the
firing log. Nothing is disabled: a failing action keeps being tried on later firings.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from tracker.alerts import messages, workflow
from tracker.alerts.messages import AlertMessage
from tracker.alerts.models import Notification, RuleAction
from tracker.alerts.transports import email, slack, webhook
from tracker.alerts.transports.errors import PermanentError

logger = logging.getLogger(__name__)

# Longer than any send can take (HTTP timeout 10 s, SMTP 15 s per step and recipient), so an
# expired lease means the worker died.
LEASE = timedelta(minutes=10)
MAX_ATTEMPTS = 5
RETRY_BASE = timedelta(seconds=30)
RETRY_MAX = timedelta(hours=1)
SWEEP_LIMIT = 500

Status = Notification.Status

_SENDERS = {
    RuleAction.Kind.EMAIL_MEMBER: email.send,
    RuleAction.Kind.EMAIL_TEAM: email.send,
    RuleAction.Kind.EMAIL_PROJECT: email.send,
    RuleAction.Kind.SLACK: slack.send,
    RuleAction.Kind.WEBHOOK: webhook.send,
}


def sender(kind: str) -> Callable[[Notification, AlertMessage], str]:
    """The transport's `send` for an action kind (see transports/__init__.py)."""
    if kind not in _SENDERS:
        raise PermanentError(f"unknown action kind {kind!r}")
    return _SENDERS[kind]


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 30 s, 1 min, 2 min, 4 min... at most an hour."""
    return min(RETRY_BASE * 2 ** max(attempts - 1, 0), RETRY_MAX)


def _claimable(now) -> Q:
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, lease_until__lt=now
    )


def claim(notification_id: int) -> Notification | None:
    now = timezone.now()
    token = uuid.uuid4()
    claimed = Notification.objects.filter(_claimable(now), pk=notification_id).update(
        status=Status.SENDING, claim_token=token, lease_until=now + LEASE,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return Notification.objects.select_related(
        "rule__project__organization", "firing__issue__project__organization", "action",
        "issue__project__organization", "recipient",
    ).get(pk=notification_id)


def deliver(notification_id: int) -> tuple[str | None, timedelta | None]:
    """Send one notification if it is ours to send. Return its new status (None: not ours,
    already sent, or not due yet) and, when a retry is due later, the delay after which the
    caller (the deliver task) should run it again."""
    notification = claim(notification_id)
    if notification is None:
        return None, None
    try:
        if notification.rule_id is None:
            result = workflow.send(notification)
        else:
            result = sender(notification.kind)(notification, messages.build(notification))
    except PermanentError as e:
        return _finish(notification, Status.FAILED, f"not retried: {e}"), None
    except Exception as e:  # every transport error is worth retrying, within limits
        logger.warning("notification %s: attempt %s failed: %s", notification.pk,
                       notification.attempts, e)
        return _retry_or_fail(notification, f"{type(e).__name__}: {e}")
    return _finish(notification, Status.SENT, result), None


def _save(notification: Notification, **fields) -> bool:
    """Write back, but only while we still hold the claim."""
    updated = Notification.objects.filter(
        pk=notification.pk, claim_token=notification.claim_token
    ).update(delivered_to=notification.delivered_to, lease_until=None, **fields)
    return updated == 1


def _finish(notification: Notification, status: str, result: str) -> str:
    now = timezone.now()
    if status == Status.FAILED:
        logger.error("notification %s failed: %s", notification.pk, result)
    _save(notification, status=status, result=result[:1000],
          sent_at=now if status == Status.SENT else None)
    return status


def _retry_or_fail(notification: Notification, error: str) -> tuple[str, timedelta | None]:
    if notification.attempts >= MAX_ATTEMPTS:
        return _finish(notification, Status.FAILED,
                       f"gave up after {notification.attempts} attempts: {error}"), None
    delay = backoff(notification.attempts)
    result = f"attempt {notification.attempts} failed: {error}; retrying in {delay}"
    if _save(notification, status=Status.PENDING, result=result[:1000],
             next_attempt_at=timezone.now() + delay):
        return Status.PENDING, delay
    # Lost the claim meanwhile (lease expired): the new holder schedules what follows.
    return Status.PENDING, None


def due(limit: int = SWEEP_LIMIT) -> list[int]:
    """Ids of notifications waiting to be sent: retries due, leases of dead workers."""
    rows = Notification.objects.filter(_claimable(timezone.now())).order_by("next_attempt_at")
    return list(rows.values_list("pk", flat=True)[:limit])


def retry(notification_ids: list[int]) -> int:
    """Send failed notifications again (an explicit choice in the admin)."""
    return Notification.objects.filter(pk__in=notification_ids, status=Status.FAILED).update(
        status=Status.PENDING, next_attempt_at=timezone.now(), attempts=0, claim_token=None,
    )
