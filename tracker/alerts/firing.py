"""A rule fires for an issue: claim the action interval, record the firing, write its
notifications (tasks.py has them delivered).

The interval is claimed with a conditional UPDATE on the (rule, issue) row: of several
workers evaluating the same issue at once, exactly one sees its UPDATE change the row, and
only that one writes a firing and its notifications.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tracker.alerts.models import AlertRule, Firing, Notification, RuleAction, RuleIssueState
from tracker.models import Issue

_NEVER = datetime(2000, 1, 1, tzinfo=UTC)

EVENT_FIELDS = ("level", "handling", "priority", "release", "environment", "timestamp")


def claim_interval(rule: AlertRule, issue_id: int, now: datetime) -> bool:
    """True if this caller may fire `rule` for the issue now (and the clock restarts)."""
    RuleIssueState.objects.bulk_create(
        [RuleIssueState(rule=rule, issue_id=issue_id, last_fired=_NEVER)], ignore_conflicts=True
    )
    claimed = RuleIssueState.objects.filter(
        rule=rule, issue_id=issue_id, last_fired__lte=now - rule.interval
    ).update(last_fired=now)
    return claimed == 1


def fire(rule: AlertRule, issue: Issue, event: dict, reasons: list[str]) -> Firing | None:
    """Fire `rule` for `issue` unless it already did within its action interval."""
    now = timezone.now()
    with transaction.atomic():
        if not claim_interval(rule, issue.pk, now):
            return None
        firing = Firing.objects.create(
            rule=rule, issue=issue, event_id=event["event_id"], reasons=reasons,
            event={k: event.get(k) for k in EVENT_FIELDS}, created=now,
        )
        create_notifications(rule, list(rule.actions.all()), firing=firing)
    return firing


def fire_health(rule: AlertRule, facts: dict, reasons: list[str]) -> Firing | None:
    """Fire `rule` for a release-health condition unless it did within its action
    interval: claimed on the rule's own row, as there is no issue."""
    now = timezone.now()
    with transaction.atomic():
        claimed = AlertRule.objects.filter(
            Q(health_fired_at__isnull=True) | Q(health_fired_at__lte=now - rule.interval),
            pk=rule.pk,
        ).update(health_fired_at=now)
        if not claimed:
            return None
        firing = Firing.objects.create(rule=rule, issue=None, event_id="", reasons=reasons,
                                       event=facts, created=now)
        create_notifications(rule, list(rule.actions.all()), firing=firing)
    return firing


def create_notifications(rule: AlertRule, actions: list[RuleAction], *,
                         firing: Firing | None = None,
                         is_test: bool = False) -> list[Notification]:
    """Write one pending notification row per action; the caller has them delivered."""
    return Notification.objects.bulk_create([
        Notification(rule=rule, firing=firing, action=a, kind=a.kind, target=a.target,
                     is_test=is_test)
        for a in actions
    ])
