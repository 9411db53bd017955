"""The rules every new project starts with (docs: "Alert Rules").

1. A new issue: email the project's team, once per issue.
2. A critical error (level fatal, or the tag level=critical): email at the shortest interval.
3. An issue storms (more than 100 events in an hour): email, at most hourly per issue.
"""

from __future__ import annotations

from tracker.alerts.models import (
    MIN_ACTION_INTERVAL,
    AlertRule,
    RuleAction,
    RuleCondition,
    RuleFilter,
)
from tracker.models import Project

Cond, Filt, Act = RuleCondition.Kind, RuleFilter.Kind, RuleAction.Kind


def create_default_rules(project: Project, owner=None) -> list[AlertRule]:
    rules = AlertRule.objects.bulk_create([
        AlertRule(project=project, name="New issue", frequency=30, owner=owner),
        AlertRule(project=project, name="Critical error", frequency=MIN_ACTION_INTERVAL,
                  filter_match=AlertRule.FilterMatch.ANY, owner=owner),
        AlertRule(project=project, name="High volume", frequency=60, owner=owner),
    ])
    new, critical, volume = rules
    RuleCondition.objects.bulk_create([
        RuleCondition(rule=new, kind=Cond.FIRST_SEEN),
        RuleCondition(rule=critical, kind=Cond.EVERY_EVENT),
        RuleCondition(rule=volume, kind=Cond.EVENT_FREQUENCY, value=100, interval=60),
    ])
    RuleFilter.objects.bulk_create([
        RuleFilter(rule=critical, kind=Filt.LEVEL, match=RuleFilter.Match.EQ, value="fatal"),
        RuleFilter(rule=critical, kind=Filt.TAG, match=RuleFilter.Match.EQ, key="level",
                   value="critical"),
    ])
    RuleAction.objects.bulk_create([RuleAction(rule=r, kind=Act.EMAIL_PROJECT) for r in rules])
    return rules
