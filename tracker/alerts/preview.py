"""What a rule, as it stands in the editor, would have done over the last 24 hours.

The stored events of the project are replayed, oldest first, through the same conditions and
filters the live evaluation uses (tracker.alerts.conditions, filters), with the rule's
action interval, so the preview says which issues it would have notified about and how
often. What the replay cannot know exactly, it approximates:

- "A new issue" is an issue whose first event is the one replayed; regressions and ignored
  issues coming back are read from the issue's activity (the event that caused them).
- Counting conditions count the issue's stored events (and distinct users) in the window
  before each event; for windows reaching back beyond the 24 hours, earlier events come
  from the hourly counts (users only from the 24 hours).
- The issue's priority, assignee and age are today's, as the live evaluation reads them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Sum
from django.utils import timezone

from tracker.alerts import conditions, filters
from tracker.alerts.context import Context
from tracker.alerts.models import AlertRule, RuleCondition, RuleFilter
from tracker.models import Event, Issue, IssueActivity, IssueHourlyCount, Level

WINDOW = timedelta(hours=24)
# Events replayed at most (the most recent ones): a preview answers while the user waits.
MAX_EVENTS = 5000
SHOWN = 50


@dataclass
class Fired:
    event: Event
    issue: Issue
    reasons: list[str]


@dataclass
class Preview:
    events: int = 0
    truncated: bool = False
    fired: list[Fired] = field(default_factory=list)

    @property
    def issues(self) -> int:
        return len({f.issue.pk for f in self.fired})

    @property
    def shown(self) -> list[Fired]:
        return self.fired[-SHOWN:][::-1]


class _ReplayContext(Context):
    """The live context, with counts taken from the replayed events as of each event."""

    def __init__(self, issues: dict[int, Issue], now: datetime,
                 timeline: dict[int, list[Event]], before: dict[int, list]) -> None:
        super().__init__(issues, now)
        self.timeline = timeline
        self.before = before  # issue id -> [(hour, count)] older than the replayed window

    def _recent(self, issue_id: int, minutes: int) -> list[Event]:
        start = self.now - timedelta(minutes=minutes)
        return [e for e in self.timeline.get(issue_id, []) if start < e.timestamp <= self.now]

    def events_in(self, issue_id: int, minutes: int) -> int:
        start = self.now - timedelta(minutes=minutes)
        older = sum(count for hour, count in self.before.get(issue_id, [])
                    if hour + timedelta(hours=1) > start)
        return len(self._recent(issue_id, minutes)) + older

    def users_in(self, issue_id: int, minutes: int) -> int:
        return len({e.user_key for e in self._recent(issue_id, minutes) if e.user_key})


def _state_changes(issue_ids: set[int], since: datetime) -> dict[str, str]:
    """event id (hex) -> "regression" / "unignored", from the issues' activity."""
    kinds = {IssueActivity.Kind.REGRESSION: "regression",
             IssueActivity.Kind.UNIGNORED: "unignored"}
    rows = IssueActivity.objects.filter(issue_id__in=issue_ids, kind__in=list(kinds),
                                        created__gte=since).values_list("kind", "data")
    return {str(data.get("event_id", "")): kinds[kind] for kind, data in rows}


def _hourly_before(issue_ids: set[int], start: datetime, longest: int) -> dict[int, list]:
    if longest <= WINDOW.total_seconds() / 60:
        return {}
    rows = (IssueHourlyCount.objects
            .filter(issue_id__in=issue_ids, hour__lt=start,
                    hour__gte=start - timedelta(minutes=longest + 60))
            .values("issue_id", "hour").annotate(n=Sum("count")))
    found: dict[int, list] = defaultdict(list)
    for row in rows:
        found[row["issue_id"]].append((row["hour"], row["n"]))
    return found


def _tags(event: Event) -> list:
    """Stored tags as [key, value] pairs, as the pipeline hands them to the evaluation."""
    tags = (event.data or {}).get("tags") or []
    if isinstance(tags, dict):
        tags = list(tags.items())
    return [[str(t[0]), str(t[1])] for t in tags if isinstance(t, list | tuple) and len(t) == 2]


def _payload(event: Event, tags: list, first_events: set[int],
             changes: dict[str, str]) -> dict:
    return {
        "project_id": event.project_id, "issue_id": event.issue_id,
        "event_id": event.event_id.hex, "is_new_issue": event.pk in first_events,
        "state_change": changes.get(event.event_id.hex),
        "level": Level(event.level).label, "handling": event.handling,
        "release": event.release, "environment": event.environment,
        "user_key": event.user_key, "tags": tags,
        "timestamp": event.timestamp.timestamp(),
    }


def preview(rule: AlertRule, rule_conditions: list[RuleCondition],
            rule_filters: list[RuleFilter], now: datetime | None = None) -> Preview:
    """Replay the project's last 24 hours through the (unsaved) rule."""
    now = now or timezone.now()
    start = now - WINDOW
    result = Preview()
    if not rule_conditions:
        return result
    needs_tags = any(f.kind == RuleFilter.Kind.TAG for f in rule_filters)
    columns = ["event_id", "timestamp", "level", "release", "environment", "user_key",
               "handling", "issue_id", "project_id"] + (["data"] if needs_tags else [])
    events = list(
        Event.objects.filter(project_id=rule.project_id, timestamp__gt=start,
                             timestamp__lte=now)
        .only(*columns).order_by("-timestamp", "-pk")[:MAX_EVENTS + 1]
    )
    result.truncated = len(events) > MAX_EVENTS
    events = events[:MAX_EVENTS][::-1]
    result.events = len(events)
    if not events:
        return result
    issue_ids = {e.issue_id for e in events}
    issues = Issue.objects.select_related("project").defer("search_text").in_bulk(issue_ids)
    timeline: dict[int, list[Event]] = defaultdict(list)
    for event in events:
        timeline[event.issue_id].append(event)
    # An issue's first event, if it is among those replayed.
    first_events = {
        timeline[i][0].pk for i, issue in issues.items()
        if timeline[i][0].timestamp <= issue.first_seen
    }
    longest = max((c.interval or 0 for c in rule_conditions
                   if c.kind in RuleCondition.COUNTING), default=0)
    ctx = _ReplayContext(issues, now, timeline, _hourly_before(issue_ids, start, longest))
    changes = _state_changes(issue_ids, start)
    last_fired: dict[int, datetime] = {}
    for event in events:
        issue = issues.get(event.issue_id)
        if issue is None or (rule.environment and event.environment != rule.environment):
            continue
        previous = last_fired.get(issue.pk)
        if previous is not None and event.timestamp < previous + rule.interval:
            continue
        ctx.now = event.timestamp
        payload = _payload(event, _tags(event) if needs_tags else [], first_events, changes)
        reasons = conditions.met(rule_conditions, rule.action_match, payload, issue, ctx)
        if reasons and filters.allowed(rule_filters, rule.filter_match, payload, issue, ctx):
            last_fired[issue.pk] = event.timestamp
            result.fired.append(Fired(event, issue, reasons))
    return result
