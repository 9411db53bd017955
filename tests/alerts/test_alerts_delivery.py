"""Delivering notifications to a real SMTP server and a real HTTP server: content, signing,
retries with backoff, permanent failures, and the claim that stops double sends."""

import hashlib
import hmac
import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from tests import factories
from tests.alerts.helpers import hook, make_rule, only_rules, payload
from tracker.alerts import delivery, tasks
from tracker.alerts.evaluate import evaluate_events
from tracker.alerts.models import AlertRule, Firing, Notification, RuleAction

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def scheduled(monkeypatch):
    """Retries the code schedules, kept here instead of going to the shared broker."""
    calls = []
    monkeypatch.setattr(tasks.deliver, "apply_async",
                        lambda args, countdown: calls.append((args, countdown)))
    return calls


@pytest.fixture
def issue(project):
    only_rules(project)
    return factories.make_issue(project, "ZeroDivisionError: division by zero",
                                culprit="shop.cart in checkout", times_seen=7, users_seen=2)


def fire_once(issue, *actions, **rule_fields):
    make_rule(issue.project, "Checkout errors", actions=actions, **rule_fields)
    (firing,) = evaluate_events([payload(issue, release="1.2", environment="prod")])
    return list(Notification.objects.filter(firing=firing).order_by("id"))


def test_webhook_body_is_documented_json_signed_with_the_secret(issue, webhooks, settings):
    (n,) = fire_once(issue, hook(webhooks, "/signed", secret="s3cret"))
    assert tasks.deliver(n.pk) == "sent"
    (request,) = webhooks.to("/signed")
    expected = hmac.new(b"s3cret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Errata-Signature"] == f"sha256={expected}"
    assert request.headers["X-Errata-Delivery"] == str(n.pk)
    assert request.headers["X-Errata-Event"] == "alert"
    assert request.headers["Content-Type"] == "application/json"
    body = request.json
    assert body["version"] == 1 and body["test"] is False and body["delivery"] == n.pk
    assert body["rule"]["name"] == "Checkout errors"
    assert body["project"] == {"id": issue.project_id, "slug": "shop", "name": "Shop"}
    assert body["issue"]["title"] == "ZeroDivisionError: division by zero"
    assert body["issue"]["culprit"] == "shop.cart in checkout"
    assert body["issue"]["level"] == "error" and body["issue"]["handling"] == "handled"
    assert body["issue"]["times_seen"] == 7
    assert body["issue"]["url"] == f"{settings.PUBLIC_URL}/acme/issues/{issue.pk}/"
    assert body["event"]["release"] == "1.2" and body["event"]["environment"] == "prod"
    assert body["reasons"] == ["an event is seen"]
    n.refresh_from_db()
    assert (n.status, n.attempts, n.result) == ("sent", 1, "HTTP 200")
    assert n.sent_at is not None


def test_webhook_without_secret_is_not_signed(issue, webhooks):
    (n,) = fire_once(issue, hook(webhooks, "/plain"))
    tasks.deliver(n.pk)
    (request,) = webhooks.to("/plain")
    assert "X-Errata-Signature" not in request.headers


def test_slack_body(issue, webhooks):
    (n,) = fire_once(issue, {"kind": "slack", "url": webhooks.url + "/slack"})
    tasks.deliver(n.pk)
    (request,) = webhooks.to("/slack")
    text = request.json["text"]
    assert "ZeroDivisionError: division by zero" in text
    assert f"/issues/{issue.pk}/" in text and "Checkout errors" in text


def test_email_text_and_html_to_each_member_of_the_project(issue, org, smtp, settings):
    bob = factories.make_user("bob")
    org.teams.get().members.add(factories.make_member(org, bob))
    factories.make_member(org, factories.make_user("carol"))  # in the org, not on the team
    (n,) = fire_once(issue, {"kind": "email_project"})
    assert tasks.deliver(n.pk) == "sent"
    mails = sorted(smtp.mails, key=lambda m: m.recipients)
    assert [m.recipients for m in mails] == [["alice@example.com"], ["bob@example.com"]]
    mail = mails[0]
    assert mail.subject == "[Errata] SHOP-1: ZeroDivisionError: division by zero"
    text, html = mail.part("text/plain"), mail.part("text/html")
    link = f"{settings.PUBLIC_URL}/acme/issues/{issue.pk}/"
    for body in (text, html):
        assert "ZeroDivisionError: division by zero" in body
        assert "shop.cart in checkout" in body
        assert "error" in body and "handled" in body
        assert "7 times" in body and "2 users" in body
        assert link in body
    n.refresh_from_db()
    assert n.result == "sent to 2 recipient(s)"


