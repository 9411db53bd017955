"""Teams and open membership: with it off, a member sees only their teams' projects in the
overview, the switcher, the issue pages, search, the API and alert emails; owners and admins
see all. Teams are created, given members and projects, and projects transferred."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_issue, make_member, make_org, make_project, make_user
from tracker import access
from tracker.alerts.models import AlertRule, Notification, RuleAction
from tracker.alerts.transports.email import recipients
from tracker.models import ApiToken, AuditLogEntry, Team

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setup(org, user):
    """Acme: `web` (default team) and `mobile` (team #mobile, which the member is in)."""
    web = make_project(org, "Web", slug="web")
    mobile_team = Team.objects.create(organization=org, name="Mobile", slug="mobile")
    mobile = make_project(org, "Mobile", slug="mobile", team=mobile_team)
    member = make_member(org, make_user("mo"))
    mobile_team.members.add(member)
    return {"web": web, "mobile": mobile, "team": mobile_team, "member": member}


def test_open_membership_shows_everything_and_closed_only_team_projects(org, user, setup):
    mo = setup["member"]
    assert set(access.projects_for(mo.user)) == {setup["web"], setup["mobile"]}
    org.open_membership = False
    org.save()
    assert set(access.projects_for(mo.user)) == {setup["mobile"]}
    assert set(access.visible_projects(mo)) == {setup["mobile"]}
    # Owners and admins still see all.
    assert set(access.projects_for(user)) == {setup["web"], setup["mobile"]}


def test_closed_membership_filters_pages_search_and_api(org, setup):
    org.open_membership = False
    org.save()
    web_issue = make_issue(setup["web"], "KeyError: hidden")
    mobile_issue = make_issue(setup["mobile"], "ValueError: visible")
    mo = client_for(setup["member"].user)

    overview = mo.get(reverse("org-projects", args=[org.slug])).content.decode()
    assert "Mobile" in overview and "/acme/web/issues/" not in overview
    issues = mo.get(reverse("issues:org", args=[org.slug]) + "?query=").content.decode()
    assert "ValueError: visible" in issues and "KeyError: hidden" not in issues
    search = mo.get(reverse("issues:org", args=[org.slug]) + "?query=KeyError").content.decode()
    assert "KeyError: hidden" not in search
    assert mo.get(reverse("issues:detail", args=[org.slug, web_issue.pk])).status_code == 404
    assert mo.get(reverse("issues:detail", args=[org.slug, mobile_issue.pk])).status_code == 200
    assert mo.get(reverse("issues:project", args=[org.slug, "web"])).status_code == 404

    _, token = ApiToken.issue(setup["member"].user)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    slugs = [p["slug"] for p in api.get(f"/api/0/organizations/{org.slug}/projects/").json()]
    assert slugs == ["mobile"]
    assert api.get(f"/api/0/projects/{org.slug}/web/issues/").status_code == 404
    assert api.get(f"/api/0/projects/{org.slug}/mobile/issues/").status_code == 200


def test_closed_membership_limits_alert_recipients(org, user, setup):
    org.open_membership = False
    org.save()
    outsider = make_member(org, make_user("out"))
    rule = AlertRule.objects.filter(project=setup["web"]).first()
    action = RuleAction.objects.create(rule=rule, kind=RuleAction.Kind.EMAIL_MEMBER,
                                       target_user=outsider.user)
    notification = Notification(rule=rule, action=action)
    assert recipients(notification) == []
    org.open_membership = True
    org.save()
    fresh = AlertRule.objects.get(pk=rule.pk)
    assert recipients(Notification(rule=fresh, action=action)) == ["out@example.com"]


def test_teams_are_created_and_given_members_and_projects(org, user, setup):
    owner = client_for(user)
    created = owner.post(reverse("org-teams", args=[org.slug]), {"name": "Backend Crew"})
    assert created["Location"] == reverse("org-team", args=[org.slug, "backend-crew"])
    assert owner.post(reverse("org-teams", args=[org.slug]),
                      {"name": "Backend crew"}).status_code == 400  # the handle is taken
    team = Team.objects.get(organization=org, slug="backend-crew")
    change = reverse("org-team-change", args=[org.slug, team.slug])
    mo = setup["member"]
    owner.post(change, {"add_member": mo.pk})
    owner.post(change, {"add_project": setup["web"].pk})
    assert set(team.members.all()) == {mo} and set(team.projects.all()) == {setup["web"]}
    page = owner.get(reverse("org-team", args=[org.slug, team.slug])).content.decode()
    assert "mo" in page and "Web" in page

    # Removals ask first.
    asked = owner.post(change, {"remove_member": mo.pk})
    assert b"Remove mo from #backend-crew?" in asked.content
    assert team.members.exists()
    owner.post(change, {"remove_member": mo.pk, "confirmed": "1"})
    owner.post(change, {"remove_project": setup["web"].pk, "confirmed": "1"})
    assert not team.members.exists() and not team.projects.exists()
    assert owner.post(change, {"delete": "1"}).status_code == 200
    owner.post(change, {"delete": "1", "confirmed": "1"})
    assert not Team.objects.filter(pk=team.pk).exists()
    events = set(AuditLogEntry.objects.values_list("event", flat=True))
    assert {"team.add", "team.edit", "team.remove"} <= events

    # Members may look, not change; another organization's team is a 404.
    member = client_for(mo.user)
    assert member.post(reverse("org-teams", args=[org.slug]), {"name": "x"}).status_code == 403
    assert member.post(reverse("org-team-change", args=[org.slug, "mobile"]),
                       {"add_project": setup["web"].pk}).status_code == 403
    other = make_org("Other")
    assert owner.get(reverse("org-team", args=[other.slug, other.slug])).status_code == 404
    foreign = make_project(other, "Foreign")
    assert owner.post(reverse("org-team-change", args=[org.slug, "mobile"]),
                      {"add_project": foreign.pk}).status_code == 404


def test_project_transfer_asks_and_moves(org, user, setup):
    owner = client_for(user)
    url = reverse("project-transfer", args=[org.slug, "web"])
    asked = owner.post(url, {"team": "mobile"})
    assert b"Transfer Web to #mobile?" in asked.content
    assert setup["web"].teams.get().slug == org.slug
    owner.post(url, {"team": "mobile", "confirmed": "1"})
    assert [t.slug for t in setup["web"].teams.all()] == ["mobile"]
    settings_page = owner.get(reverse("project-settings", args=[org.slug, "web"]))
    assert b"#mobile" in settings_page.content
    assert client_for(setup["member"].user).post(
        url, {"team": org.slug, "confirmed": "1"}).status_code == 403


def test_open_membership_setting_is_saved_and_audited(org, user, setup):
    owner = client_for(user)
    response = owner.post(reverse("org-settings", args=[org.slug]), {"name": "Acme Inc"})
    assert response.status_code == 302
    org.refresh_from_db()
    assert org.name == "Acme Inc" and org.open_membership is False
    entry = AuditLogEntry.objects.get(event="org.edit")
    assert entry.data == {"name": "Acme Inc", "open_membership": False}
    member = client_for(setup["member"].user)
    assert member.post(reverse("org-settings", args=[org.slug]),
                       {"name": "x", "open_membership": "on"}).status_code == 403
    assert member.get(reverse("org-audit-log", args=[org.slug])).status_code == 403
    log = owner.get(reverse("org-audit-log", args=[org.slug])).content.decode()
    assert "org.edit" in log and "alice" in log
