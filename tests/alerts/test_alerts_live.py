"""The real sentry-sdk against a live Errata: each condition and filter, and the default
rules, produce exactly the expected notifications at a real SMTP and a real HTTP server."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories
from tests.alerts.helpers import hook, make_rule, only_rules, settle
from tests.live import dsn_for, run_python_sdk
from tracker.alerts.models import Firing, Notification, RuleIssueState
from tracker.models import Issue, Release

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def received(webhooks) -> dict[str, Counter]:
    """Issue titles each webhook path received."""
    result: dict[str, Counter] = {}
    for request in webhooks.requests:
        result.setdefault(request.path, Counter())[request.json["issue"]["title"]] += 1
    return result


def test_default_rules_email_the_team(errata_server, smtp, project, org, evaluations):
    bob = factories.make_member(org, factories.make_user("bob"))
    org.teams.get().members.add(bob)
    factories.make_member(org, factories.make_user("carol"))  # not on the project's team
    run_python_sdk(dsn_for(errata_server, project), """
        def checkout(cart):
            return sum(cart) / len(cart)
        for _ in range(2):
            try:
                checkout([])
            except ZeroDivisionError:
                sentry_sdk.capture_exception()
        sentry_sdk.capture_message("Disk on fire", level="fatal")
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("level", "critical")
            scope.set_tag("domain", "payments")
            sentry_sdk.capture_message("Stripe webhook failed")
        for i in range(101):
            sentry_sdk.capture_message("Cache stampede")
            if i % 40 == 0:
                sentry_sdk.flush()  # the SDK queue holds 100 events
    """, init='release="1.0"')
    settle(project, evaluations, 2 + 1 + 1 + 101)

    firings = Counter((f.rule.name, f.issue.title) for f in Firing.objects.all())
    assert firings == Counter({
        ("New issue", "ZeroDivisionError: division by zero"): 1,
        ("New issue", "Disk on fire"): 1,
        ("Critical error", "Disk on fire"): 1,
        ("New issue", "Stripe webhook failed"): 1,
        ("Critical error", "Stripe webhook failed"): 1,
        ("New issue", "Cache stampede"): 1,
        ("High volume", "Cache stampede"): 1,
    })
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    by_recipient = Counter(r for m in smtp.mails for r in m.recipients)
    assert by_recipient == {"alice@example.com": 7, "bob@example.com": 7}
    rules_in_mails = Counter(
        (m.part("text/plain").split('Rule "')[1].split('"')[0], m.subject.split(": ", 1)[1])
        for m in smtp.mails if m.recipients == ["bob@example.com"]
    )
    assert rules_in_mails == firings
    storm = next(m for m in smtp.mails if 'Rule "High volume"' in m.part("text/plain"))
    assert "events in 1 hour (more than 100)" in storm.part("text/plain")
    assert "Cache stampede" in storm.subject


def test_each_condition(errata_server, webhooks, project, evaluations):
    only_rules(project)
    for path, condition in [("/first", ("first_seen",)), ("/regression", ("regression",)),
                            ("/reappeared", ("reappeared",)),
                            ("/frequency", ("event_frequency", 5, 1)),
                            ("/users", ("unique_users", 2, 60))]:
        make_rule(project, path, conditions=[condition], actions=[hook(webhooks, path)])
    dsn = dsn_for(errata_server, project)
    run_python_sdk(dsn, """
        sentry_sdk.capture_message("Checkout failed")
        sentry_sdk.capture_message("Cart total wrong")
        for _ in range(6):
            sentry_sdk.capture_message("Search slow")
        for user in ("u1", "u2", "u2", "u3"):
            with sentry_sdk.new_scope() as scope:
                scope.set_user({"id": user})
                sentry_sdk.capture_message("Login loop")
    """, init='release="1.0"')
    settle(project, evaluations, 12)
    assert received(webhooks) == {
        "/first": Counter(["Checkout failed", "Cart total wrong", "Search slow", "Login loop"]),
        "/frequency": Counter(["Search slow"]),
        "/users": Counter(["Login loop"]),
    }

    webhooks.clear()
    now = timezone.now()
    Issue.objects.filter(project=project, title="Checkout failed").update(
        status="resolved", substatus="", resolved_at=now)
    Issue.objects.filter(project=project, title="Cart total wrong").update(
        status="ignored", substatus="ignored_until_condition_met",
        ignored_until=now - timedelta(seconds=1))
    run_python_sdk(dsn, """
        sentry_sdk.capture_message("Checkout failed")
        sentry_sdk.capture_message("Cart total wrong")
    """, init='release="1.0"')
    settle(project, evaluations, 14)
    assert received(webhooks) == {
        "/regression": Counter(["Checkout failed"]),
        "/reappeared": Counter(["Cart total wrong"]),
    }


FILTERS = {
    "/level-is-fatal": {"kind": "level", "match": "eq", "value": "fatal"},
    "/level-at-least-warning": {"kind": "level", "match": "gte", "value": "warning"},
    "/level-at-most-warning": {"kind": "level", "match": "lte", "value": "warning"},
    "/tag-equals": {"kind": "tag", "key": "domain", "match": "eq", "value": "payments-eu"},
    "/tag-contains": {"kind": "tag", "key": "domain", "match": "contains", "value": "payments"},
    "/tag-starts-with": {"kind": "tag", "key": "domain", "match": "starts_with",
                         "value": "pay"},
    "/tag-is-set": {"kind": "tag", "key": "domain", "match": "is_set"},
    "/handled": {"kind": "handling", "value": "handled"},
    "/unhandled": {"kind": "handling", "value": "unhandled"},
    "/crash": {"kind": "handling", "value": "crash"},
    "/priority-high": {"kind": "priority", "match": "eq", "value": "high"},
    "/priority-at-most-low": {"kind": "priority", "match": "lte", "value": "low"},
    "/newer-than-1-hour": {"kind": "issue_age", "match": "newer", "value": "1",
                           "unit": "hours"},
    "/older-than-1-day": {"kind": "issue_age", "match": "older", "value": "1", "unit": "days"},
    "/latest-release": {"kind": "latest_release"},
    "/unassigned": {"kind": "assignee", "match": "nobody"},
    "/assigned-to-alice": {"kind": "assignee", "match": "member"},
}

EVENTS = """
    sentry_sdk.capture_message("Disk full", level="fatal")
    sentry_sdk.capture_message("Low memory", level="warning")
    sentry_sdk.capture_message("User signed in", level="info")
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("domain", "payments-eu")
        sentry_sdk.capture_message("Payment declined", level="error")
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("domain", "repayments")
        sentry_sdk.capture_message("Refund failed", level="error")
    def exception(type_, value):
        return {"values": [{"type": type_, "value": value,
                            "mechanism": {"type": "generic", "handled": False}}]}
    sentry_sdk.capture_event({"level": "error", "exception": exception("KeyError", "sku")})
    sentry_sdk.capture_event({"level": "fatal", "exception": exception("RuntimeError", "died")})
    sentry_sdk.capture_event({"message": "New build", "level": "error", "release": "2.0"})
