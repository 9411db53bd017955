"""Rules against pipeline-shaped events, evaluated in-process: conditions, filters, matching,
the action interval and the counters."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.alerts.helpers import make_rule, only_rules, payload
from tracker.alerts import counters
from tracker.alerts.evaluate import evaluate_events
from tracker.alerts.firing import fire
from tracker.alerts.models import (
    AlertRule,
    Firing,
    IssueMinuteCount,
    Notification,
    RuleIssueState,
)
from tracker.models import Issue, IssueHourlyCount, Release

pytestmark = pytest.mark.django_db

WEBHOOK = {"kind": "webhook", "url": "http://127.0.0.1:9/hook"}


@pytest.fixture
def issue(project):
    only_rules(project)
    return factories.make_issue(project)


def fired(rule) -> int:
    return Firing.objects.filter(rule=rule).count()


def test_new_projects_get_three_default_rules(project):
    rules = {r.name: r for r in AlertRule.objects.filter(project=project)}
    assert set(rules) == {"New issue", "Critical error", "High volume"}
    new, critical, volume = rules["New issue"], rules["Critical error"], rules["High volume"]
    assert [c.kind for c in new.conditions.all()] == ["first_seen"]
    assert critical.frequency == 5 and critical.filter_match == "any"
    assert sorted(str(f) for f in critical.filters.all()) == [
        "tag level is critical", "the event's level is fatal"]
    (storm,) = volume.conditions.all()
    assert (storm.kind, storm.value, storm.interval) == ("event_frequency", 100, 60)
    for rule in rules.values():
        assert rule.enabled
        assert [a.kind for a in rule.actions.all()] == ["email_project"]


@pytest.mark.parametrize(("kind", "event", "fires"), [
    ("first_seen", {"is_new_issue": True}, True),
    ("first_seen", {}, False),
    ("regression", {"state_change": "regression"}, True),
    ("regression", {"state_change": "unignored"}, False),
    ("reappeared", {"state_change": "unignored"}, True),
    ("reappeared", {}, False),
    ("every_event", {}, True),
])
def test_event_conditions(issue, kind, event, fires):
    rule = make_rule(issue.project, conditions=[(kind,)], actions=[WEBHOOK])
    evaluate_events([payload(issue, **event)])
    assert fired(rule) == int(fires)


def test_a_firing_writes_one_notification_per_action(issue):
    make_rule(issue.project, actions=[WEBHOOK, {"kind": "email_project"}])
    event = payload(issue, level="warning", release="1.0")
    (firing,) = evaluate_events([event])
    assert firing.event_id == event["event_id"]
    assert firing.event["level"] == "warning" and firing.event["release"] == "1.0"
    assert firing.reasons == ["an event is seen"]
    kinds = sorted(Notification.objects.filter(firing=firing).values_list("kind", flat=True))
    assert kinds == ["email_project", "webhook"]
    assert set(Notification.objects.values_list("status", flat=True)) == {"pending"}


def test_frequency_in_minutes_reads_minute_counters(issue):
    rule = make_rule(issue.project, conditions=[("event_frequency", 3, 5)], actions=[WEBHOOK])
    evaluate_events([payload(issue) for _ in range(3)])
    assert fired(rule) == 0
    evaluate_events([payload(issue)])
    assert fired(rule) == 1
    assert IssueMinuteCount.objects.get(issue=issue).count == 4


def test_old_events_do_not_count_in_a_short_window(issue):
    rule = make_rule(issue.project, conditions=[("event_frequency", 1, 5)], actions=[WEBHOOK])
    old = (timezone.now() - timedelta(hours=1)).timestamp()
    evaluate_events([payload(issue, timestamp=old) for _ in range(5)])
    assert fired(rule) == 0


def test_frequency_in_hours_reads_hourly_counts(issue):
    rule = make_rule(issue.project, conditions=[("event_frequency", 100, 60)], actions=[WEBHOOK])
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    IssueHourlyCount.objects.create(issue=issue, hour=hour - timedelta(hours=3), count=500)
    count = IssueHourlyCount.objects.create(issue=issue, hour=hour, count=100)
    evaluate_events([payload(issue)])
    assert fired(rule) == 0
    count.count = 101
    count.save()
    (firing,) = evaluate_events([payload(issue)])
    assert firing.reasons == ["101 events in 1 hour (more than 100)"]


@pytest.mark.parametrize("interval", [5, 1440])
def test_unique_users(issue, interval):
    rule = make_rule(issue.project, conditions=[("unique_users", 2, interval)],
                     actions=[WEBHOOK])
    evaluate_events([payload(issue, user_key=f"id:{u}") for u in "aab"])
    assert fired(rule) == 0
    evaluate_events([payload(issue, user_key="id:b"), payload(issue, user_key="")])
    assert fired(rule) == 0
    (firing,) = evaluate_events([payload(issue, user_key="id:c")])
    assert firing.reasons[0].startswith("3 users in")


def test_a_redelivered_batch_is_counted_once(issue):
    events = [payload(issue) for _ in range(4)]
    assert counters.record(events)
    assert not counters.record(list(reversed(events)))
    assert counters.events_in([issue.pk], 5) == {issue.pk: 4}


def test_counters_are_pruned(issue):
    long_ago = timezone.now() - timedelta(days=40)
    counters.record([payload(issue, timestamp=long_ago.timestamp(), user_key="id:1")])
    counters.record([payload(issue, user_key="id:2")])
    counters.prune()
    assert IssueMinuteCount.objects.count() == 1
    assert counters.users_in([issue.pk], 43200) == {issue.pk: 1}


def test_action_match_all_and_any(issue):
    both = [("first_seen",), ("event_frequency", 1, 1)]
    all_rule = make_rule(issue.project, "all", conditions=both, action_match="all",
                         actions=[WEBHOOK])
    any_rule = make_rule(issue.project, "any", conditions=both, action_match="any",
                         actions=[WEBHOOK])
    evaluate_events([payload(issue, is_new_issue=True)])
    assert (fired(all_rule), fired(any_rule)) == (0, 1)
    evaluate_events([payload(issue, is_new_issue=True)])
    assert fired(all_rule) == 1


def test_environment(issue):
    rule = make_rule(issue.project, environment="production", actions=[WEBHOOK])
    evaluate_events([payload(issue, environment="staging")])
    assert fired(rule) == 0
    evaluate_events([payload(issue, environment="production")])
    assert fired(rule) == 1


def test_disabled_rules_do_not_fire(issue):
    rule = make_rule(issue.project, enabled=False, actions=[WEBHOOK])
    evaluate_events([payload(issue)])
    assert fired(rule) == 0


def tagged(key, value):
    return {"tags": [[key, value]]}


LEVEL = {"kind": "level"}
TAG = {"kind": "tag", "key": "domain"}


@pytest.mark.parametrize(("spec", "event", "passes"), [
    ({**LEVEL, "match": "eq", "value": "fatal"}, {"level": "fatal"}, True),
    ({**LEVEL, "match": "eq", "value": "fatal"}, {"level": "error"}, False),
    ({**LEVEL, "match": "gte", "value": "warning"}, {"level": "error"}, True),
    ({**LEVEL, "match": "gte", "value": "warning"}, {"level": "info"}, False),
    ({**LEVEL, "match": "lte", "value": "warning"}, {"level": "info"}, True),
    ({**LEVEL, "match": "lte", "value": "warning"}, {"level": "fatal"}, False),
    ({**TAG, "match": "eq", "value": "payments"}, tagged("domain", "payments"), True),
    ({**TAG, "match": "eq", "value": "payments"}, tagged("domain", "payments-eu"), False),
    ({**TAG, "match": "contains", "value": "ment"}, tagged("domain", "payments"), True),
    ({**TAG, "match": "contains", "value": "ment"}, tagged("area", "payments"), False),
    ({**TAG, "match": "starts_with", "value": "pay"}, tagged("domain", "payments"), True),
    ({**TAG, "match": "starts_with", "value": "pay"}, tagged("domain", "repay"), False),
    ({**TAG, "match": "is_set"}, tagged("domain", "x"), True),
    ({**TAG, "match": "is_set"}, tagged("other", "x"), False),
    ({"kind": "handling", "value": "unhandled"}, {"handling": "unhandled"}, True),
    ({"kind": "handling", "value": "unhandled"}, {"handling": "crash"}, False),
    ({"kind": "handling", "value": "crash"}, {"handling": "crash"}, True),
    ({"kind": "handling", "value": "handled"}, {"handling": "unhandled"}, False),
])
def test_event_filters(issue, spec, event, passes):
    rule = make_rule(issue.project, filters=[spec], actions=[WEBHOOK])
    evaluate_events([payload(issue, **event)])
    assert fired(rule) == int(passes)


@pytest.mark.parametrize(("match", "value", "priority", "passes"), [
    ("eq", "high", 75, True), ("eq", "high", 50, False), ("gte", "medium", 75, True),
    ("gte", "medium", 25, False), ("lte", "medium", 25, True), ("lte", "low", 50, False),
])
def test_priority_filter_reads_the_issue(issue, match, value, priority, passes):
    Issue.objects.filter(pk=issue.pk).update(priority=priority)
    rule = make_rule(issue.project, filters=[{"kind": "priority", "match": match,
                                              "value": value}], actions=[WEBHOOK])
    evaluate_events([payload(issue, priority=75)])
    assert fired(rule) == int(passes)


def test_issue_age_filter(issue):
    older = make_rule(issue.project, "older", actions=[WEBHOOK], filters=[
        {"kind": "issue_age", "match": "older", "value": "2", "unit": "days"}])
    newer = make_rule(issue.project, "newer", actions=[WEBHOOK], filters=[
        {"kind": "issue_age", "match": "newer", "value": "2", "unit": "days"}])
    evaluate_events([payload(issue)])
    assert (fired(older), fired(newer)) == (0, 1)
    Issue.objects.filter(pk=issue.pk).update(first_seen=timezone.now() - timedelta(days=3))
    evaluate_events([payload(issue)])
    assert (fired(older), fired(newer)) == (1, 1)


def test_latest_release_filter(issue, org):
    old = Release.objects.create(organization=org, version="1.0")
    new = Release.objects.create(organization=org, version="2.0")
    for release in (old, new):
        release.projects.add(issue.project)
    Release.objects.filter(pk=old.pk).update(created=datetime(2020, 1, 1, tzinfo=UTC))
    rule = make_rule(issue.project, filters=[{"kind": "latest_release"}], actions=[WEBHOOK])
    evaluate_events([payload(issue, release="1.0"), payload(issue, release="")])
    assert fired(rule) == 0
    evaluate_events([payload(issue, release="2.0")])
    assert fired(rule) == 1


def test_assignee_filter(issue, user, org):
    team = org.teams.get()
    nobody = make_rule(issue.project, "nobody", actions=[WEBHOOK], filters=[
        {"kind": "assignee", "match": "nobody"}])
    member = make_rule(issue.project, "member", actions=[WEBHOOK], filters=[
        {"kind": "assignee", "match": "member", "target_user": user}])
    on_team = make_rule(issue.project, "team", actions=[WEBHOOK], filters=[
        {"kind": "assignee", "match": "team", "target_team": team}])
    evaluate_events([payload(issue)])
    Issue.objects.filter(pk=issue.pk).update(assignee=user)
    RuleIssueState.objects.all().delete()
    evaluate_events([payload(issue)])
    Issue.objects.filter(pk=issue.pk).update(assignee=None, assignee_team=team)
    RuleIssueState.objects.all().delete()
    evaluate_events([payload(issue)])
    assert (fired(nobody), fired(member), fired(on_team)) == (1, 1, 1)


@pytest.mark.parametrize(("match", "fires"), [("all", False), ("any", True), ("none", False)])
def test_filter_match(issue, match, fires):
    rule = make_rule(issue.project, filter_match=match, actions=[WEBHOOK], filters=[
        {"kind": "level", "match": "eq", "value": "fatal"},
        {"kind": "tag", "match": "eq", "key": "level", "value": "critical"},
    ])
    evaluate_events([payload(issue, tags=[["level", "critical"]])])
    assert fired(rule) == int(fires)


def test_filter_match_none_passes_when_nothing_matches(issue):
    rule = make_rule(issue.project, filter_match="none", actions=[WEBHOOK],
                     filters=[{"kind": "level", "match": "eq", "value": "fatal"}])
    evaluate_events([payload(issue, level="error")])
    assert fired(rule) == 1


def test_action_interval_per_rule_and_issue(issue):
    rule = make_rule(issue.project, frequency=60, actions=[WEBHOOK])
    other_issue = factories.make_issue(issue.project, "TypeError: other")
    for _ in range(3):
        evaluate_events([payload(issue), payload(other_issue)])
    assert fired(rule) == 2
    # An hour later the interval is over and the rule may fire again for the issue.
    RuleIssueState.objects.filter(issue=issue).update(
        last_fired=timezone.now() - timedelta(minutes=61))
    evaluate_events([payload(issue), payload(other_issue)])
    assert fired(rule) == 3


def test_fire_claims_the_interval(issue):
    rule = make_rule(issue.project, actions=[WEBHOOK])
    event = payload(issue)
    assert fire(rule, issue, event, ["x"]) is not None
    assert fire(rule, issue, event, ["x"]) is None


def test_events_of_deleted_issues_are_skipped(issue):
    make_rule(issue.project, actions=[WEBHOOK])
    event = payload(issue)
    issue.delete()
    assert evaluate_events([event]) == []


def test_a_batch_costs_a_handful_of_queries_whatever_its_size(project,
                                                              django_assert_max_num_queries):
    issues = [factories.make_issue(project, f"Error {i}") for i in range(3)]
    make_rule(project, "storm", conditions=[("event_frequency", 1000, 5)], actions=[WEBHOOK])
    make_rule(project, "users", conditions=[("unique_users", 1000, 1440)], actions=[WEBHOOK])
    events = [payload(issues[i % 3], user_key=f"id:{i}") for i in range(100)]
    # Rules and their parts (4); counters: marker and increments, in savepoints here (7);
    # issues (1); one query per window: 5 minutes, 1 hour, 1 day (3). Nothing fires.
    with django_assert_max_num_queries(15):
        assert evaluate_events(events) == []
