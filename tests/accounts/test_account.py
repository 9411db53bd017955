"""The account pages: profile, password change, password reset by email (to a real SMTP
server), personal API tokens; and the attempt limits on sign-in, resets and API tokens."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.factories import make_user
from tracker.models import ApiToken

pytestmark = pytest.mark.django_db

NEW = "a fresh long passphrase 77"


@pytest.fixture(autouse=True)
def _clear_throttle():
    cache.clear()
    yield
    cache.clear()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_profile_saves_name_and_email(user):
    client = client_for(user)
    assert client.get(reverse("account-settings")).status_code == 200
    make_user("taken", email="taken@example.com")
    clash = client.post(reverse("account-settings"), {"email": "TAKEN@example.com"})
    assert clash.status_code == 400 and b"Another account uses this address" in clash.content
    ok = client.post(reverse("account-settings"),
                     {"first_name": "Alice", "last_name": "Smith", "email": "a@example.org"})
    assert ok.status_code == 302
    user.refresh_from_db()
    assert (user.first_name, user.email) == ("Alice", "a@example.org")


def test_password_change(user):
    client = client_for(user)
    wrong = client.post(reverse("password_change"), {
        "old_password": "nope", "new_password1": NEW, "new_password2": NEW})
    assert wrong.status_code == 200 and b"incorrectly" in wrong.content
    done = client.post(reverse("password_change"), {
        "old_password": "pw", "new_password1": NEW, "new_password2": NEW}, follow=True)
    assert b"Password changed" in done.content
    assert Client().login(username="alice", password=NEW)


def test_password_reset_by_email(user, smtp):
    page = Client().get(reverse("login"))
    assert reverse("password_reset").encode() in page.content
    sent = Client().post(reverse("password_reset"), {"email": "alice@example.com"})
    assert sent.status_code == 302
    [mail] = smtp.mails
    assert mail.recipients == ["alice@example.com"]
    link = re.search(r"http://\S+/account/password-reset/\S+/", mail.part("text/plain")).group(0)
    path = "/" + link.split("/", 3)[3]
    guest = Client()
    form = guest.get(path, follow=True)
    assert b"Choose a new password" in form.content
    done = guest.post(form.redirect_chain[-1][0], {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    assert Client().login(username="alice", password=NEW)
    # Used once: the link no longer works.
    assert b"doesn't work any more" in Client().get(path, follow=True).content


def test_sign_in_is_throttled_per_account_and_ip(user):
    for _ in range(10):
        failed = Client().post(reverse("login"), {"username": "alice", "password": "wrong"})
        assert failed.status_code == 200
    refused = Client().post(reverse("login"), {"username": "alice", "password": "pw"})
    assert refused.status_code == 429 and b"Too many attempts" in refused.content
    # Another account from another address is not affected ...
    make_user("bob")
    other = Client(REMOTE_ADDR="10.9.9.9")
    assert other.post(reverse("login"), {"username": "bob", "password": "pw"}).status_code == 302
    # ... but the same IP is, whatever the account.
    assert Client().post(reverse("login"),
                         {"username": "bob", "password": "pw"}).status_code == 429


def test_password_reset_is_throttled(user, smtp):
    for _ in range(10):
        Client().post(reverse("password_reset"), {"email": "alice@example.com"})
    refused = Client().post(reverse("password_reset"), {"email": "alice@example.com"})
    assert refused.status_code == 429 and b"Too many attempts" in refused.content
    assert len(smtp.mails) == 10


def test_api_token_guessing_gets_429(user):
    for _ in range(10):
        bad = Client(HTTP_AUTHORIZATION="Bearer sntryu_wrong").get("/api/0/")
        assert bad.status_code == 401
    _, good = ApiToken.issue(user)
    refused = Client(HTTP_AUTHORIZATION=f"Bearer {good}").get("/api/0/")
    assert refused.status_code == 429 and "Too many attempts" in refused.json()["detail"]


def test_personal_tokens_are_shown_once_scoped_and_revocable(user, org):
    client = client_for(user)
    url = reverse("account-api-tokens")
    none = client.post(url, {"name": "ci"})
    assert none.status_code == 400 and b"Choose at least one scope" in none.content
    created = client.post(url, {"name": "reader", "scopes": ["org:read", "event:read"]})
    assert created.status_code == 302
    page = client.get(url).content.decode()
    plaintext = re.search(r'id="new-token" readonly value="(sntryu_\w+)"', page).group(1)
    token = ApiToken.objects.get(user=user, name="reader")
    assert token.scopes == ["org:read", "event:read"] and plaintext not in token.token_hash
    assert "never" in page
    assert plaintext not in client.get(url).content.decode()  # shown once

    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(f"/api/0/organizations/{org.slug}/projects/").status_code == 200
    token.refresh_from_db()
    assert token.last_used is not None
    assert token.last_used.strftime("%Y-%m-%d") in client.get(url).content.decode()

    revoke = reverse("account-api-token-revoke", args=[token.pk])
    asked = client.post(revoke)
    assert b"Revoke the token" in asked.content and ApiToken.objects.filter(pk=token.pk).exists()
    client.post(revoke, {"confirmed": "1"})
    assert not ApiToken.objects.filter(pk=token.pk).exists()
    assert api.get(f"/api/0/organizations/{org.slug}/projects/").status_code == 401
    # Someone else's token is a 404.
    _, _ = ApiToken.issue(make_user("eve"))
    other = ApiToken.objects.get(user__username="eve")
    assert client.post(reverse("account-api-token-revoke", args=[other.pk]),
                       {"confirmed": "1"}).status_code == 404


def test_organization_auth_tokens(user, org):
    client = client_for(user)
    url = reverse("org-auth-tokens", args=[org.slug])
    client.post(url, {"name": "GitHub Actions"})
    page = client.get(url).content.decode()
    plaintext = re.search(r'id="new-token" readonly value="(sntrys_[^"]+)"', page).group(1)
    token = ApiToken.objects.get(organization=org)
    assert token.scopes == ["org:ci"]
    api = Client(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    assert api.get(f"/api/0/organizations/{org.slug}/releases/").status_code == 200
    revoke = reverse("org-auth-token-revoke", args=[org.slug, token.pk])
    assert b"Revoke the auth token" in client.post(revoke).content
    client.post(revoke, {"confirmed": "1"})
    assert api.get(f"/api/0/organizations/{org.slug}/releases/").status_code == 401
    from tracker.models import AuditLogEntry

    assert {"orgauthtoken.create", "orgauthtoken.remove"} <= set(
        AuditLogEntry.objects.values_list("event", flat=True))


@pytest.mark.parametrize("name", ["account-settings", "account-api-tokens", "password_change"])
def test_account_pages_and_their_links_open(user, name):
    client = client_for(user)
    page = client.get(reverse(name)).content.decode()
    for href in {h for h in re.findall(r'href="(/[^"?]*)"', page) if "/static/" not in h}:
        assert client.get(href, follow=True).status_code == 200, href
