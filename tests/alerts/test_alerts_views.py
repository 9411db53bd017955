"""The project's alert pages: access, the rule form, enable/disable, tests and the log."""

import pytest
from django.urls import reverse

from tests import factories
from tests.alerts.helpers import form_data, make_rule, payload
from tracker.alerts.evaluate import evaluate_events
from tracker.alerts.models import AlertRule, Notification

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def url(name, project, *args):
    return reverse(f"alerts:{name}", args=[project.organization.slug, project.slug, *args])


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def member(client, org):
    client.force_login(factories.make_member(org).user)
    return client


PAYMENTS = dict(
    conditions=[{"kind": "every_event"}],
    filters=[{"kind": "tag", "match": "eq", "key": "domain", "value": "payments"}],
    actions=[{"kind": "webhook", "url": "https://hooks.example.com/errata", "secret": "k"}],
)


def test_list_shows_the_rules(owner, project):
    response = owner.get(url("list", project))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("New issue", "Critical error", "High volume"):
        assert name in html
    assert "the issue is seen more than 100 times in 1 hour" in html
    assert url("create", project) in html
    assert "HX-Request" in response["Vary"]


def test_members_see_but_do_not_change(member, project):
    assert member.get(url("list", project)).status_code == 200
    assert url("create", project) not in member.get(url("list", project)).content.decode()
    rule = AlertRule.objects.filter(project=project).first()
    page = member.get(url("edit", project, rule.pk))
    assert page.status_code == 200 and b"<fieldset disabled>" in page.content
    assert member.get(url("create", project)).status_code == 403
    assert member.post(url("edit", project, rule.pk), form_data(**PAYMENTS)).status_code == 403
    assert member.post(url("toggle", project, rule.pk)).status_code == 403
    assert member.post(url("test", project, rule.actions.get().pk)).status_code == 403


def test_other_organizations_get_404(client, project):
    client.force_login(factories.make_user("mallory"))
    rule = AlertRule.objects.filter(project=project).first()
    for page in (url("list", project), url("edit", project, rule.pk), url("log", project)):
        assert client.get(page).status_code == 404
    assert client.post(url("toggle", project, rule.pk)).status_code == 404


def test_rules_of_another_project_are_not_found_here(owner, project, org):
    other = factories.make_project(org, "Other")
    rule = AlertRule.objects.filter(project=other).first()
    assert owner.get(url("edit", project, rule.pk)).status_code == 404
    assert owner.post(url("toggle", project, rule.pk)).status_code == 404


def test_anonymous_visitors_sign_in_first(client, project):
    response = client.get(url("list", project))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_create_a_rule(owner, project, user):
    page = owner.get(url("create", project)).content.decode()
    assert f'<option value="{user.pk}" selected>' in page  # the author owns it by default
    response = owner.post(url("create", project), form_data(**PAYMENTS, owner=str(user.pk)))
    assert response.status_code == 302 and response["Location"] == url("list", project)
    rule = AlertRule.objects.get(project=project, name="Payments")
    assert rule.owner == user and rule.frequency == 30
    assert [c.kind for c in rule.conditions.all()] == ["every_event"]
    assert [str(f) for f in rule.filters.all()] == ["tag domain is payments"]
    (action,) = rule.actions.all()
    assert (action.kind, action.secret) == ("webhook", "k")


def test_create_with_htmx_redirects_the_client(owner, project):
    response = owner.post(url("create", project), form_data(**PAYMENTS), **HX)
    assert response.status_code == 200 and response["HX-Redirect"] == url("list", project)


@pytest.mark.parametrize(("changes", "message"), [
    ({"conditions": []}, "Add at least one condition: a rule without conditions never fires."),
    ({"actions": []}, "Add at least one action: a rule without actions notifies nobody."),
    ({"filters": [{"kind": "level", "value": "critical"}]}, "Use one of the levels"),
    ({"filters": [{"kind": "tag", "value": "x"}]}, "Give the tag key to look at"),
    ({"filters": [{"kind": "level", "match": "contains", "value": "fatal"}]},
     "The event&#x27;s level can only be compared with"),
    ({"conditions": [{"kind": "event_frequency", "value": "10"}]}, "Choose the window"),
    ({"actions": [{"kind": "slack"}]}, "Give the URL to post to."),
    ({"actions": [{"kind": "email_member"}]}, "Choose the member to email."),
    ({"frequency": "1"}, "Select a valid choice"),
])
def test_invalid_rules_say_why(owner, project, changes, message):
    response = owner.post(url("create", project), form_data(**{**PAYMENTS, **changes}), **HX)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AlertRule.objects.filter(name="Payments").exists()


