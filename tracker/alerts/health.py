"""Release-health conditions: the crash-free session rate of a release (or of the whole
project) below N % over a window, checked by a periodic task rather than per event.

A rule with such a condition fires when it holds (`any`), or when all its conditions are
health conditions and all hold (`all`): an event condition can never be met by a periodic
check. Issue filters do not apply (there is no issue); the rule's environment does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from tracker import release_health
from tracker.alerts import firing
from tracker.alerts.models import AlertRule, Firing, RuleCondition
from tracker.timeutil import floor_hour

Kind = RuleCondition.Kind


def evaluate_health(now: datetime | None = None) -> list[Firing]:
    """Check every enabled rule with a health condition; the firings written."""
    now = now or timezone.now()
    rules = (AlertRule.objects.filter(enabled=True, conditions__kind__in=RuleCondition.HEALTH)
             .distinct().select_related("project__organization")
             .prefetch_related("conditions", "actions"))
    fired = []
    for rule in rules:
        conditions = list(rule.conditions.all())
        health = [c for c in conditions if c.kind in RuleCondition.HEALTH]
        if rule.action_match == AlertRule.ActionMatch.ALL and len(health) < len(conditions):
            continue
        met = [(c, why) for c in health if (why := _below(rule, c, now)) is not None]
        if not met or (rule.action_match == AlertRule.ActionMatch.ALL and
                       len(met) < len(health)):
            continue
        facts = met[0][1][1]  # the first condition met says which release and rate
        result = firing.fire_health(rule, facts, [reason for _, (reason, _) in met])
        if result is not None:
            fired.append(result)
    return fired


def _below(rule: AlertRule, condition: RuleCondition, now: datetime) -> tuple[str, dict] | None:
    """(reason, facts) if the rate over the condition's window is below its threshold."""
    window = timedelta(minutes=condition.interval or 60)
    until = floor_hour(now) + timedelta(hours=1)
    rate, sessions = release_health.crash_free_rate(
        rule.project_id, condition.release or None, until - window, until,
        environment=rule.environment or None)
    if rate is None or rate * 100 >= (condition.value or 0):
        return None
    percent = f"{rate * 100:.3f}".rstrip("0").rstrip(".")
    what = f"release {condition.release}" if condition.release else "the project"
    reason = (f"crash-free sessions of {what} at {percent}% over "
              f"{condition.get_interval_display()} (below {condition.value}%, "
              f"{sessions} sessions)")
    return reason, {"release": condition.release or None,
                    "environment": rule.environment or None,
                    "crash_free_rate": round(rate, 6), "sessions": sessions,
                    "threshold": condition.value, "window_minutes": condition.interval}
