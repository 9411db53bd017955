"""The administration API on Sentry's routes, with scoped tokens: allowed, denied by scope
(403), another organization (404); and the same rules as the pages (roles, last owner)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_member, make_org, make_project, make_user
from tracker import tasks
from tracker.models import ApiToken, AuditLogEntry, Invitation, Member, Project, ProjectKey

pytestmark = pytest.mark.django_db


def api(user, *scopes: str) -> Client:
    _, token = ApiToken.issue(user, scopes=list(scopes) if scopes else None)
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def other():
    org = make_org("Other")
    make_project(org, "Theirs", slug="theirs")
    return org


def test_organizations(user, org, other):
    client = api(user, "org:read")
    assert [o["slug"] for o in client.get("/api/0/organizations/").json()] == ["acme"]
    detail = client.get("/api/0/organizations/acme/").json()
    assert detail["name"] == "Acme" and detail["openMembership"] is True
    assert client.get("/api/0/organizations/other/").status_code == 404
    assert api(user, "event:read").get("/api/0/organizations/").status_code == 403


def test_teams_and_their_members(user, org, other):
    client = api(user, "team:write", "member:read")
    created = client.post("/api/0/organizations/acme/teams/", {"name": "Backend"},
                          content_type="application/json")
    assert created.status_code == 201 and created.json()["slug"] == "backend"
    assert client.post("/api/0/organizations/acme/teams/", {"slug": "backend"},
                       content_type="application/json").status_code == 409
    slugs = [t["slug"] for t in client.get("/api/0/organizations/acme/teams/").json()]
    assert slugs == ["acme", "backend"]
    bo = make_member(org, make_user("bo"))
    url = f"/api/0/organizations/acme/members/{bo.pk}/teams/backend/"
    assert client.post(url).status_code == 201
    assert bo.teams.filter(slug="backend").exists()
    assert client.delete(url).status_code == 200
    assert not bo.teams.filter(slug="backend").exists()
    assert api(user, "team:read").post("/api/0/organizations/acme/teams/", {"name": "x"},
                                       content_type="application/json").status_code == 403
    assert client.get("/api/0/organizations/other/teams/").status_code == 404
    # A member (not admin) may list, not create.
    assert api(bo.user).post("/api/0/organizations/acme/teams/", {"name": "x"},
                             content_type="application/json").status_code == 403


def test_projects_create_update_delete(user, org, other):
    client = api(user, "project:admin")
    created = client.post("/api/0/teams/acme/acme/projects/",
                          {"name": "API Server", "platform": "python"},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["slug"] == "api-server" and body["team"]["slug"] == "acme"
    project = Project.objects.get(slug="api-server")
    assert project.keys.count() == 1 and project.alert_rules.count() == 3
    assert client.post("/api/0/teams/acme/acme/projects/", {"name": "API Server"},
                       content_type="application/json").status_code == 409
    bad = client.post("/api/0/teams/acme/acme/projects/", {"name": "x", "platform": "cobol"},
                      content_type="application/json")
    assert bad.status_code == 400 and "platform" in bad.json()["detail"]
    assert client.post("/api/0/teams/acme/nope/projects/", {"name": "x"},
                       content_type="application/json").status_code == 404
    listed = api(user, "org:read").get("/api/0/organizations/acme/projects/").json()
    assert [p["slug"] for p in listed] == ["api-server"]
    detail = client.get("/api/0/projects/acme/api-server/").json()
    assert detail["platform"] == "python" and detail["organization"]["slug"] == "acme"
    renamed = client.put("/api/0/projects/acme/api-server/", {"name": "API"},
                         content_type="application/json")
    assert renamed.json()["name"] == "API"
    assert client.delete("/api/0/projects/acme/api-server/").status_code == 204
    tasks.delete_project(project.pk)  # what the worker runs
    assert not Project.objects.filter(pk=project.pk).exists()
    events = set(AuditLogEntry.objects.values_list("event", flat=True))
    assert {"project.add", "project.edit", "project.remove"} <= events
    assert client.delete("/api/0/projects/other/theirs/").status_code == 404
    assert api(user, "project:read").put("/api/0/projects/acme/x/", {},
                                         content_type="application/json").status_code == 403


def test_client_keys(user, project, other):
    client = api(user, "project:admin")
    [key] = client.get("/api/0/projects/acme/shop/keys/").json()
    assert key["dsn"]["public"] == project.keys.get().dsn and key["isActive"] is True
    created = client.post("/api/0/projects/acme/shop/keys/",
                          {"name": "CI", "rateLimit": {"window": 60, "count": 5}},
                          content_type="application/json")
    assert created.status_code == 201
    new = created.json()
    assert new["name"] == "CI" and new["rateLimit"] == {"window": 60, "count": 5}
    assert new["dsn"]["public"].startswith("http://" + new["public"] + "@")
    url = f"/api/0/projects/acme/shop/keys/{new['id']}/"
    updated = client.put(url, {"isActive": False, "name": "CI old"},
                         content_type="application/json").json()
    assert updated["isActive"] is False and updated["name"] == "CI old"
    assert client.put(url, {"isActive": "no"}, content_type="application/json"
                      ).status_code == 400
    assert api(user, "project:write").delete(url).status_code == 403
    assert client.delete(url).status_code == 204
    assert not ProjectKey.objects.filter(public_key=new["id"]).exists()
    assert client.get("/api/0/projects/other/theirs/keys/").status_code == 404


def test_members_invite_update_remove(user, org, other, smtp):
    client = api(user, "member:admin")
    invited = client.post("/api/0/organizations/acme/members/",
                          {"email": "new@example.com", "orgRole": "admin"},
                          content_type="application/json")
    assert invited.status_code == 201 and invited.json()["pending"] is True
    assert invited.json()["orgRole"] == "admin"
    assert [m.recipients for m in smtp.mails] == [["new@example.com"]]
    # `role` is the older name of `orgRole`.
    older = client.post("/api/0/organizations/acme/members/",
                        {"email": "old@example.com", "role": "member"},
                        content_type="application/json")
    assert older.json()["role"] == "member"
    bad = client.post("/api/0/organizations/acme/members/", {"email": "nope"},
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["detail"]
    listed = client.get("/api/0/organizations/acme/members/").json()
    assert {m["email"] for m in listed} == {"alice@example.com", "new@example.com",
                                            "old@example.com"}
    invitation = Invitation.objects.get(email="old@example.com")
    assert client.delete(f"/api/0/organizations/acme/members/invitation-{invitation.pk}/"
                         ).status_code == 204

    bo = make_member(org, make_user("bo"))
    url = f"/api/0/organizations/acme/members/{bo.pk}/"
    assert client.put(url, {"orgRole": "admin"}, content_type="application/json"
                      ).json()["orgRole"] == "admin"
    me = Member.objects.get(organization=org, user=user)
    last = client.put(f"/api/0/organizations/acme/members/{me.pk}/", {"orgRole": "member"},
                      content_type="application/json")
    assert last.status_code == 400 and "last owner" in last.json()["detail"]
    # Bo (an admin) can't make himself owner.
    assert api(bo.user).put(url, {"orgRole": "owner"}, content_type="application/json"
                            ).status_code == 400
    assert api(user, "member:write").delete(url).status_code == 403
    plain = make_member(org, make_user("plain"))
    assert api(plain.user).delete(url).status_code == 403  # members can't remove others
    assert client.delete(url).status_code == 204
    assert not Member.objects.filter(pk=bo.pk).exists()
    stranger = Member.objects.filter(organization=other).first()
    assert client.delete(f"/api/0/organizations/acme/members/{stranger.pk}/"
                         ).status_code == 404
    assert client.get("/api/0/organizations/other/members/").status_code == 404


def test_audit_log_api(user, org, other):
    api(user, "team:write").post("/api/0/organizations/acme/teams/", {"name": "Ops"},
                                 content_type="application/json")
    rows = api(user, "org:write").get("/api/0/organizations/acme/audit-logs/").json()["rows"]
    assert rows[0]["event"] == "team.add" and rows[0]["actor"]["username"] == "alice"
    assert api(user, "org:read").get("/api/0/organizations/acme/audit-logs/"
                                     ).status_code == 403
    bo = make_member(org, make_user("bo"))
    assert api(bo.user).get("/api/0/organizations/acme/audit-logs/").status_code == 403
    assert api(user).get("/api/0/organizations/other/audit-logs/").status_code == 404


def test_organization_auth_token_reaches_only_its_organization(user, org, other):
    _, token = ApiToken.issue_for_organization(org, user)
    ci = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert [o["slug"] for o in ci.get("/api/0/organizations/").json()] == ["acme"]
    assert ci.post("/api/0/organizations/acme/teams/", {"name": "x"},
                   content_type="application/json").status_code == 403


def test_alert_rules(user, project, other):
    client = api(user, "alerts:write", "project:read")
    listed = client.get("/api/0/projects/acme/shop/rules/").json()
    assert [r["name"] for r in listed] == ["New issue", "Critical error", "High volume"]
    assert listed[0]["conditions"][0]["id"].endswith("FirstSeenEventCondition")
    assert listed[1]["filters"][0] == {"id": "sentry.rules.filters.level.LevelFilter",
                                       "match": "eq", "level": "50"}
    body = {
        "name": "Busy", "actionMatch": "all", "filterMatch": "all", "frequency": 60,
        "conditions": [{"id": "sentry.rules.conditions.event_frequency."
                              "EventFrequencyCondition", "value": 10, "interval": "1h"}],
        "filters": [{"id": "sentry.rules.filters.tagged_event.TaggedEventFilter",
                     "key": "env", "match": "eq", "value": "prod"}],
        "actions": [{"id": "sentry.mail.actions.NotifyEmailAction", "targetType": "Member",
                     "targetIdentifier": user.pk}],
    }
    created = client.post("/api/0/projects/acme/shop/rules/", body,
                          content_type="application/json")
    assert created.status_code == 201, created.content
    rule = created.json()
    assert rule["conditions"][0]["value"] == 10 and rule["conditions"][0]["interval"] == "1h"
    assert rule["actions"] == [{"id": "sentry.mail.actions.NotifyEmailAction",
                                "targetType": "Member", "targetIdentifier": user.pk}]
    bad = client.post("/api/0/projects/acme/shop/rules/",
                      {**body, "conditions": [{"id": "sentry.rules.conditions.nope"}]},
                      content_type="application/json")
    assert bad.status_code == 400 and "unsupported condition" in bad.json()["detail"]
    no_window = client.post("/api/0/projects/acme/shop/rules/", {**body, "conditions": [
        {"id": "sentry.rules.conditions.event_frequency.EventFrequencyCondition"}]},
        content_type="application/json")
    assert no_window.status_code == 400 and "window" in no_window.json()["detail"]
    url = f"/api/0/projects/acme/shop/rules/{rule['id']}/"
    renamed = client.put(url, {"name": "Very busy"}, content_type="application/json").json()
    assert renamed["name"] == "Very busy" and len(renamed["conditions"]) == 1
    assert api(user, "project:read").delete(url).status_code == 403
    assert client.delete(url).status_code == 202
    assert client.get(url).status_code == 404
    assert client.get("/api/0/projects/other/theirs/rules/").status_code == 404
    assert {"rule.add", "rule.edit", "rule.remove"} <= set(
        AuditLogEntry.objects.values_list("event", flat=True))
