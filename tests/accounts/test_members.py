"""Members and invitations through the pages: inviting (mailed to a real SMTP server, or a
link to copy), accepting as a new or existing account, links that are single-use, expire and
work for the invited address only; roles, removal and the last owner."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_issue, make_member, make_org, make_user
from tracker.models import AuditLogEntry, Invitation, Issue, IssueActivity, Member

pytestmark = pytest.mark.django_db

PASSWORD = "a long enough passphrase 42"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def invite(client: Client, org, email: str, role: str = "member", **extra):
    return client.post(reverse("org-members", args=[org.slug]),
                       {"email": email, "role": role, **extra})


def link_in(mail) -> str:
    return re.search(r"http://\S+/invitations/\S+/", mail.part("text/plain")).group(0)


def path_of(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_an_invitation_is_mailed_and_accepting_creates_the_account(org, user, smtp):
    owner = client_for(user)
    response = invite(owner, org, "new@example.com", "admin")
    assert response.status_code == 302
    [mail] = smtp.mails
    assert mail.recipients == ["new@example.com"]
    assert "Join Acme" in mail.subject
    url = link_in(mail)
    assert url in mail.part("text/html")
    # The page shows the same link once, to copy.
    page = owner.get(reverse("org-members", args=[org.slug])).content.decode()
    assert url in page
    assert url not in owner.get(reverse("org-members", args=[org.slug])).content.decode()

    guest = Client()
    form = guest.get(path_of(url))
    assert form.status_code == 200 and b"Choose a password" in form.content
    short = guest.post(path_of(url), {"password": "short", "password_again": "short"})
    assert short.status_code == 400 and b"too short" in short.content
    done = guest.post(path_of(url), {"name": "Nia Example", "password": PASSWORD,
                                     "password_again": PASSWORD})
    assert done.status_code == 302 and done["Location"] == f"/{org.slug}/projects/"
    member = Member.objects.get(organization=org, user__email="new@example.com")
    assert member.role == "admin" and member.user.first_name == "Nia"
    assert member.teams.filter(slug=org.slug).exists()  # the default team
    assert guest.get(done["Location"]).status_code == 200  # signed in
    # Signing in with the chosen password works too.
    assert Client().login(username="new@example.com", password=PASSWORD)
    # Single use.
    assert Client().get(path_of(url)).status_code == 404
    assert not Invitation.objects.exists()
    events = list(AuditLogEntry.objects.filter(organization=org).values_list("event", flat=True))
    assert set(events) >= {"member.invite", "member.accept-invite"}


def test_invitation_works_without_smtp_by_copying_the_link(org, user, settings):
    # No reachable mail server: the page says so and the link is there to copy.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    owner = client_for(user)
    response = invite(owner, org, "copy@example.com")
    page = owner.get(response["Location"]).content.decode()
    assert "could not be sent" in page
    url = re.search(r'value="(http://\S+/invitations/\S+/)"', page).group(1)
    assert Client().get(path_of(url)).status_code == 200


def test_expired_and_foreign_invitations_are_refused(org, user, smtp):
    owner = client_for(user)
    invite(owner, org, "late@example.com")
    url = link_in(smtp.mails[0])
    Invitation.objects.update(expires=timezone.now() - timedelta(seconds=1))
    expired = Client().get(path_of(url))
    assert expired.status_code == 404 and b"doesn" in expired.content
    assert Client().post(path_of(url), {"password": PASSWORD,
                                        "password_again": PASSWORD}).status_code == 404

    smtp.clear()
    Invitation.objects.all().delete()
    invite(owner, org, "right@example.com")
    url = link_in(smtp.mails[0])
    stranger = make_user("stranger", email="other@example.com")
    response = client_for(stranger).post(path_of(url))
    assert response.status_code == 403 and b"This invitation is for right@example.com" in (
        response.content)
    assert not Member.objects.filter(user=stranger).exists()
    assert Client().get("/invitations/not-a-token/").status_code == 404


def test_an_existing_account_signs_in_then_joins(org, user, smtp):
    existing = make_user("bo", email="Bo@Example.com", password=PASSWORD)
    invite(client_for(user), org, "bo@example.com")
    url = link_in(smtp.mails[0])
    anonymous = Client().get(path_of(url))
    assert b"Sign in" in anonymous.content and b"/login/?next=/invitations/" in anonymous.content
    bo = client_for(existing)
    assert b"Join Acme" in bo.get(path_of(url)).content
    assert bo.post(path_of(url)).status_code == 302
    assert Member.objects.filter(organization=org, user=existing, role="member").exists()
    assert bo.post(path_of(url)).status_code == 404


def test_resend_makes_a_new_link_and_revoke_asks_first(org, user, smtp):
    owner = client_for(user)
    invite(owner, org, "again@example.com")
    first = link_in(smtp.mails[0])
    invitation = Invitation.objects.get()
    owner.post(reverse("org-invitation-resend", args=[org.slug, invitation.pk]))
    second = link_in(smtp.mails[1])
    assert first != second
    assert Client().get(path_of(first)).status_code == 404
    assert Client().get(path_of(second)).status_code == 200

    revoke = reverse("org-invitation-revoke", args=[org.slug, invitation.pk])
    asked = owner.post(revoke)
    assert asked.status_code == 200 and b"Revoke the invitation to again@example.com?" in (
        asked.content)
    assert Invitation.objects.exists()
    owner.post(revoke, {"confirmed": "1"})
    assert not Invitation.objects.exists()
    assert Client().get(path_of(second)).status_code == 404


def test_invite_validation_and_permissions(org, user, smtp):
    owner = client_for(user)
    bad = invite(owner, org, "not an address")
    assert bad.status_code == 400 and b"Enter a valid email address" in bad.content
    assert invite(owner, org, user.email).status_code == 400  # already a member
    admin = make_member(org, make_user("adm"), "admin")
    refused = invite(client_for(admin.user), org, "boss@example.com", "owner")
    assert b"Only owners can grant" in refused.content
    member = make_member(org, make_user("mem"))
    assert invite(client_for(member.user), org, "x@example.com").status_code == 403
    other = make_org("Other")
    assert invite(owner, other, "x@example.com").status_code == 404
    assert client_for(member.user).get(reverse("org-members", args=[org.slug])).status_code == 200


def test_roles_cannot_be_self_escalated_and_the_last_owner_stays(org, user):
    owner_member = Member.objects.get(organization=org, user=user)
    admin = make_member(org, make_user("adm"), "admin")
    role_url = lambda m: reverse("org-member-role", args=[org.slug, m.pk])  # noqa: E731
    admin_client = client_for(admin.user)
    response = admin_client.post(role_url(admin), {"role": "owner"}, follow=True)
    assert b"Only owners can grant" in response.content or b"raise your own" in response.content
    admin.refresh_from_db()
    assert admin.role == "admin"
    # An admin can't demote an owner either.
    admin_client.post(role_url(owner_member), {"role": "member"})
    owner_member.refresh_from_db()
    assert owner_member.role == "owner"
    # The last owner can't step down ...
    owner = client_for(user)
    page = owner.post(role_url(owner_member), {"role": "admin"}, follow=True)
    assert b"last owner" in page.content
    owner_member.refresh_from_db()
    assert owner_member.role == "owner"
    # ... nor be removed, even by themselves.
    owner.post(reverse("org-member-remove", args=[org.slug, owner_member.pk]),
               {"confirmed": "1"})
    assert Member.objects.filter(pk=owner_member.pk).exists()
    # With a second owner, they can.
    owner.post(role_url(admin), {"role": "owner"})
    admin.refresh_from_db()
    assert admin.role == "owner"
    owner.post(role_url(owner_member), {"role": "member"})
    owner_member.refresh_from_db()
    assert owner_member.role == "member"
    assert owner.post(role_url(admin), {"role": "nonsense"}).status_code == 302
    admin.refresh_from_db()
    assert admin.role == "owner"


def test_removing_a_member_asks_clears_assignments_and_keeps_activity(org, user, project):
    gone = make_member(org, make_user("gone"))
    issue = make_issue(project, assignee=gone.user)
    IssueActivity.objects.create(issue=issue, user=gone.user, kind="comment",
                                 data={"text": "on it"})
    owner = client_for(user)
    url = reverse("org-member-remove", args=[org.slug, gone.pk])
    asked = owner.post(url)
    assert asked.status_code == 200 and b"Remove gone?" in asked.content
    assert b"assignments are cleared" in asked.content
    assert Member.objects.filter(pk=gone.pk).exists()
    assert owner.post(url, {"confirmed": "1"}).status_code == 302
    assert not Member.objects.filter(pk=gone.pk).exists()
    assert Issue.objects.get(pk=issue.pk).assignee is None
    assert IssueActivity.objects.filter(issue=issue, user=gone.user).exists()
    entry = AuditLogEntry.objects.filter(event="member.remove").get()
    assert entry.target == "gone" and entry.actor == user
    # A member of another organization is a 404.
    stranger = make_member(make_org("Else"))
    assert owner.post(reverse("org-member-remove", args=[org.slug, stranger.pk]),
                      {"confirmed": "1"}).status_code == 404


@pytest.mark.parametrize("name", ["org-settings", "org-members", "org-teams",
                                  "org-auth-tokens", "org-audit-log"])
def test_settings_pages_and_their_links_open(org, user, project, name):
    owner = client_for(user)
    page = owner.get(reverse(name, args=[org.slug])).content.decode()
    for href in {h for h in re.findall(r'href="(/[^"?]*)"', page) if "/static/" not in h}:
        assert owner.get(href, follow=True).status_code == 200, href
