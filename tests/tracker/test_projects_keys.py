"""Project settings: DSN keys."""

import json

import pytest

from tests.factories import make_member, make_user
from tracker.models import Member, ProjectKey

pytestmark = pytest.mark.django_db


def _url(project, suffix=""):
    return f"/{project.organization.slug}/{project.slug}/settings/keys/{suffix}"


def _envelope_status(client, key: ProjectKey) -> int:
    body = b"\n".join([b"{}", b'{"type":"event"}', json.dumps({"message": "hi"}).encode()])
    response = client.post(f"/api/{key.project_id}/envelope/?sentry_key={key.public_key}",
                           body, content_type="text/plain")
    return response.status_code


def test_lists_keys_with_dsn(client, user, project):
    client.force_login(user)
    key = project.keys.get()
    response = client.get(_url(project))
    assert response.status_code == 200
    assert key.dsn in response.content.decode()


def test_create_key_with_rate_limit(client, user, project):
    client.force_login(user)
    response = client.post(_url(project), {"label": "Frontend", "rate_limit_count": "50",
                                           "rate_limit_window": "3600"}, follow=True)
    assert response.status_code == 200
    key = project.keys.get(label="Frontend")
    assert (key.rate_limit_count, key.rate_limit_window, key.is_active) == (50, 3600, True)
    assert "Key “Frontend” created." in response.content.decode()


def test_create_key_rejects_bad_rate_limit(client, user, project):
    client.force_login(user)
    response = client.post(_url(project), {"label": "x", "rate_limit_count": "-3",
                                           "rate_limit_window": "60"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    assert project.keys.count() == 1


def test_disable_key_takes_effect_at_ingest(client, user, project):
    key = project.keys.get()
    assert _envelope_status(client, key) == 200  # warms ingest's key cache
    client.force_login(user)
    response = client.post(_url(project, f"{key.pk}/active/"), {"active": "0", "confirmed": "1"})
    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active
    from ingest import keys  # the per-process memo outlives the cache by up to 2 s

    keys._local.clear()
    assert _envelope_status(client, key) == 403
    client.post(_url(project, f"{key.pk}/active/"), {"active": "1"})
    keys._local.clear()
    assert _envelope_status(client, key) == 200


def test_htmx_toggle_returns_the_row_only(client, user, project):
    client.force_login(user)
    key = project.keys.get()
    response = client.post(_url(project, f"{key.pk}/active/"), {"active": "0", "confirmed": "1"},
                           headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith(f'<article class="key disabled" id="key-{key.pk}"')
    assert "Disabled" in html
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_rate_limit_update(client, user, project):
    client.force_login(user)
    key = project.keys.get()
    response = client.post(_url(project, f"{key.pk}/rate-limit/"),
                           {"rate_limit_count": "10", "rate_limit_window": "60"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    key.refresh_from_db()
    assert (key.rate_limit_count, key.rate_limit_window) == (10, 60)
    client.post(_url(project, f"{key.pk}/rate-limit/"),
                {"rate_limit_count": "", "rate_limit_window": "60"})
    key.refresh_from_db()
    assert key.rate_limit_count is None


def test_invalid_rate_limit_shows_error_in_row(client, user, project):
    client.force_login(user)
    key = project.keys.get()
    response = client.post(_url(project, f"{key.pk}/rate-limit/"),
                           {"rate_limit_count": "abc", "rate_limit_window": "60"},
                           headers={"HX-Request": "true"})
    assert "errorlist" in response.content.decode()
    key.refresh_from_db()
    assert key.rate_limit_count is None


def test_rotate_creates_new_key_and_disables_old(client, user, project):
    client.force_login(user)
    old = project.keys.get()
    old.rate_limit_count = 7
    old.save()
    response = client.post(_url(project, f"{old.pk}/rotate/"), {"confirmed": "1"}, follow=True)
    old.refresh_from_db()
    new = project.keys.exclude(pk=old.pk).get()
    assert not old.is_active
    assert new.is_active and new.rate_limit_count == 7 and new.label == old.label
    assert new.dsn in response.content.decode()


def test_disable_asks_first_without_javascript(client, user, project):
    client.force_login(user)
    key = project.keys.get()
    page = client.get(_url(project)).content.decode()
    assert 'hx-confirm="Disable the key' in page  # htmx asks in the browser

    response = client.post(_url(project, f"{key.pk}/active/"), {"active": "0"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Disable the key “Default”?" in html
    assert 'name="confirmed" value="1"' in html and 'name="active" value="0"' in html
    key.refresh_from_db()
    assert key.is_active

    response = client.post(_url(project, f"{key.pk}/active/"), {"active": "0", "confirmed": "1"})
    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active
    # Enabling again changes nothing that could hurt: no question asked.
    client.post(_url(project, f"{key.pk}/active/"), {"active": "1"})
    key.refresh_from_db()
    assert key.is_active


def test_rotate_asks_first_without_javascript(client, user, project):
    client.force_login(user)
    key = project.keys.get()
    assert 'hx-confirm="Rotate the key' in client.get(_url(project)).content.decode()

    response = client.post(_url(project, f"{key.pk}/rotate/"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Rotate the key “Default”?" in html and 'name="confirmed" value="1"' in html
    key.refresh_from_db()
    assert key.is_active and project.keys.count() == 1

    response = client.post(_url(project, f"{key.pk}/rotate/"), {"confirmed": "1"})
    assert response.status_code == 302
    key.refresh_from_db()
    assert not key.is_active and project.keys.count() == 2


def test_rotate_with_htmx_redirects_the_page(client, user, project):
    client.force_login(user)
    key = project.keys.get()
    response = client.post(_url(project, f"{key.pk}/rotate/"), {"confirmed": "1"},
                           headers={"HX-Request": "true"})
    assert response["HX-Redirect"] == _url(project)
    assert project.keys.filter(is_active=True).exclude(pk=key.pk).exists()


def test_member_can_view_but_not_change(client, project):
    member = make_member(project.organization, make_user("mo"), Member.Role.MEMBER)
    client.force_login(member.user)
    key = project.keys.get()
    page = client.get(_url(project)).content.decode()
    assert key.dsn in page
    assert "Create key" not in page
    assert client.post(_url(project), {"label": "x", "rate_limit_window": "60"}).status_code \
        == 403
    assert client.post(_url(project, f"{key.pk}/active/"), {"active": "0"}).status_code == 403
    assert client.post(_url(project, f"{key.pk}/rotate/")).status_code == 403
    key.refresh_from_db()
    assert key.is_active and project.keys.count() == 1


def test_admin_can_change(client, project):
    admin = make_member(project.organization, make_user("ad"), Member.Role.ADMIN)
    client.force_login(admin.user)
    key = project.keys.get()
    assert client.post(_url(project, f"{key.pk}/active/"),
                       {"active": "0", "confirmed": "1"}).status_code == 302


def test_anonymous_is_sent_to_login(client, project):
    response = client.get(_url(project))
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
