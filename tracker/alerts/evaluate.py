"""Evaluating the project's alert rules against a batch of stored events.

Runs in a Celery task after the pipeline committed the batch. For each enabled rule and each
issue of the batch, the earliest event that matches the rule's environment, conditions and
filters fires it (once per action interval, see firing.py).
"""

from __future__ import annotations

import logging
from collections import defaultdict

from django.utils import timezone

from tracker.alerts import conditions, counters, filters
from tracker.alerts.context import Context
from tracker.alerts.firing import fire
from tracker.alerts.models import AlertRule, Firing, RuleCondition
from tracker.models import Issue

logger = logging.getLogger(__name__)

# What conditions and filters read from an issue.
_ISSUE_FIELDS = ("project_id", "first_seen", "priority", "assignee_id", "assignee_team_id")


def enabled_rules(project_ids: set[int]) -> list[AlertRule]:
    return list(
        AlertRule.objects.filter(project_id__in=project_ids, enabled=True)
        .prefetch_related("conditions", "filters", "actions")
        .order_by("id")
    )


def evaluate_events(events: list[dict]) -> list[Firing]:
    """Evaluate the rules of the events' projects; return the firings this run made."""
    rules = enabled_rules({e["project_id"] for e in events})
    if not rules:
        return []
    with_rules = {r.project_id for r in rules}
    events = [e for e in events if e["project_id"] in with_rules]
    counting = {
        r.project_id for r in rules
        if any(c.kind in RuleCondition.COUNTING for c in r.conditions.all())
    }
    counters.record([e for e in events if e["project_id"] in counting])

    issues = Issue.objects.only(*_ISSUE_FIELDS).in_bulk({e["issue_id"] for e in events})
    by_issue: dict[int, list[dict]] = defaultdict(list)
    for event in sorted(events, key=lambda e: e["timestamp"]):
        if event["issue_id"] in issues:  # deleted meanwhile: nothing to alert about
            by_issue[event["issue_id"]].append(event)

    ctx = Context(issues, timezone.now())
    firings = []
    for rule in rules:
        for issue_id, issue_events in by_issue.items():
            issue = issues[issue_id]
            if issue.project_id != rule.project_id:
                continue
            matched = first_match(rule, issue, issue_events, ctx)
            if matched is not None:
                firing = fire(rule, issue, *matched)
                if firing is not None:
                    firings.append(firing)
    if firings:
        logger.info("alert rules fired %d time(s)", len(firings))
    return firings


def first_match(rule: AlertRule, issue: Issue, events: list[dict],
                ctx: Context) -> tuple[dict, list[str]] | None:
    """The first event for which the rule holds, with the reasons it does."""
    rule_conditions = list(rule.conditions.all())
    rule_filters = list(rule.filters.all())
    if not rule_conditions:
        return None  # a rule without conditions never fires (forms require one)
    for event in events:
        if rule.environment and event.get("environment") != rule.environment:
            continue
        reasons = conditions.met(rule_conditions, rule.action_match, event, issue, ctx)
        if reasons and filters.allowed(rule_filters, rule.filter_match, event, issue, ctx):
            return event, reasons
    return None
