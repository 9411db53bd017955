"""The crash-free session rate condition: checked by the periodic task over the session
buckets, firing through the usual actions (a real HTTP receiver, a real SMTP server), once
per action interval, with links to the release's page."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.alerts.helpers import hook, make_rule, only_rules
from tests.alerts.test_alerts_delivery import links
from tests.tracker.test_releases_pages import make_release
from tracker import release_health
from tracker.alerts import tasks
from tracker.alerts.health import evaluate_health
from tracker.alerts.models import Firing, Notification, RuleCondition
from tracker.models import SessionStatus
from tracker.release_health import SessionUpdate
from tracker.timeutil import floor_hour

pytestmark = pytest.mark.django_db

S = SessionStatus


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Deliveries the task queues, kept here: the test delivers them itself."""
    queued = []
    monkeypatch.setattr(tasks.deliver, "delay_on_commit", queued.append)
    return queued


def sessions(project, release, *statuses, hours_ago=0, env="production"):
    hour = floor_hour(timezone.now()) - timedelta(hours=hours_ago)
    release_health.fold([SessionUpdate(project.pk, hour, release, env, s, uuid.uuid4())
                         for s in statuses])


def crash_rule(project, webhooks, *, value=95, interval=60, release="", **fields):
    rule = make_rule(project, "Crash-free below", actions=[hook(webhooks, "/health")],
                     conditions=[], **fields)
    RuleCondition.objects.create(rule=rule, kind=RuleCondition.Kind.CRASH_FREE_RATE,
                                 value=value, interval=interval, release=release)
    return rule


def test_fires_when_a_release_falls_below_and_links_to_its_page(project, webhooks, user,
                                                                client, settings, no_broker):
    only_rules(project)
    make_release(project, "shop@2.0")
    rule = crash_rule(project, webhooks, release="shop@2.0")
    sessions(project, "shop@2.0", *[S.HEALTHY] * 9, S.CRASHED)  # 90%
    sessions(project, "shop@1.0", *[S.HEALTHY] * 10)

    tasks.check_release_health()

    (firing,) = Firing.objects.filter(rule=rule)
    assert firing.issue is None
    assert firing.reasons == [
        "crash-free sessions of release shop@2.0 at 90% over 1 hour (below 95%, 10 sessions)"]
    (notification,) = Notification.objects.filter(firing=firing)
    assert no_broker == [notification.pk]
    assert tasks.deliver(notification.pk) == "sent"
    (request,) = webhooks.to("/health")
    body = request.json
    assert body["issue"]["title"] == "Crash-free sessions of shop@2.0 at 90%"
    assert body["event"]["crash_free_rate"] == 0.9 and body["event"]["release"] == "shop@2.0"
    client.force_login(user)
    found = links(settings, request.body.decode())
    assert f"{settings.PUBLIC_URL}/acme/shop/releases/shop@2.0/" in found
    for url in found:
        assert client.get(url.removeprefix(settings.PUBLIC_URL)).status_code == 200, url
    # The alert log shows the firing, linked to the release's page.
    log = client.get("/acme/shop/alerts/log/").content.decode()
    assert 'release health of <a class="version" href="/acme/shop/releases/shop@2.0/">' in log

    # Within the action interval it does not fire again.
    tasks.check_release_health()
    assert Firing.objects.filter(rule=rule).count() == 1


def test_email_of_a_health_alert(project, webhooks, smtp, settings):
    only_rules(project)
    rule = crash_rule(project, webhooks)
    RuleCondition.objects.filter(rule=rule).update(release="")
    rule.actions.all().delete()
    rule.actions.create(kind="email_project")
    sessions(project, "a@1", S.HEALTHY, S.CRASHED)
    (firing,) = evaluate_health()
    (notification,) = Notification.objects.filter(firing=firing)
    assert tasks.deliver(notification.pk) == "sent"
    (mail,) = smtp.mails
    text = mail.part("text/plain")
    assert "Crash-free sessions of Shop at 50%" in text
    assert f"{settings.PUBLIC_URL}/acme/shop/releases/" in links(settings, text)


def test_project_wide_rate_environment_and_threshold(project, webhooks):
    only_rules(project)
    rule = crash_rule(project, webhooks, value=80, environment="production")
    sessions(project, "a@1", S.HEALTHY, S.HEALTHY, S.HEALTHY, S.CRASHED)  # 75% in production
    sessions(project, "a@1", *[S.HEALTHY] * 20, env="staging")  # not the rule's environment
    sessions(project, "a@1", *[S.CRASHED] * 9, hours_ago=3)  # outside the 1-hour window
    (firing,) = evaluate_health()
    assert firing.rule == rule
    assert firing.event["sessions"] == 4 and firing.event["release"] is None


def test_healthy_or_sessionless_or_disabled_rules_do_not_fire(project, webhooks):
    only_rules(project)
    crash_rule(project, webhooks, value=90)
    crash_rule(project, webhooks, value=99, enabled=False)
    crash_rule(project, webhooks, value=99, release="no-sessions@1")
    sessions(project, "a@1", *[S.HEALTHY] * 9, S.CRASHED)  # exactly 90%: not below
    assert evaluate_health() == []


def test_all_match_rules_with_event_conditions_never_fire_from_the_check(project, webhooks):
    only_rules(project)
    rule = crash_rule(project, webhooks, action_match="all")
    RuleCondition.objects.create(rule=rule, kind=RuleCondition.Kind.FIRST_SEEN)
    sessions(project, "a@1", S.CRASHED)
    assert evaluate_health() == []


def test_condition_needs_a_percentage_and_an_hour_at_least(project):
    rule = make_rule(project, conditions=[])
    condition = RuleCondition(rule=rule, kind=RuleCondition.Kind.CRASH_FREE_RATE, value=150,
                              interval=5)
    with pytest.raises(ValidationError) as error:
        condition.full_clean()
    assert set(error.value.message_dict) == {"value", "interval"}
