"""The Sentry-shaped read API: auth, scoping, issue lists with cursors, events."""

import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from tests.factories import make_event, make_issue, make_org, make_project, make_user
from tracker.models import Issue, IssueActivity

pytestmark = pytest.mark.django_db


def make_token(user) -> str:
    out = io.StringIO()
    call_command("create_token", user.username, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def api(client, user):
    token = make_token(user)

    def get(path, **params):
        return client.get(f"/api/0/{path}", params, headers={"Authorization": f"Bearer {token}"})

    return get


def _links(response) -> dict[str, dict[str, str]]:
    links = {}
    for part in response["Link"].split(", <"):
        url = re.search(r"<?([^>]+)>", part).group(1)
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', part))
        links[attrs["rel"]] = {"url": url, **attrs}
    return links


def test_needs_a_token(client, project):
    response = client.get("/api/0/projects/acme/shop/issues/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    bad = client.get("/api/0/projects/acme/shop/issues/",
                     headers={"Authorization": "Bearer errata_nope"})
    assert bad.status_code == 401


def test_organization_projects(api, project):
    make_project(project.organization, "Web", slug="web")
    make_project(make_org("Other"), "Secret", slug="secret")
    response = api("organizations/acme/projects/")
    assert response.status_code == 200
    body = response.json()
    assert [p["slug"] for p in body] == ["shop", "web"]
    assert body[0]["id"] == str(project.pk)
    assert body[0]["organization"]["slug"] == "acme"


def test_issue_list_fields(api, project):
    first = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    issue = make_issue(project, "ValueError: bad", culprit="shop.cart in add", level=30,
                       times_seen=1234, users_seen=7, first_seen=first,
                       last_seen=first + timedelta(hours=1), handling="unhandled")
    IssueActivity.objects.create(issue=issue, kind="comment", data={"text": "hi"})
    [row] = api("projects/acme/shop/issues/").json()
    assert row["id"] == str(issue.pk)
    assert row["shortId"] == issue.qualified_short_id
    assert (row["title"], row["culprit"], row["level"], row["status"]) == (
        "ValueError: bad", "shop.cart in add", "warning", "unresolved")
    assert row["count"] == "1234"
    assert row["userCount"] == 7
    assert row["firstSeen"] == "2026-01-02T03:04:05.123456Z"
    assert row["lastSeen"] == "2026-01-02T04:04:05.123456Z"
    assert row["permalink"].endswith(f"/acme/issues/{issue.pk}/")
    assert row["project"] == {"id": str(project.pk), "slug": "shop", "name": "Shop",
                              "platform": "python"}
    assert row["isUnhandled"] is True
    assert row["numComments"] == 1


def test_default_query_is_unresolved(api, project):
    open_issue = make_issue(project, "open")
    make_issue(project, "done", status=Issue.Status.RESOLVED)
    make_issue(project, "merged", status=Issue.Status.MERGED)
    assert [r["id"] for r in api("projects/acme/shop/issues/").json()] == [str(open_issue.pk)]
    assert [r["title"] for r in api("projects/acme/shop/issues/", query="is:resolved").json()] \
        == ["done"]
    everything = api("projects/acme/shop/issues/", query="").json()
    assert sorted(r["title"] for r in everything) == ["done", "open"]
    assert [r["title"] for r in api("projects/acme/shop/issues/", query="level:error op").json()] \
        == ["open"]


def test_bad_query_and_params_are_400(api, project):
    assert api("projects/acme/shop/issues/", query="is:bogus").status_code == 400
    assert api("projects/acme/shop/issues/", limit="0").status_code == 400
    assert api("projects/acme/shop/issues/", sort="nope").status_code == 400
    assert api("projects/acme/shop/issues/", cursor="x:y").status_code == 400


def test_cursor_pagination_follows_link_header(api, client, project):
    now = datetime.now(UTC)
    # Two issues share a last_seen: the id breaks the tie, so none is skipped or repeated.
    issues = [make_issue(project, f"E{i}", now=now - timedelta(minutes=i // 2 * 2 + (i % 2)))
              for i in range(7)]
    Issue.objects.filter(pk=issues[2].pk).update(last_seen=issues[1].last_seen)
    seen, pages = [], []
    response = api("projects/acme/shop/issues/", limit="3")
    while True:
        body = response.json()
        pages.append([r["title"] for r in body])
        seen += [r["id"] for r in body]
        links = _links(response)
        if links["next"]["results"] != "true":
            break
        response = api("projects/acme/shop/issues/", limit="3", cursor=links["next"]["cursor"])
    assert len(seen) == len(set(seen)) == 7
    assert [len(p) for p in pages] == [3, 3, 1]
    assert _links(api("projects/acme/shop/issues/", limit="3"))["previous"]["results"] == "false"

    # Going back from the last page gives the middle page again.
    back = api("projects/acme/shop/issues/", limit="3", cursor=links["previous"]["cursor"])
    assert [r["title"] for r in back.json()] == pages[1]
    assert _links(back)["next"]["results"] == "true"
    assert _links(back)["previous"]["results"] == "true"
    assert "http://testserver/api/0/projects/acme/shop/issues/?limit=3&cursor=" in \
        links["next"]["url"]


def test_sort_by_frequency(api, project):
    make_issue(project, "rare", times_seen=1)
    make_issue(project, "often", times_seen=50)
    body = api("projects/acme/shop/issues/", sort="freq").json()
    assert [r["title"] for r in body] == ["often", "rare"]


def test_event_detail(api, project):
    issue = make_issue(project, "KeyError: 'NZ'")
    event_id = uuid.uuid4()
    data = {
        "event_id": event_id.hex, "platform": "python", "title": "KeyError: 'NZ'",
        "culprit": "shop.pricing in cart_total", "received": 1767225600.5,
        "tags": [["browser", "Firefox"], ["sample_event", "yes"]],
        "user": {"id": "42"}, "contexts": {"runtime": {"name": "CPython"}},
        "sdk": {"name": "sentry.python", "version": "2.0"},
        "hashes": ["a" * 32], "logentry": {"formatted": "Checkout failed"},
        "exception": {"values": [{"type": "KeyError", "value": "'NZ'", "stacktrace": {
            "frames": [{"filename": "shop/pricing.py", "function": "cart_total", "lineno": 18,
                        "context_line": "rate = TAX[c]", "pre_context": ["def f():"],
                        "post_context": ["return rate"], "in_app": True,
                        "vars": {"c": "'NZ'"}}]}}]},
        "breadcrumbs": {"values": [{"timestamp": 1767225600.0, "message": "hi"}]},
        "request": {"url": "https://x.example/", "method": "GET", "headers": {"A": "b"}},
    }
    make_event(issue, event_id=event_id, data=data, release="1.0", environment="prod",
               user_key="id:42", level=40)
    response = api(f"projects/acme/shop/events/{event_id.hex}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == body["eventID"] == event_id.hex
    assert body["groupID"] == str(issue.pk)
    assert body["projectID"] == str(project.pk)
    assert (body["title"], body["message"], body["platform"]) == (
        "KeyError: 'NZ'", "Checkout failed", "python")
    assert body["dateReceived"] == "2026-01-01T00:00:00.500000Z"
    assert body["dateCreated"].endswith("Z")
    tags = {t["key"]: t["value"] for t in body["tags"]}
    assert tags == {"browser": "Firefox", "sample_event": "yes", "environment": "prod",
                    "release": "1.0", "level": "error", "handled": "yes", "user": "id:42"}
    assert body["fingerprints"] == ["a" * 32]
    assert body["user"] == {"id": "42"}
    assert body["sdk"]["name"] == "sentry.python"
    entries = {e["type"]: e["data"] for e in body["entries"]}
    frame = entries["exception"]["values"][0]["stacktrace"]["frames"][0]
    assert frame["lineNo"] == 18 and frame["inApp"] is True
    assert frame["context"] == [[17, "def f():"], [18, "rate = TAX[c]"], [19, "return rate"]]
    assert entries["message"]["formatted"] == "Checkout failed"
    assert entries["request"]["headers"] == [["A", "b"]]
    assert entries["breadcrumbs"]["values"][0]["timestamp"] == "2026-01-01T00:00:00Z"
    # Dashes are accepted too, as Sentry does.
    assert api(f"projects/acme/shop/events/{event_id}/").status_code == 200


def test_event_not_found(api, project):
    assert api(f"projects/acme/shop/events/{uuid.uuid4().hex}/").status_code == 404
    assert api("projects/acme/shop/events/not-a-uuid/").status_code == 404


def test_other_organizations_are_404(api, project):
    other_org = make_org("Globex", owner=make_user("bob"))
    other = make_project(other_org, "Vault", slug="vault")
    event = make_event(make_issue(other))
    assert api("organizations/globex/projects/").status_code == 404
    assert api("projects/globex/vault/issues/").status_code == 404
    assert api(f"projects/globex/vault/events/{event.event_id.hex}/").status_code == 404
    # An event id of another organization's project through one's own project: not found.
    assert api(f"projects/acme/shop/events/{event.event_id.hex}/").status_code == 404
    assert api("organizations/nope/projects/").status_code == 404


def test_session_auth_works_for_signed_in_users(client, user, project):
    client.force_login(user)
    assert client.get("/api/0/projects/acme/shop/issues/").status_code == 200


def test_issue_list_query_count_is_constant(api, project, django_assert_max_num_queries):
    for i in range(30):
        make_issue(project, f"E{i}")
    # token, token touch, project, membership, issues, comments, seen/bookmarks, stats.
    with django_assert_max_num_queries(8):
        assert len(api("projects/acme/shop/issues/", limit="25").json()) == 25
