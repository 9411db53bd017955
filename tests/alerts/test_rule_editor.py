"""The rule editor: each row shows only the fields its kind uses (swapped by htmx), no blank
placeholders, inline help, the 24-hour preview, masked URLs, and a firing log that links."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tests import factories
from tests.alerts.helpers import form_data, make_rule, only_rules, payload
from tracker.alerts.evaluate import evaluate_events
from tracker.alerts.models import AlertRule
from tracker.models import Level

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true"}


def url(name, project, *args):
    return reverse(f"alerts:{name}", args=[project.organization.slug, project.slug, *args])


@pytest.fixture
def owner(client, user):
    client.force_login(user)
    return client


def row(client, project, section, index=0, **fields):
    params = {"section": section, "index": index,
              **{f"{section}-{index}-{k}": v for k, v in fields.items()}}
    response = client.get(url("row", project), params, **HX)
    assert response.status_code == 200, response.content
    return response.content.decode()


def names(html: str, section: str, index: int = 0) -> set[str]:
    import re
    return set(re.findall(rf'name="{section}-{index}-(\w+)"', html))


def test_the_new_rule_page_has_no_blank_choices_and_says_what_kinds_do(owner, project):
    html = owner.get(url("create", project)).content.decode()
    assert "---------" not in html
    assert '<option value="">Nobody</option>' in html  # the owner may be nobody
    # A new rule starts with a condition and an action, each showing its kind's fields only.
    assert "Fires for the first event of each new issue." in html
    assert 'name="conditions-0-value"' not in html
    assert 'name="actions-0-target_user"' in html and 'name="actions-0-url"' not in html
    assert " onsubmit=" not in html and "<script>" not in html


@pytest.mark.parametrize(("section", "fields", "shown"), [
    ("conditions", {"kind": "first_seen"}, set()),
    ("conditions", {"kind": "event_frequency"}, {"value", "interval"}),
    ("conditions", {"kind": "unique_users"}, {"value", "interval"}),
    ("filters", {"kind": "level"}, {"match", "value"}),
    ("filters", {"kind": "tag"}, {"key", "match", "value"}),
    ("filters", {"kind": "tag", "match": "is_set"}, {"key", "match"}),
    ("filters", {"kind": "handling"}, {"value"}),
    ("filters", {"kind": "issue_age"}, {"match", "value", "unit"}),
    ("filters", {"kind": "latest_release"}, set()),
    ("filters", {"kind": "assignee"}, {"match"}),
    ("filters", {"kind": "assignee", "match": "member"}, {"match", "target_user"}),
    ("filters", {"kind": "assignee", "match": "team"}, {"match", "target_team"}),
    ("actions", {"kind": "email_member"}, {"target_user"}),
    ("actions", {"kind": "email_team"}, {"target_team"}),
    ("actions", {"kind": "email_project"}, set()),
    ("actions", {"kind": "slack"}, {"url"}),
    ("actions", {"kind": "webhook"}, {"url", "secret"}),
])
def test_a_row_shows_the_fields_its_kind_uses(owner, project, section, fields, shown):
    html = row(owner, project, section, 2, **fields)
    assert names(html, section, 2) == shown
    assert f'id="{section}-2-fields"' in html and "---------" not in html
    assert '<small class="help">' in html and "<html" not in html


def test_a_swapped_row_keeps_what_was_typed_and_offers_the_kind_s_matches(owner, project):
    html = row(owner, project, "filters", kind="tag", key="domain", value="payments",
               match="contains")
    assert 'value="domain"' in html and 'value="payments"' in html
    assert '<option value="contains" selected>' in html
    level = row(owner, project, "filters", kind="level", match="contains")
    assert 'value="contains"' not in level  # level compares with is / at least / at most
    assert '<option value="fatal">fatal</option>' in level  # a choice, not free text


def test_the_row_endpoint_checks_its_input_and_scope(owner, project):
    assert owner.get(url("row", project), {"section": "nope", "index": 0}).status_code == 400
    assert owner.get(url("row", project), {"section": "filters"}).status_code == 400
    other = factories.make_project(factories.make_org("Other", owner=factories.make_user()),
                                   "Theirs", slug="theirs")
    assert owner.get(url("row", other), {"section": "filters", "index": 0}).status_code == 404


def test_rows_posted_as_shown_are_saved_and_removed_rows_are_not(owner, project):
    data = form_data(conditions=[{"kind": "first_seen"}, {"kind": "every_event",
                                                          "DELETE": "on"}],
                     filters=[{"kind": "latest_release"}],
                     actions=[{"kind": "email_project"}])
    response = owner.post(url("create", project), data)
    assert response.status_code == 302, response.content.decode()
    rule = AlertRule.objects.get(name="Payments")
    assert [c.kind for c in rule.conditions.all()] == ["first_seen"]
    assert [f.kind for f in rule.filters.all()] == ["latest_release"]


def test_fields_a_kind_does_not_use_are_not_kept(owner, project):
    data = form_data(conditions=[{"kind": "first_seen", "value": "5", "interval": "60"}],
                     actions=[{"kind": "email_project", "url": "https://x.example/"}])
    owner.post(url("create", project), data)
    rule = AlertRule.objects.get(name="Payments")
    assert (rule.conditions.get().value, rule.actions.get().url) == (None, "")


def test_preview_replays_the_last_24_hours(owner, project):
    only_rules(project)
    now = datetime.now(UTC)
    noisy = factories.make_issue(project, "Noisy", first_seen=now - timedelta(minutes=170))
    quiet = factories.make_issue(project, "Quiet warning", level=Level.WARNING,
                                 first_seen=now - timedelta(hours=2))
    for minutes in (170, 160, 20, 10):
        factories.make_event(noisy, timestamp=now - timedelta(minutes=minutes))
    factories.make_event(quiet, timestamp=now - timedelta(hours=2), level=Level.WARNING)
    factories.make_event(noisy, timestamp=now - timedelta(hours=30))  # too old (a merge)
    data = form_data(conditions=[{"kind": "every_event"}],
                     filters=[{"kind": "level", "match": "gte", "value": "error"}],
                     actions=[{"kind": "email_project"}], frequency="60", preview="1")
    html = owner.post(url("create", project), data, **HX).content.decode()
    assert not AlertRule.objects.exists()  # a preview saves nothing
    part = html[html.index('id="preview"'):]
    # Every error event, at most once an hour per issue: 170 fires, 160 is too soon, 20
    # fires, 10 is too soon; the warning is filtered out.
    assert "this rule would have fired <strong>2 times</strong> for 1 issue" in part
    assert "Of 5 events" in part and "Quiet warning" not in part
    detail = reverse("issues:detail", args=[project.organization.slug, noisy.pk])
    assert f'href="{detail}"' in part

    counting = form_data(conditions=[{"kind": "event_frequency", "value": "1",
                                      "interval": "60"}],
                         actions=[{"kind": "email_project"}], frequency="5", preview="1")
    part = owner.post(url("create", project), counting, **HX).content.decode()
    # More than one event of the issue in the hour up to each event: at 160 and at 10
    # minutes ago (each counting itself and the one 10 minutes before).
    assert "would have fired <strong>2 times</strong> for 1 issue" in part
    assert "2 events in 1 hour (more than 1)" in part

    first_seen = form_data(conditions=[{"kind": "first_seen"}],
                           actions=[{"kind": "email_project"}], preview="1")
    part = owner.post(url("create", project), first_seen, **HX).content.decode()
    assert "would have fired <strong>2 times</strong> for 2 issues" in part


def test_preview_with_errors_shows_the_errors(owner, project):
    data = form_data(conditions=[{"kind": "event_frequency"}],
                     actions=[{"kind": "email_project"}], preview="1")
    html = owner.post(url("create", project), data, **HX).content.decode()
    assert "Give N" in html and 'id="preview"' not in html


def test_members_see_no_webhook_url_whole(client, org, project):
    only_rules(project)
    rule = make_rule(project, "Hooked", actions=[
        {"kind": "webhook", "url": "https://hooks.example.com/errata/T0KEN?sig=abc"}])
    client.force_login(factories.make_member(org).user)
    html = client.get(url("edit", project, rule.pk)).content.decode()
    assert "T0KEN" not in html and "sig=abc" not in html
    assert 'value="https://hooks.example.com/…"' in html


def test_managers_see_their_webhook_url(owner, project):
    only_rules(project)
    rule = make_rule(project, "Hooked", actions=[
        {"kind": "webhook", "url": "https://hooks.example.com/errata/path"}])
    html = owner.get(url("edit", project, rule.pk)).content.decode()
    assert 'value="https://hooks.example.com/errata/path"' in html


def test_the_firing_log_links_its_issues(owner, project):
    only_rules(project)
    make_rule(project, "Every event", actions=[{"kind": "email_project"}])
    issue = factories.make_issue(project, "KeyError: sku")
    evaluate_events([payload(issue)])
    detail = reverse("issues:detail", args=[project.organization.slug, issue.pk])
    for page in (url("log", project), url("edit", project, AlertRule.objects.get().pk)):
        html = owner.get(page).content.decode()
        assert f'<a href="{detail}">{issue.qualified_short_id} KeyError: sku</a>' in html


def test_deleting_a_rule_asks_without_script(owner, project):
    rule = AlertRule.objects.filter(project=project).first()
    html = owner.get(url("edit", project, rule.pk)).content.decode()
    form = html[html.index("Delete this rule…"):]
    assert f'action="{url("delete", project, rule.pk)}"' in form
    assert "onsubmit" not in html