def test_members_of_other_organizations_cannot_be_targets(owner, project):
    stranger = factories.make_user("stranger")
    data = form_data(**{**PAYMENTS, "actions": [{"kind": "email_member",
                                                 "target_user": str(stranger.pk)}]})
    response = owner.post(url("create", project), data)
    assert "Select a valid choice" in response.content.decode()


def test_add_a_row_keeps_what_was_typed(owner, project):
    data = form_data(**PAYMENTS, add="filters")
    response = owner.post(url("create", project), data, **HX)
    html = response.content.decode()
    assert 'name="filters-TOTAL_FORMS" value="2"' in html
    assert 'value="payments"' in html
    assert not AlertRule.objects.filter(name="Payments").exists()


def test_edit_a_rule(owner, project):
    rule = AlertRule.objects.get(project=project, name="High volume")
    condition, action = rule.conditions.get(), rule.actions.get()
    data = form_data(
        name="Storm", frequency="60", initial={"conditions": 1, "actions": 1},
        conditions=[{"id": condition.pk, "kind": "event_frequency", "value": "500",
                     "interval": "60"}],
        actions=[{"id": action.pk, "kind": "email_project", "DELETE": "on"},
                 {"kind": "slack", "url": "https://hooks.slack.com/services/T/B/X"}],
    )
    response = owner.post(url("edit", project, rule.pk), data)
    assert response.status_code == 302, response.content.decode()
    rule.refresh_from_db()
    assert rule.name == "Storm"
    assert rule.conditions.get().value == 500
    assert [a.kind for a in rule.actions.all()] == ["slack"]


def test_toggle(owner, project):
    rule = AlertRule.objects.get(project=project, name="New issue")
    response = owner.post(url("toggle", project, rule.pk), **HX)
    assert response.status_code == 200
    assert b"Disabled" in response.content and b"<tr id=\"rule-" in response.content
    assert b"<html" not in response.content
    rule.refresh_from_db()
    assert not rule.enabled
    owner.post(url("toggle", project, rule.pk))
    rule.refresh_from_db()
    assert rule.enabled


def test_delete(owner, project):
    rule = AlertRule.objects.get(project=project, name="New issue")
    assert owner.post(url("delete", project, rule.pk)).status_code == 302
    assert not AlertRule.objects.filter(pk=rule.pk).exists()


def test_send_a_test_notification(owner, project):
    rule = AlertRule.objects.get(project=project, name="New issue")
    action = rule.actions.get()
    page = owner.get(url("edit", project, rule.pk)).content.decode()
    assert url("test", project, action.pk) in page and "Send a test notification" in page
    response = owner.post(url("test", project, action.pk), **HX)
    notification = Notification.objects.get(is_test=True)
    assert notification.action == action and notification.status == "pending"
    html = response.content.decode()
    assert "pending" in html and url("notification", project, notification.pk) in html
    Notification.objects.filter(pk=notification.pk).update(status="sent", result="HTTP 200")
    final = owner.get(url("notification", project, notification.pk)).content.decode()
    assert "sent" in final and "HTTP 200" in final and "hx-get" not in final


def test_log_shows_firings_and_delivery_results(owner, project):
    issue = factories.make_issue(project, "KeyError: sku")
    make_rule(project, "Every event", actions=[{"kind": "slack", "url": "https://x.test/h"}])
    (firing,) = [f for f in evaluate_events([payload(issue)]) if f.rule.name == "Every event"]
    Notification.objects.filter(firing=firing).update(
        status="failed", attempts=5, result="gave up after 5 attempts: HTTP 500")
    html = owner.get(url("log", project)).content.decode()
    assert "KeyError: sku" in html and "Every event" in html
    assert "gave up after 5 attempts: HTTP 500" in html and "failed" in html
    partial = owner.get(url("log", project), **HX).content.decode()
    assert partial.startswith('\n<div id="entries">') or '<div id="entries">' in partial
    assert "<html" not in partial