def links(settings, text: str) -> set[str]:
    """The Errata URLs in a notification body (plain text, HTML, Slack or JSON)."""
    return set(re.findall(re.escape(settings.PUBLIC_URL) + r'/[^\s"<>|]*', text))


def test_every_link_in_a_notification_opens_its_page(issue, user, webhooks, smtp, settings,
                                                     client):
    """Follow each link an email, a Slack post and a webhook body carry, as their reader
    would: each opens an Errata page, none is a 404. Test notifications included."""
    notifications = fire_once(issue, {"kind": "email_project"},
                              {"kind": "slack", "url": webhooks.url + "/slack"},
                              hook(webhooks, "/links"))
    notifications += [tasks.send_test(n.action) for n in notifications]
    for n in notifications:
        assert tasks.deliver(n.pk) == "sent"
    bodies = [m.part("text/plain") for m in smtp.mails] + [m.part("text/html")
                                                           for m in smtp.mails]
    bodies += [r.json["text"] for r in webhooks.to("/slack")]
    bodies += [r.body.decode() for r in webhooks.to("/links")]
    assert len(bodies) == 8  # an alert and a test each: text, HTML, Slack, webhook
    found = set()
    for body in bodies:
        assert links(settings, body), body
        found |= links(settings, body)
    client.force_login(user)
    for url in sorted(found):
        response = client.get(url.removeprefix(settings.PUBLIC_URL))
        assert response.status_code == 200, url
    # The issue's page and the rule's (the made-up issue of a test links there).
    rule = notifications[0].rule
    assert found == {f"{settings.PUBLIC_URL}/acme/issues/{issue.pk}/",
                     f"{settings.PUBLIC_URL}/acme/shop/alerts/{rule.pk}/"}


def test_email_to_a_member_and_to_a_team(issue, org, user, smtp):
    team = factories.make_org("Other").teams.get()  # a team with nobody from here
    team.organization = org
    team.save()
    dave = factories.make_member(org, factories.make_user("dave"))
    team.members.add(dave)
    member, on_team = fire_once(issue, {"kind": "email_member", "target_user": user},
                                {"kind": "email_team", "target_team": team})
    tasks.deliver(member.pk)
    tasks.deliver(on_team.pk)
    assert sorted(r for m in smtp.mails for r in m.recipients) == [
        "alice@example.com", "dave@example.com"]


def test_failures_are_retried_with_backoff_then_sent(issue, webhooks, scheduled):
    webhooks.answer("/flaky", 500, 503)
    (n,) = fire_once(issue, hook(webhooks, "/flaky"))
    assert tasks.deliver(n.pk) == "pending"
    n.refresh_from_db()
    assert n.attempts == 1 and "HTTP 500" in n.result
    assert n.next_attempt_at > timezone.now() + timedelta(seconds=25)
    assert scheduled == [((n.pk,), 30.0)]
    assert tasks.deliver(n.pk) is None  # not due yet: nothing is sent early
    Notification.objects.filter(pk=n.pk).update(next_attempt_at=timezone.now())
    assert tasks.deliver(n.pk) == "pending"
    assert scheduled[-1] == ((n.pk,), 60.0)
    assert delivery.due() == []
    Notification.objects.filter(pk=n.pk).update(next_attempt_at=timezone.now())
    assert delivery.due() == [n.pk]
    assert tasks.deliver(n.pk) == "sent"
    n.refresh_from_db()
    assert (n.status, n.attempts) == ("sent", 3)
    assert len(webhooks.to("/flaky")) == 3


def test_bounded_attempts_then_failed_and_visible_nothing_disabled(issue, webhooks):
    webhooks.answer("/down", *[500] * 10)
    (n,) = fire_once(issue, hook(webhooks, "/down"))
    for _ in range(delivery.MAX_ATTEMPTS):
        Notification.objects.filter(pk=n.pk).update(next_attempt_at=timezone.now())
        tasks.deliver(n.pk)
    n.refresh_from_db()
    assert n.status == "failed" and n.attempts == delivery.MAX_ATTEMPTS
    assert n.result.startswith(f"gave up after {delivery.MAX_ATTEMPTS} attempts")
    assert len(webhooks.to("/down")) == delivery.MAX_ATTEMPTS
    assert AlertRule.objects.get(pk=n.rule_id).enabled
    assert RuleAction.objects.filter(pk=n.action_id).exists()
    # An operator may send it again, deliberately.
    assert delivery.retry([n.pk]) == 1
    webhooks.answer("/down")
    assert tasks.deliver(n.pk) == "sent"


