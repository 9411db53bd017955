"""Conditions: what makes a rule fire for an event (a new issue, a regression, a storm...)."""

from __future__ import annotations

from collections.abc import Callable

from tracker.alerts.context import Context
from tracker.alerts.models import RuleCondition
from tracker.models import Issue

Kind = RuleCondition.Kind

# Conditions decided by the event alone.
_TRIGGERS: dict[str, Callable[[dict], bool]] = {
    Kind.FIRST_SEEN: lambda e: bool(e.get("is_new_issue")),
    Kind.REGRESSION: lambda e: e.get("state_change") == "regression",
    Kind.REAPPEARED: lambda e: e.get("state_change") == "unignored",
    Kind.EVERY_EVENT: lambda e: True,
}


def reason(condition: RuleCondition, event: dict, issue: Issue, ctx: Context) -> str | None:
    """Why `condition` holds for this event, in words for the notification; None if not."""
    kind = condition.kind
    if kind in _TRIGGERS:
        return condition.get_kind_display() if _TRIGGERS[kind](event) else None
    if kind == Kind.EVENT_FREQUENCY:
        seen, what = ctx.events_in(issue.pk, condition.interval), "events"
    elif kind == Kind.UNIQUE_USERS:
        seen, what = ctx.users_in(issue.pk, condition.interval), "users"
    else:
        return None
    if seen <= condition.value:
        return None
    return (f"{seen} {what} in {condition.get_interval_display()} "
            f"(more than {condition.value})")


def met(conditions: list[RuleCondition], match: str, event: dict, issue: Issue,
        ctx: Context) -> list[str]:
    """The reasons the rule's conditions hold (all or any of them), or [] if they don't."""
    reasons = []
    for condition in conditions:
        why = reason(condition, event, issue, ctx)
        if why is None and match == "all":
            return []
        if why is not None:
            reasons.append(why)
    return reasons