SECRET = "whsec-4f9a1c2e7b"
SLACK = "https://hooks.slack.com/services/T000/B000/XXXXSLACKTOKEN"


def _secret_rule(project):
    rule = make_rule(project, "Signed", actions=[
        {"kind": "webhook", "url": "https://hooks.example.com/errata", "secret": SECRET},
        {"kind": "slack", "url": SLACK},
    ])
    issue = factories.make_issue(project, "KeyError: sku")
    evaluate_events([payload(issue)])  # firings and notifications for the log
    Notification.objects.create(rule=rule, action=rule.actions.last(), kind="slack",
                                target=SLACK, is_test=True)  # as older firings stored it
    return rule


def _pages(client, project, rule):
    yield client.get(url("list", project)).content.decode()
    yield client.get(url("edit", project, rule.pk)).content.decode()
    yield client.get(url("edit", project, rule.pk), **HX).content.decode()
    yield client.get(url("log", project)).content.decode()
    yield client.get(url("log", project), **HX).content.decode()
    for n in Notification.objects.filter(rule=rule):
        yield client.get(url("notification", project, n.pk)).content.decode()


def test_members_see_no_secrets(member, project):
    rule = _secret_rule(project)
    for html in _pages(member, project, rule):
        assert SECRET[:4] not in html and "XXXXSLACKTOKEN" not in html
        assert "/services/" not in html
    edit = member.get(url("edit", project, rule.pk)).content.decode()
    assert 'name="actions-0-secret"' not in edit
    assert "https://hooks.slack.com/…" in edit


def test_managers_see_secrets_masked(owner, project):
    rule = _secret_rule(project)
    for html in _pages(owner, project, rule):
        assert SECRET not in html and "XXXXSLACKTOKEN" not in html
        assert "/services/" not in html
    edit = owner.get(url("edit", project, rule.pk)).content.decode()
    assert 'name="actions-0-secret" value="whse…"' in edit
    assert 'value="https://hooks.slack.com/…"' in edit


def _edit_data(rule, secret, slack_url, name="Renamed"):
    condition = rule.conditions.get()
    webhook, slack = rule.actions.all()
    return form_data(
        name=name, initial={"conditions": 1, "actions": 2},
        conditions=[{"id": condition.pk, "kind": condition.kind}],
        actions=[{"id": webhook.pk, "kind": "webhook", "url": webhook.url, "secret": secret},
                 {"id": slack.pk, "kind": "slack", "url": slack_url}],
    )


def test_saving_the_masked_secrets_keeps_them(owner, project):
    rule = _secret_rule(project)
    response = owner.post(url("edit", project, rule.pk),
                          _edit_data(rule, "whse…", "https://hooks.slack.com/…"))
    assert response.status_code == 302, response.content.decode()
    rule.refresh_from_db()
    assert rule.name == "Renamed"
    assert [(a.secret, a.url) for a in rule.actions.all()] == [
        (SECRET, "https://hooks.example.com/errata"), ("", SLACK)]

    # Changing a field of the same action (the kind stays) still keeps the secret.
    data = _edit_data(rule, "whse…", "https://hooks.slack.com/…")
    data["actions-0-url"] = "https://hooks.example.com/other"
    assert owner.post(url("edit", project, rule.pk), data).status_code == 302
    webhook = rule.actions.first()
    assert (webhook.url, webhook.secret) == ("https://hooks.example.com/other", SECRET)


def test_typing_new_secrets_replaces_them(owner, project):
    rule = _secret_rule(project)
    new_slack = "https://hooks.slack.com/services/T1/B1/NEWTOKEN"
    response = owner.post(url("edit", project, rule.pk),
                          _edit_data(rule, "a-new-secret", new_slack))
    assert response.status_code == 302, response.content.decode()
    assert [(a.secret, a.url) for a in rule.actions.all()] == [
        ("a-new-secret", "https://hooks.example.com/errata"), ("", new_slack)]
