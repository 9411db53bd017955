"""The issue routes of the API, compared with Sentry's documented responses field by field:
lists (project and organization), detail, updates, bulk changes, merge, the issue's events,
tags, hashes, comments, activity and stats; every route refuses a token without its scope
(403 naming it) and answers 404 for another organization's issue."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_event, make_issue, make_member, make_org, make_project, make_user
from tracker import actions
from tracker.models import (
    ApiToken,
    Issue,
    IssueActivity,
    IssueHash,
    IssueHourlyCount,
    IssueTag,
    Member,
    Release,
    Team,
)
from tracker.timeutil import floor_hour

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(client, user):
    _, token = ApiToken.issue(user, "test")

    def request(method: str, path: str, body=None, token: str = token, **params):
        query = "&".join(
            f"{k}={v}" for k, values in params.items()
            for v in (values if isinstance(values, list) else [values]))
        url = f"/api/0/{path}" + (f"?{query}" if query else "")
        return getattr(client, method)(
            url, data=json.dumps(body) if body is not None and method != "get" else None,
            content_type="application/json", headers={"Authorization": f"Bearer {token}"})

    return request


def _links(response) -> dict[str, dict[str, str]]:
    links = {}
    for part in response["Link"].split(", <"):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', part))
        links[attrs["rel"]] = attrs
    return links


# Keys of Sentry's documented "List a Project's Issues" response items.
LIST_KEYS = {
    "annotations", "assignedTo", "count", "culprit", "firstSeen", "hasSeen", "id",
    "isBookmarked", "isPublic", "isSubscribed", "lastSeen", "level", "logger", "metadata",
    "numComments", "permalink", "project", "shortId", "stats", "status", "statusDetails",
    "title", "type", "userCount",
}
# ...and of "Retrieve an Issue".
DETAIL_KEYS = LIST_KEYS | {
    "activity", "firstRelease", "lastRelease", "participants", "pluginActions",
    "pluginContexts", "pluginIssues", "seenBy", "shareId", "subscriptionDetails", "tags",
    "userReportCount",
}


def test_project_list_has_sentrys_fields_and_24h_stats(call, project):
    now = datetime.now(UTC)
    issue = make_issue(project, "ValueError: bad", times_seen=3)
    IssueHourlyCount.objects.create(issue=issue, hour=floor_hour(now), count=3)
    [row] = call("get", "projects/acme/shop/issues/").json()
    assert set(row) >= LIST_KEYS
    assert row["count"] == "3" and isinstance(row["userCount"], int)
    assert row["hasSeen"] is False and row["isBookmarked"] is False
    stats = row["stats"]["24h"]
    assert len(stats) == 24 and all(isinstance(t, int) and isinstance(n, int)
                                    for t, n in stats)
    assert stats[-1] == [int(floor_hour(now).timestamp()), 3]
    fortnight = call("get", "projects/acme/shop/issues/", statsPeriod="14d").json()[0]
    assert len(fortnight["stats"]["14d"]) == 14 and fortnight["stats"]["14d"][-1][1] == 3
    assert "stats" not in call("get", "projects/acme/shop/issues/", statsPeriod="").json()[0]
    assert call("get", "projects/acme/shop/issues/", statsPeriod="7y").status_code == 400


def test_organization_list_spans_projects_and_periods(call, project):
    web = make_project(project.organization, "Web", slug="web")
    now = datetime.now(UTC)
    recent = make_issue(project, "recent", now=now - timedelta(hours=1))
    other = make_issue(web, "web one", now=now - timedelta(hours=2))
    old = make_issue(project, "old", now=now - timedelta(days=20))
    body = call("get", "organizations/acme/issues/").json()
    assert [r["id"] for r in body] == [str(recent.pk), str(other.pk)]
    assert [r["id"] for r in call("get", "organizations/acme/issues/",
                                  statsPeriod="30d").json()][-1] == str(old.pk)
    start = (now - timedelta(days=21)).isoformat().replace("+00:00", "Z")
    end = (now - timedelta(days=19)).isoformat().replace("+00:00", "Z")
    ranged = call("get", "organizations/acme/issues/", start=start, end=end).json()
    assert [r["id"] for r in ranged] == [str(old.pk)]
    only_web = call("get", "organizations/acme/issues/", project=str(web.pk)).json()
    assert [r["project"]["slug"] for r in only_web] == ["web"]
    assert call("get", "organizations/acme/issues/", statsPeriod="bogus").status_code == 400
    assert call("get", "organizations/acme/issues/", start=start).status_code == 400
    assert call("get", "organizations/acme/issues/", groupStatsPeriod="14d").json()[0][
        "stats"].keys() == {"14d"}


def test_organization_list_pages_with_links(call, project):
    now = datetime.now(UTC)
    for i in range(5):
        make_issue(project, f"E{i}", now=now - timedelta(minutes=i))
    first = call("get", "organizations/acme/issues/", limit=2)
    links = _links(first)
    assert links["next"]["results"] == "true" and links["previous"]["results"] == "false"
    second = call("get", "organizations/acme/issues/", limit=2, cursor=links["next"]["cursor"])
    assert [r["title"] for r in first.json() + second.json()] == ["E0", "E1", "E2", "E3"]
    assert [r["title"] for r in call("get", "organizations/acme/issues/", sort="new",
                                     query="E4").json()] == ["E4"]


def test_issue_detail_both_routes(call, project):
    release = Release.objects.create(organization=project.organization, version="1.0")
    issue = make_issue(project, "KeyError: x", first_release=release)
    IssueTag.objects.create(issue=issue, key="browser", value="Firefox", times_seen=2,
                            first_seen=issue.first_seen, last_seen=issue.last_seen)
    actions.comment(issue, project.organization.members.get().user, "looking")
    for path in (f"organizations/acme/issues/{issue.pk}/", f"issues/{issue.pk}/",
                 f"organizations/acme/issues/{issue.qualified_short_id}/"):
        response = call("get", path)
        assert response.status_code == 200, path
        body = response.json()
        assert set(body) >= DETAIL_KEYS
        assert body["id"] == str(issue.pk)
        assert body["firstRelease"]["version"] == "1.0" and body["lastRelease"] is None
        assert len(body["stats"]["24h"]) == 24 and len(body["stats"]["30d"]) == 30
        assert body["tags"] == [{
            "key": "browser", "name": "Browser", "totalValues": 2, "uniqueValues": 1,
            "topValues": [{"key": "browser", "name": "Firefox", "value": "Firefox",
                           "count": 2, "lastSeen": body["lastSeen"],
                           "firstSeen": body["firstSeen"]}]}]
        assert body["numComments"] == 1
        assert body["activity"][0]["type"] == "note"
        assert body["activity"][0]["data"] == {"text": "looking"}
        assert body["activity"][0]["user"]["username"] == "alice"


def test_a_merged_issue_answers_as_its_target(call, project):
    a, b = make_issue(project, "a", times_seen=5), make_issue(project, "b", times_seen=1)
    actions.merge([a, b], None)
    assert call("get", f"issues/{b.pk}/").json()["id"] == str(a.pk)


def test_update_status_with_status_details(call, project):
    issue = make_issue(project)
    path = f"organizations/acme/issues/{issue.pk}/"
    body = call("put", path, {"status": "resolved"}).json()
    assert (body["status"], body["statusDetails"]) == ("resolved", {})
    assert call("put", path, {"status": "unresolved"}).json()["status"] == "unresolved"

    ignored = call("put", path, {"status": "ignored",
                                 "statusDetails": {"ignoreCount": 100}}).json()
    assert ignored["status"] == "ignored"
    issue.refresh_from_db()
    assert issue.ignored_until_times_seen == issue.times_seen + 100
    timed = call("put", path, {"status": "ignored", "statusDetails": {"ignoreDuration": 30}})
    assert timed.json()["statusDetails"]["ignoreUntil"].endswith("Z")
    assert call("put", path, {"status": "ignored", "statusDetails": {
        "ignoreWindow": 60}}).status_code == 400
    assert call("put", path, {"status": "sleeping"}).status_code == 400

    Release.objects.create(organization=project.organization, version="2.0").projects.add(
        project)
    next_release = call("put", path, {"status": "resolvedInNextRelease"}).json()
    # As Sentry shows it: resolved in the release after the latest one, 2.0.
    assert (next_release["status"], next_release["statusDetails"]) == (
        "resolved", {"inNextRelease": True})
    issue.refresh_from_db()
    assert issue.resolved_in_release.version == "2.0" and issue.resolved_in_next_release
    assert call("put", f"issues/{issue.pk}/", {
        "status": "resolved", "statusDetails": {"inRelease": "9.9"}}).status_code == 400
    kinds = list(IssueActivity.objects.filter(issue=issue).values_list("kind", flat=True))
    assert "resolved_in_release" in kinds and "ignored" in kinds


def test_update_assignee_seen_bookmark_priority(call, project, user):
    org = project.organization
    bob = make_member(org, make_user("bob")).user
    team = Team.objects.create(organization=org, name="Backend", slug="backend")
    issue = make_issue(project)
    path = f"issues/{issue.pk}/"
    for value in ("bob", "bob@example.com", str(bob.pk), f"user:{bob.pk}"):
        assigned = call("put", path, {"assignedTo": value}).json()["assignedTo"]
        assert assigned == {"type": "user", "id": str(bob.pk), "name": "bob",
                            "email": "bob@example.com"}
    assert call("put", path, {"assignedTo": f"team:{team.pk}"}).json()["assignedTo"] == {
        "type": "team", "id": str(team.pk), "name": "backend"}
    assert call("put", path, {"assignedTo": ""}).json()["assignedTo"] is None
    stranger = make_user("eve")
    refused = call("put", path, {"assignedTo": stranger.username})
    assert refused.status_code == 400 and "Unknown actor" in refused.json()["detail"]
    other_team = Team.objects.create(organization=make_org("Other"), name="X", slug="x")
    assert call("put", path, {"assignedTo": f"team:{other_team.pk}"}).status_code == 400

    body = call("put", path, {"hasSeen": True, "isBookmarked": True, "priority": "low"}).json()
    assert (body["hasSeen"], body["isBookmarked"], body["priority"]) == (True, True, "low")
    assert body["seenBy"][0]["username"] == user.username
    assert call("put", path, {"isBookmarked": False}).json()["isBookmarked"] is False
    assert call("put", path, {"priority": "urgent"}).status_code == 400
    assert call("put", path, {"hasSeen": "yes"}).status_code == 400
    assert call("put", path, ["not", "an", "object"]).status_code == 400


def test_bulk_update_by_id_and_by_query(call, project):
    a, b = make_issue(project, "TypeError: a"), make_issue(project, "KeyError: b")
    c = make_issue(project, "TypeError: c")
    response = call("put", "projects/acme/shop/issues/", {"status": "resolved"},
                    id=[str(a.pk), str(b.pk)])
    assert response.status_code == 200
    assert response.json() == {"status": "resolved", "statusDetails": {}}
    assert set(Issue.objects.filter(status="resolved").values_list("pk", flat=True)) == {
        a.pk, b.pk}
    by_query = call("put", "organizations/acme/issues/", {"status": "ignored"},
                    query="is:unresolved TypeError")
    assert by_query.json() == {"status": "ignored", "statusDetails": {}}
    c.refresh_from_db()
    a.refresh_from_db()
    assert c.status == "ignored" and a.status == "resolved"
    assert call("put", "projects/acme/shop/issues/", {"status": "resolved"},
                id="999999").status_code == 204
    assert call("put", "projects/acme/shop/issues/", {"status": "resolved"},
                id="abc").status_code == 400


def test_bulk_merge(call, project):
    a = make_issue(project, "a", times_seen=10)
    b = make_issue(project, "b", times_seen=2)
    body = call("put", "projects/acme/shop/issues/", {"merge": 1},
                id=[str(a.pk), str(b.pk)]).json()
    assert body == {"merge": {"parent": str(a.pk), "children": [str(b.pk)]}}
    b.refresh_from_db()
    assert b.merged_into_id == a.pk
    assert call("put", "projects/acme/shop/issues/", {"merge": 1},
                id=str(a.pk)).status_code == 400


def test_bulk_and_single_delete(call, client, project, user):
    a, b, c = (make_issue(project, t) for t in "abc")
    assert call("delete", "projects/acme/shop/issues/", id=[str(a.pk), str(b.pk)]
                ).status_code == 204
    assert list(Issue.objects.values_list("pk", flat=True)) == [c.pk]
    assert call("delete", f"issues/{c.pk}/").status_code == 202
    assert not Issue.objects.exists()

    # Members triage; only owners and admins delete, whatever the token's scopes.
    d = make_issue(project, "d")
    Member.objects.filter(user=user).update(role=Member.Role.MEMBER)
    refused = call("delete", f"issues/{d.pk}/")
    assert refused.status_code == 403 and Issue.objects.filter(pk=d.pk).exists()


def test_issue_events_and_latest_oldest_recommended(call, project):
    issue = make_issue(project)
    now = datetime.now(UTC)
    oldest = make_event(issue, timestamp=now - timedelta(hours=2), data={
        "exception": {"values": [{"type": "E", "stacktrace": {"frames": [
            {"function": "f", "lineno": 1, "in_app": True}]}}]}})
    latest = make_event(issue, timestamp=now, data={"logentry": {"formatted": "hi"}})
    listed = call("get", f"issues/{issue.pk}/events/").json()
    assert [e["eventID"] for e in listed] == [latest.event_id.hex, oldest.event_id.hex]
    assert set(listed[0]) == {"id", "eventID", "event.type", "groupID", "projectID", "title",
                              "message", "location", "culprit", "platform", "dateCreated",
                              "user", "tags", "metadata", "crashFile"}
    full = call("get", f"issues/{issue.pk}/events/", full="true").json()
    assert "entries" in full[0] and "contexts" in full[0]
    org_route = call("get", f"organizations/acme/issues/{issue.pk}/events/").json()
    assert [e["eventID"] for e in org_route] == [e["eventID"] for e in listed]

    got = call("get", f"issues/{issue.pk}/events/latest/").json()
    assert got["eventID"] == latest.event_id.hex
    assert got["previousEventID"] == oldest.event_id.hex and got["nextEventID"] is None
    assert call("get", f"issues/{issue.pk}/events/oldest/").json()["eventID"] == \
        oldest.event_id.hex
    assert call("get", f"issues/{issue.pk}/events/recommended/").json()["eventID"] == \
        oldest.event_id.hex
    assert call("get", f"issues/{issue.pk}/events/{oldest.event_id}/").json()["id"] == \
        oldest.event_id.hex
    assert call("get", f"issues/{issue.pk}/events/{uuid.uuid4().hex}/").status_code == 404


def test_project_events_list(call, project):
    issue = make_issue(project)
    events = [make_event(issue, timestamp=datetime.now(UTC) - timedelta(minutes=i))
              for i in range(3)]
    first = call("get", "projects/acme/shop/events/", limit=2)
    assert [e["eventID"] for e in first.json()] == [e.event_id.hex for e in events[:2]]
    rest = call("get", "projects/acme/shop/events/", limit=2,
                cursor=_links(first)["next"]["cursor"]).json()
    assert [e["eventID"] for e in rest] == [events[2].event_id.hex]
    assert call("get", "projects/acme/shop/events/", statsPeriod="1m").json()[0][
        "eventID"] == events[0].event_id.hex


def test_tags_and_tag_values(call, project):
    issue = make_issue(project)
    now = datetime.now(UTC)
    for value, count, age in (("Firefox", 5, 1), ("Chrome", 3, 0)):
        IssueTag.objects.create(issue=issue, key="browser", value=value, times_seen=count,
                                first_seen=now - timedelta(days=1),
                                last_seen=now - timedelta(hours=age))
    [tag] = call("get", f"issues/{issue.pk}/tags/").json()
    assert (tag["key"], tag["totalValues"], tag["uniqueValues"]) == ("browser", 8, 2)
    assert [v["value"] for v in tag["topValues"]] == ["Firefox", "Chrome"]
    assert call("get", f"issues/{issue.pk}/tags/browser/").json()["totalValues"] == 8
    values = call("get", f"issues/{issue.pk}/tags/browser/values/")
    assert [v["value"] for v in values.json()] == ["Chrome", "Firefox"]  # latest seen first
    assert set(values.json()[0]) == {"key", "name", "value", "count", "lastSeen", "firstSeen"}
    assert call("get", f"issues/{issue.pk}/tags/nope/values/").status_code == 404


def test_hashes_and_unmerge(call, project):
    a = make_issue(project, "a", times_seen=10)
    b = make_issue(project, "b", times_seen=1)
    IssueHash.objects.create(project=project, hash="a" * 32, issue=a)
    IssueHash.objects.create(project=project, hash="b" * 32, issue=b)
    make_event(b)
    actions.merge([a, b], None)
    hashes = call("get", f"issues/{a.pk}/hashes/").json()
    assert [h["id"] for h in hashes] == ["a" * 32, "b" * 32]
    assert hashes[0]["latestEvent"] is None and hashes[1]["latestEvent"]["groupID"] == str(b.pk)
    assert call("put", f"issues/{a.pk}/hashes/", id="a" * 32).status_code == 400
    assert call("put", f"issues/{a.pk}/hashes/", id="c" * 32).status_code == 400
    assert call("put", f"issues/{a.pk}/hashes/", id="b" * 32).status_code == 202
    b.refresh_from_db()
    assert b.merged_into_id is None
    assert IssueHash.objects.get(hash="b" * 32).issue_id == b.pk


def test_comments_and_activity(call, project, user):
    issue = make_issue(project)
    created = call("post", f"issues/{issue.pk}/comments/", {"text": "on it"})
    assert created.status_code == 201
    note = created.json()
    assert (note["type"], note["data"], note["user"]["username"]) == (
        "note", {"text": "on it"}, "alice")
    assert [n["id"] for n in call("get", f"issues/{issue.pk}/comments/").json()] == [note["id"]]
    assert call("post", f"issues/{issue.pk}/comments/", {"text": " "}).status_code == 400
    actions.resolve([issue], user)
    activity = call("get", f"issues/{issue.pk}/activities/").json()["activity"]
    assert [a["type"] for a in activity] == ["set_resolved", "note"]
    assert call("delete", f"issues/{issue.pk}/comments/{note['id']}/").status_code == 204
    assert call("get", f"issues/{issue.pk}/comments/").json() == []


def test_stats(call, project):
    issue = make_issue(project)
    hour = floor_hour(datetime.now(UTC))
    IssueHourlyCount.objects.create(issue=issue, hour=hour, count=4)
    IssueHourlyCount.objects.create(issue=issue, hour=hour - timedelta(hours=3), count=1)
    hourly = call("get", f"issues/{issue.pk}/stats/").json()
    assert len(hourly) == 24 and hourly[-1] == [int(hour.timestamp()), 4]
    assert sum(n for _, n in hourly) == 5
    daily = call("get", f"issues/{issue.pk}/stats/", statsPeriod="7d", interval="1d").json()
    assert len(daily) == 7 and sum(n for _, n in daily) == 5
    assert call("get", f"issues/{issue.pk}/stats/", interval="5m").status_code == 400


# Every issue route: its path, a method, and the scope it needs.
def _routes(issue: Issue, note_id: int) -> list[tuple[str, str, str]]:
    i = issue.pk
    return [
        ("get", "projects/{org}/{project}/issues/", "event:read"),
        ("put", "projects/{org}/{project}/issues/", "event:write"),
        ("delete", "projects/{org}/{project}/issues/", "event:admin"),
        ("get", "projects/{org}/{project}/events/", "event:read"),
        ("get", "organizations/{org}/issues/", "event:read"),
        ("put", "organizations/{org}/issues/", "event:write"),
        ("delete", "organizations/{org}/issues/", "event:admin"),
        ("get", f"organizations/{{org}}/issues/{i}/", "event:read"),
        ("put", f"organizations/{{org}}/issues/{i}/", "event:write"),
        ("delete", f"organizations/{{org}}/issues/{i}/", "event:admin"),
        ("get", f"organizations/{{org}}/issues/{i}/events/", "event:read"),
        ("get", f"issues/{i}/", "event:read"),
        ("put", f"issues/{i}/", "event:write"),
        ("delete", f"issues/{i}/", "event:admin"),
        ("get", f"issues/{i}/events/", "event:read"),
        ("get", f"issues/{i}/events/latest/", "event:read"),
        ("get", f"issues/{i}/tags/", "event:read"),
        ("get", f"issues/{i}/tags/browser/", "event:read"),
        ("get", f"issues/{i}/tags/browser/values/", "event:read"),
        ("get", f"issues/{i}/hashes/", "event:read"),
        ("put", f"issues/{i}/hashes/", "event:write"),
        ("get", f"issues/{i}/activities/", "event:read"),
        ("get", f"issues/{i}/comments/", "event:read"),
        ("post", f"issues/{i}/comments/", "event:read"),
        ("delete", f"issues/{i}/comments/{note_id}/", "event:read"),
        ("get", f"issues/{i}/stats/", "event:read"),
    ]


def _setup(org_owner) -> tuple[Issue, int]:
    org = make_org("Globex", owner=org_owner)
    project = make_project(org, "Vault", slug="vault")
    issue = make_issue(project)
    IssueTag.objects.create(issue=issue, key="browser", value="x", times_seen=1,
                            first_seen=issue.first_seen, last_seen=issue.last_seen)
    make_event(issue)
    note = actions.comment(issue, org_owner, "hello")
    return issue, note.pk


def test_every_route_refuses_a_token_without_its_scope(call, project, user, settings):
    # Dozens of requests in a second with one token: the rate limit is not what is tested.
    settings.API_RATE_LIMIT = 0
    issue = make_issue(project)
    note = actions.comment(issue, user, "hi")
    # A token with every scope but event:*: refused before the view runs, naming the scope.
    _, narrow = ApiToken.issue(user, "narrow", ["org:admin", "project:admin", "team:admin",
                                                "member:admin", "alerts:admin"])
    for method, path, scope in _routes(issue, note.pk):
        url = path.format(org="acme", project="shop")
        response = call(method, url, {"status": "resolved", "text": "x"}, token=narrow)
        assert response.status_code == 403, (method, url)
        assert scope in response.json()["detail"], (method, url)
    assert Issue.objects.filter(pk=issue.pk, status="unresolved").exists()


def test_every_route_is_404_for_another_organization(call, project):
    mallory = make_user("mallory")
    foreign, note_id = _setup(mallory)
    for method, path, _ in _routes(foreign, note_id):
        url = path.format(org="globex", project="vault")
        response = call(method, url, {"status": "resolved", "text": "x"})
        assert response.status_code == 404, (method, url)
    foreign.refresh_from_db()
    assert foreign.status == "unresolved"
    assert IssueActivity.objects.filter(pk=note_id).exists()
    # Another organization's issue through one's own organization's routes: not found either.
    assert call("get", f"organizations/acme/issues/{foreign.pk}/").status_code == 404
    assert call("put", "projects/acme/shop/issues/", {"status": "resolved"},
                id=str(foreign.pk)).status_code == 204
    foreign.refresh_from_db()
    assert foreign.status == "unresolved"