def test_client_errors_are_not_retried(issue, webhooks, scheduled):
    webhooks.answer("/gone", 404)
    (n,) = fire_once(issue, hook(webhooks, "/gone"))
    assert tasks.deliver(n.pk) == "failed"
    n.refresh_from_db()
    assert n.result == "not retried: HTTP 404 Not Found"
    assert scheduled == []


def test_unreachable_smtp_is_retried(issue, settings, scheduled):
    from tests.alerts.servers import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = False
    (n,) = fire_once(issue, {"kind": "email_project"})
    assert tasks.deliver(n.pk) == "pending"
    n.refresh_from_db()
    assert "ConnectionRefusedError" in n.result
    assert len(scheduled) == 1


def test_nobody_to_email_fails_with_the_reason(issue, org, user):
    user.email = ""
    user.save()
    (n,) = fire_once(issue, {"kind": "email_member", "target_user": user})
    assert tasks.deliver(n.pk) == "failed"
    n.refresh_from_db()
    assert "nobody to email" in n.result


def test_a_dead_workers_lease_expires_and_the_row_is_sent(issue, webhooks):
    (n,) = fire_once(issue, hook(webhooks, "/lease"))
    assert delivery.claim(n.pk) is not None  # a worker claims it and dies
    assert tasks.deliver(n.pk) is None
    assert delivery.due() == []
    Notification.objects.filter(pk=n.pk).update(lease_until=timezone.now() - timedelta(1))
    assert delivery.due() == [n.pk]
    assert tasks.deliver(n.pk) == "sent"
    assert len(webhooks.to("/lease")) == 1


def test_a_test_notification_has_no_firing(project, webhooks):
    only_rules(project)
    rule = make_rule(project, "Hooks", actions=[hook(webhooks, "/test", secret="k")])
    n = tasks.send_test(rule.actions.get())
    assert n.is_test and n.firing is None
    assert tasks.deliver(n.pk) == "sent"
    (request,) = webhooks.to("/test")
    assert request.headers["X-Errata-Event"] == "test"
    body = request.json
    assert body["test"] is True and body["issue"]["title"] == "Test notification from Errata"
    assert body["event"] is None


def test_a_test_email(project, smtp):
    rule = AlertRule.objects.get(project=project, name="New issue")
    n = tasks.send_test(rule.actions.get())
    assert tasks.deliver(n.pk) == "sent"
    (mail,) = smtp.mails
    assert mail.subject.startswith("[Errata test] SHOP-TEST")
    assert "This is a test notification" in mail.part("text/plain")


def in_threads(n: int, target, *args) -> list:
    """Run `target(*args)` in n threads released at the same moment; return their results."""
    barrier = threading.Barrier(n)
    results = []

    def run():
        try:
            barrier.wait()
            results.append(target(*args))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_rows_send_each_once(project, webhooks):
    only_rules(project)
    rule = make_rule(project, actions=[hook(webhooks, "/once")])
    action = rule.actions.get()
    rows = Notification.objects.bulk_create(
        [Notification(rule=rule, action=action, kind="webhook") for _ in range(10)])
    for row in rows:
        results = in_threads(2, tasks.deliver, row.pk)
        assert sorted(results, key=str) == [None, "sent"]
    deliveries = [r.headers["X-Errata-Delivery"] for r in webhooks.to("/once")]
    assert sorted(deliveries) == sorted(str(r.pk) for r in rows)


@pytest.mark.django_db(transaction=True)
def test_two_workers_evaluating_the_same_events_fire_once(project, monkeypatch):
    only_rules(project)
    monkeypatch.setattr(tasks.deliver, "delay_on_commit", lambda pk: None)
    issue = factories.make_issue(project)
    rule = make_rule(project, frequency=60, conditions=[("event_frequency", 2, 1)],
                     actions=[{"kind": "webhook", "url": "http://127.0.0.1:9/"}])
    for _ in range(3):
        events = [payload(issue) for _ in range(3)]
        in_threads(2, evaluate_events, events)
    assert Firing.objects.filter(rule=rule).count() == 1
    assert Notification.objects.filter(rule=rule).count() == 1
    assert Firing.objects.get().reasons[0].startswith("3 events")


def test_redirects_are_not_followed(issue, webhooks):
    webhooks.answer("/moved", 302)
    (n,) = fire_once(issue, hook(webhooks, "/moved"))
    assert tasks.deliver(n.pk) == "failed"
    n.refresh_from_db()
    assert "redirects are not followed" in n.result
    assert len(webhooks.requests) == 1
