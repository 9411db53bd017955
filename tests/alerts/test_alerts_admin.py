"""Alert rules in the Django admin: inlines, validation messages, test notifications."""

import pytest
from django.urls import reverse

from tests import factories
from tests.alerts.helpers import form_data, make_rule, payload
from tracker.alerts.evaluate import evaluate_events
from tracker.alerts.models import AlertRule, Notification

pytestmark = pytest.mark.django_db

ADD = "/admin/alerts/alertrule/add/"


@pytest.fixture
def admin(client, user):
    user.is_staff = user.is_superuser = True
    user.save()
    client.force_login(user)
    return client


def rule_data(project, **changes):
    rows = dict(
        conditions=[{"kind": "event_frequency", "value": "50", "interval": "5"}],
        filters=[{"kind": "level", "match": "gte", "value": "error"}],
        actions=[{"kind": "webhook", "url": "https://hooks.example.com/x", "secret": "s"}],
    )
    return form_data(**{"project": str(project.pk), "name": "Admin storm", "owner": "",
                        **rows, **changes})


def test_add_a_rule_with_its_inlines(admin, project):
    assert admin.get(ADD).status_code == 200
    response = admin.post(ADD, rule_data(project))
    assert response.status_code == 302, response.content.decode()
    rule = AlertRule.objects.get(name="Admin storm")
    assert rule.project == project
    assert str(rule.conditions.get()) == "the issue is seen more than 50 times in 5 minutes"
    assert str(rule.filters.get()) == "the event's level is at least error"
    assert rule.actions.get().secret == "s"


@pytest.mark.parametrize(("changes", "message"), [
    ({"conditions": []}, "Add at least one condition: a rule without conditions never fires."),
    ({"actions": []}, "Add at least one action: a rule without actions notifies nobody."),
    ({"filters": [{"kind": "priority", "match": "eq", "value": "urgent"}]},
     "Use one of the priorities: low, medium, high."),
    ({"filters": [{"kind": "issue_age", "match": "older", "value": "two", "unit": "days"}]},
     "Give the age as a whole number of units"),
    ({"filters": [{"kind": "assignee", "match": "team"}]},
     "Choose the team the issue must be assigned to."),
    ({"conditions": [{"kind": "unique_users", "interval": "60"}]},
     "Give N: the count that must be exceeded."),
    ({"actions": [{"kind": "email_team"}]}, "Choose the team to email."),
    ({"frequency": "43201"}, "Select a valid choice"),
])
def test_validation_messages(admin, project, changes, message):
    response = admin.post(ADD, rule_data(project, **changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AlertRule.objects.filter(name="Admin storm").exists()


def test_targets_must_belong_to_the_rules_organization(admin, project):
    stranger = factories.make_user("stranger")
    foreign_team = factories.make_org("Elsewhere").teams.get()
    response = admin.post(ADD, rule_data(project, actions=[
        {"kind": "email_member", "target_user": str(stranger.pk)},
        {"kind": "email_team", "target_team": str(foreign_team.pk)},
    ], owner=str(stranger.pk)))
    html = response.content.decode()
    assert "This user is not a member of the organization." in html
    assert "This team belongs to another organization." in html
    assert "The owner must be a member of the organization." in html


def test_send_a_test_notification_from_the_admin(admin, project):
    rule = AlertRule.objects.get(project=project, name="New issue")
    action = rule.actions.get()
    change = admin.get(reverse("admin:alerts_alertrule_change", args=[rule.pk]))
    test_url = reverse("admin:alerts_ruleaction_test", args=[rule.pk, action.pk])
    assert test_url in change.content.decode()
    assert b"Send a test notification" in admin.get(test_url).content
    response = admin.post(test_url)
    assert response.status_code == 302
    notification = Notification.objects.get(is_test=True)
    assert notification.action == action and notification.firing is None


def test_the_test_view_needs_staff(client, project, user):
    client.force_login(user)  # a member of the org, not staff
    rule = AlertRule.objects.get(project=project, name="New issue")
    test_url = reverse("admin:alerts_ruleaction_test", args=[rule.pk, rule.actions.get().pk])
    assert client.post(test_url).status_code == 302  # to the admin login
    assert not Notification.objects.exists()


def test_firings_and_notifications_are_listed_and_failed_ones_can_be_resent(admin, project,
                                                                            monkeypatch):
    from tracker.alerts import tasks

    monkeypatch.setattr(tasks.deliver, "delay_on_commit", lambda pk: None)
    issue = factories.make_issue(project, "OSError: disk full")
    make_rule(project, "Disk", actions=[{"kind": "webhook", "url": "https://x.test/"}])
    evaluate_events([payload(issue)])
    notification = Notification.objects.get(rule__name="Disk")
    Notification.objects.filter(pk=notification.pk).update(status="failed", result="HTTP 500")
    assert b"OSError: disk full" in admin.get("/admin/alerts/firing/").content
    assert b"HTTP 500" in admin.get("/admin/alerts/notification/").content
    admin.post("/admin/alerts/notification/", {
        "action": "send_again", "_selected_action": [str(notification.pk)]})
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("pending", 0)
