"""Filters: which events a rule considers (level, tags, handling, priority, age...)."""

from __future__ import annotations

from collections.abc import Callable

from tracker.alerts.context import Context
from tracker.alerts.models import RuleFilter
from tracker.models import Issue, Level, Priority

Kind, Match = RuleFilter.Kind, RuleFilter.Match

_PRIORITIES = {label: value for value, label in Priority.choices}


def _compare(actual: int, match: str, expected: int) -> bool:
    if match == Match.GTE:
        return actual >= expected
    if match == Match.LTE:
        return actual <= expected
    return actual == expected


def _level(f: RuleFilter, event: dict, issue: Issue, ctx: Context) -> bool:
    return _compare(Level.from_name(event.get("level")), f.match, Level.from_name(f.value))


def _tag(f: RuleFilter, event: dict, issue: Issue, ctx: Context) -> bool:
    values = [v for k, v in event.get("tags") or () if k == f.key]
    if f.match == Match.IS_SET:
        return bool(values)
    if f.match == Match.CONTAINS:
        return any(f.value in v for v in values)
    if f.match == Match.STARTS_WITH:
        return any(v.startswith(f.value) for v in values)
    return f.value in values


def _handling(f: RuleFilter, event: dict, issue: Issue, ctx: Context) -> bool:
    return event.get("handling") == f.value


def _priority(f: RuleFilter, event: dict, issue: Issue, ctx: Context) -> bool:
    # The issue's current priority: people may have changed it since the first event.
    return _compare(issue.priority, f.match, _PRIORITIES.get(f.value, 0))


def _issue_age(f: RuleFilter, event: dict, issue: Issue, ctx: Context) -> bool:
    age = ctx.now - issue.first_seen
    return age > f.age if f.match == Match.OLDER else age < f.age


def _latest_release(f: RuleFilter, event: dict, issue: Issue, ctx: Context) -> bool:
    release = event.get("release")
    return bool(release) and release == ctx.latest_release(issue.project_id)


def _assignee(f: RuleFilter, event: dict, issue: Issue, ctx: Context) -> bool:
    if f.match == Match.MEMBER:
        return issue.assignee_id == f.target_user_id
    if f.match == Match.TEAM:
        return issue.assignee_team_id == f.target_team_id
    return issue.assignee_id is None and issue.assignee_team_id is None


_CHECKS: dict[str, Callable[[RuleFilter, dict, Issue, Context], bool]] = {
    Kind.LEVEL: _level,
    Kind.TAG: _tag,
    Kind.HANDLING: _handling,
    Kind.PRIORITY: _priority,
    Kind.ISSUE_AGE: _issue_age,
    Kind.LATEST_RELEASE: _latest_release,
    Kind.ASSIGNEE: _assignee,
}


def passes(f: RuleFilter, event: dict, issue: Issue, ctx: Context) -> bool:
    check = _CHECKS.get(f.kind)
    return check is not None and check(f, event, issue, ctx)


def allowed(filters: list[RuleFilter], match: str, event: dict, issue: Issue,
            ctx: Context) -> bool:
    """Whether the event gets through the rule's filters (all, any or none must pass)."""
    if not filters:
        return True
    results = (passes(f, event, issue, ctx) for f in filters)
    if match == "any":
        return any(results)
    if match == "none":
        return not any(results)
    return all(results)
