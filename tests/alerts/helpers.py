"""Building rules and pipeline-shaped event dicts for the alert tests."""

from __future__ import annotations

import time
import uuid

from celery.signals import task_postrun

from tests.live import wait_until
from tracker.alerts.models import AlertRule, Notification, RuleAction, RuleCondition, RuleFilter
from tracker.models import Event, Issue


def make_rule(project, name: str = "rule", *, conditions=(("every_event",),), filters=(),
              actions=(), **fields) -> AlertRule:
    """conditions: (kind[, value, interval]); filters and actions: dicts of model fields."""
    fields.setdefault("frequency", 5)
    rule = AlertRule.objects.create(project=project, name=name, **fields)
    for kind, *rest in conditions:
        value, interval = [*rest, None, None][:2]
        RuleCondition.objects.create(rule=rule, kind=kind, value=value, interval=interval)
    for f in filters:
        RuleFilter.objects.create(rule=rule, **f)
    for a in actions:
        RuleAction.objects.create(rule=rule, **a)
    return rule


def hook(receiver, path: str, **fields) -> dict:
    return {"kind": "webhook", "url": receiver.url + path, **fields}


def only_rules(project, *keep: AlertRule) -> None:
    """Drop the project's default rules (or any other) so a test sees only its own."""
    AlertRule.objects.filter(project=project).exclude(pk__in=[r.pk for r in keep]).delete()


def payload(issue: Issue, **fields) -> dict:
    """An event dict as the pipeline hands it to tracker.alerts.tasks.events_stored."""
    event = {
        "project_id": issue.project_id, "issue_id": issue.pk, "event_id": uuid.uuid4().hex,
        "is_new_issue": False, "state_change": None, "level": "error",
        "handling": "handled", "priority": 75, "release": "", "environment": "",
        "user_key": "", "tags": [], "timestamp": time.time(),
    }
    event.update(fields)
    return event


class Evaluations:
    """Event ids the Celery worker in this process has evaluated rules for."""

    def __init__(self) -> None:
        self.event_ids: set[str] = set()
        task_postrun.connect(self._done, weak=False)

    def _done(self, sender=None, args=None, **_) -> None:
        if sender is not None and sender.name == "tracker.alerts.tasks.evaluate" and args:
            self.event_ids |= {e["event_id"] for e in args[0]}

    def close(self) -> None:
        task_postrun.disconnect(self._done)


def settle(project, evaluations: Evaluations, events: int, timeout: float = 60) -> None:
    """Wait until `events` events of the project are stored, rules evaluated for all of them,
    and every notification sent or failed."""
    wait_until(lambda: Event.objects.filter(project=project).count() >= events, timeout)
    ids = {e.hex for e in Event.objects.filter(project=project).values_list(
        "event_id", flat=True)}
    wait_until(lambda: ids <= evaluations.event_ids, timeout)
    wait_until(lambda: not Notification.objects.filter(
        rule__project=project, status__in=["pending", "sending"]).exists(), timeout)


def form_data(*, conditions=(), filters=(), actions=(), initial=None, **fields) -> dict:
    """POST data for the rule form (project pages and admin): rows are dicts of fields."""
    data = {"name": "Payments", "enabled": "on", "environment": "", "action_match": "any",
            "filter_match": "all", "frequency": "30", **fields}
    initial = initial or {}
    for prefix, rows in (("conditions", conditions), ("filters", filters),
                         ("actions", actions)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(initial.get(prefix, 0))
        data[f"{prefix}-MIN_NUM_FORMS"] = "0"
        data[f"{prefix}-MAX_NUM_FORMS"] = "1000"
        for i, row in enumerate(rows):
            for key, value in row.items():
                data[f"{prefix}-{i}-{key}"] = value
    return {k: v for k, v in data.items() if v is not None}
