"""Isolation between organizations on the settings, stats and API, and escaping."""

import uuid

import pytest

from tests.factories import make_event, make_issue, make_org, make_project, make_user
from tests.tracker.test_api import make_token
from tracker.discards import discard_issues
from tracker.models import DiscardedFingerprint, IssueHash, Project, ProjectKey

pytestmark = pytest.mark.django_db

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def victim(db):
    """Organization B, with a key, a discarded fingerprint and an event."""
    owner = make_user("bob")
    project = make_project(make_org("Globex", owner=owner), "Vault", slug="vault")
    issue = make_issue(project, "secret issue")
    IssueHash.objects.create(project=project, hash="f" * 32, issue=issue)
    [fp] = discard_issues([issue], owner)
    event = make_event(make_issue(project, "another secret"))
    return {"project": project, "key": project.keys.get(), "fp": fp, "event": event}


def _b_urls(v) -> list[tuple[str, str]]:
    p = "/globex/vault"
    key, fp = v["key"].pk, v["fp"].pk
    return [
        ("get", f"{p}/settings/"), ("post", f"{p}/settings/"),
        ("get", f"{p}/settings/keys/"), ("post", f"{p}/settings/keys/"),
        ("post", f"{p}/settings/keys/{key}/active/"),
        ("post", f"{p}/settings/keys/{key}/rate-limit/"),
        ("post", f"{p}/settings/keys/{key}/rotate/"),
        ("get", f"{p}/settings/grouping/"), ("post", f"{p}/settings/grouping/"),
        ("get", f"{p}/settings/discarded/"),
        ("post", f"{p}/settings/discarded/{fp}/undo/"),
        ("post", f"{p}/settings/sample-event/"), ("get", f"{p}/settings/sample-event/status/"),
        ("get", f"{p}/stats/"),
    ]


def test_member_of_a_gets_404_for_everything_of_b(client, user, project, victim):
    client.force_login(user)  # owner of Acme: the strongest role, still nothing of Globex
    for method, url in _b_urls(victim):
        data = {"active": "0", "section": "origins", "allowed_origins": "*",
                "rate_limit_window": "60", "label": "pwned"}
        response = getattr(client, method)(url, data if method == "post" else None)
        assert response.status_code == 404, (method, url)
    key = ProjectKey.objects.get(pk=victim["key"].pk)
    assert key.is_active and key.rate_limit_count is None
    assert ProjectKey.objects.filter(project=victim["project"]).count() == 1
    assert DiscardedFingerprint.objects.filter(pk=victim["fp"].pk).exists()


def test_ids_of_b_through_own_project_are_404(client, user, project, victim):
    client.force_login(user)
    own = "/acme/shop"
    assert client.post(f"{own}/settings/keys/{victim['key'].pk}/active/",
                       {"active": "0"}).status_code == 404
    assert client.post(f"{own}/settings/keys/{victim['key'].pk}/rotate/").status_code == 404
    assert client.post(f"{own}/settings/discarded/{victim['fp'].pk}/undo/").status_code == 404
    assert ProjectKey.objects.get(pk=victim["key"].pk).is_active
    assert DiscardedFingerprint.objects.filter(pk=victim["fp"].pk).exists()


def test_api_objects_of_b_are_404(client, user, project, victim):
    headers = {"Authorization": f"Bearer {make_token(user)}"}
    event_id = victim["event"].event_id.hex
    for url in ["/api/0/organizations/globex/projects/",
                "/api/0/projects/globex/vault/issues/",
                f"/api/0/projects/globex/vault/events/{event_id}/",
                f"/api/0/projects/acme/shop/events/{event_id}/"]:
        assert client.get(url, headers=headers).status_code == 404, url


def test_settings_pages_escape_names_rules_and_event_data(client, user, project):
    project.name = XSS
    project.allowed_origins = "*"
    project.fingerprint_rules = f'message:"{XSS}" -> x'
    project.save()
    ProjectKey.objects.create(project=project, label=XSS)
    issue = make_issue(project, XSS, culprit=XSS)
    IssueHash.objects.create(project=project, hash="e" * 32, issue=issue)
    discard_issues([issue], user)
    client.force_login(user)
    for url in ["/acme/shop/settings/", "/acme/shop/settings/keys/",
                "/acme/shop/settings/grouping/", "/acme/shop/settings/discarded/",
                "/acme/shop/stats/"]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html, url
        assert "<img src=x" not in html, url
        assert "&lt;script&gt;" in html, url


def test_sample_status_escapes_issue_title(client, user, project):
    issue = make_issue(project, XSS)
    event = make_event(issue, event_id=uuid.uuid4())
    client.force_login(user)
    session = client.session
    session[f"sample-event:{project.pk}"] = event.event_id.hex
    session.save()
    html = client.get("/acme/shop/settings/sample-event/status/").content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<script>" not in html


def test_rule_errors_escape_the_offending_line(client, user, project):
    client.force_login(user)
    response = client.post("/acme/shop/settings/grouping/",
                           {"fingerprint_rules": XSS, "enhancement_rules": ""})
    html = response.content.decode()
    assert "Line 1:" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert Project.objects.get(pk=project.pk).fingerprint_rules == ""


def test_api_returns_event_data_as_json_not_html(client, user, project):
    issue = make_issue(project, XSS)
    event = make_event(issue, data={"title": XSS, "tags": [["k", XSS]]})
    response = client.get(f"/api/0/projects/acme/shop/events/{event.event_id.hex}/",
                          headers={"Authorization": f"Bearer {make_token(user)}"})
    assert response["Content-Type"] == "application/json"
    assert response.json()["title"] == XSS