"""

ALL = {"Disk full", "Low memory", "User signed in", "Payment declined", "Refund failed",
       "KeyError: sku", "RuntimeError: died", "New build"}
HANDLED = ALL - {"KeyError: sku", "RuntimeError: died"}

# Priorities the pipeline gives: fatal and unhandled high, info low, the rest medium.
EXPECTED_FIRST = {
    "/level-is-fatal": {"Disk full", "RuntimeError: died"},
    "/level-at-least-warning": ALL - {"User signed in"},
    "/level-at-most-warning": {"Low memory", "User signed in"},
    "/tag-equals": {"Payment declined"},
    "/tag-contains": {"Payment declined", "Refund failed"},
    "/tag-starts-with": {"Payment declined"},
    "/tag-is-set": {"Payment declined", "Refund failed"},
    "/handled": HANDLED,
    "/unhandled": {"KeyError: sku"},
    "/crash": {"RuntimeError: died"},
    "/priority-high": {"Disk full", "KeyError: sku", "RuntimeError: died"},
    "/priority-at-most-low": {"User signed in"},
    "/newer-than-1-hour": ALL,
    "/latest-release": {"New build"},
    "/unassigned": ALL,
}

# Second round: "Low memory" is now two days old, "User signed in" assigned to alice.
EXPECTED_SECOND = {
    "/level-at-least-warning": {"Low memory"},
    "/level-at-most-warning": {"Low memory", "User signed in"},
    "/handled": {"Low memory", "User signed in"},
    "/priority-at-most-low": {"User signed in"},
    "/newer-than-1-hour": {"User signed in"},
    "/older-than-1-day": {"Low memory"},
    "/unassigned": {"Low memory"},
    "/assigned-to-alice": {"User signed in"},
}


def as_counters(expected: dict[str, set[str]]) -> dict[str, Counter]:
    return {path: Counter(titles) for path, titles in expected.items()}


def test_each_filter(errata_server, webhooks, project, org, user, evaluations):
    only_rules(project)
    for version, days_ago in (("1.0", 30), ("2.0", 1)):
        release = Release.objects.create(organization=org, version=version)
        release.projects.add(project)
        Release.objects.filter(pk=release.pk).update(
            created=timezone.now() - timedelta(days=days_ago))
    for path, spec in FILTERS.items():
        if spec["kind"] == "assignee" and spec["match"] == "member":
            spec = {**spec, "target_user": user}
        make_rule(project, path, filters=[spec], actions=[hook(webhooks, path)])
    dsn = dsn_for(errata_server, project)
    run_python_sdk(dsn, EVENTS, init='release="1.0"')
    settle(project, evaluations, len(ALL))
    assert received(webhooks) == as_counters(EXPECTED_FIRST)

    webhooks.clear()
    RuleIssueState.objects.all().delete()  # as if every action interval had passed
    Issue.objects.filter(project=project, title="Low memory").update(
        first_seen=timezone.now() - timedelta(days=2))
    Issue.objects.filter(project=project, title="User signed in").update(assignee=user)
    run_python_sdk(dsn, """
        sentry_sdk.capture_message("Low memory", level="warning")
        sentry_sdk.capture_message("User signed in", level="info")
    """, init='release="1.0"')
    settle(project, evaluations, len(ALL) + 2)
    assert received(webhooks) == as_counters(EXPECTED_SECOND)
