"""Resolution through releases: the one release order, resolving in the next release or in a
given one, `fixes SHORT-ID` in a finalized release's commits, and release-aware regressions."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_issue, make_org, make_project, make_user
from tests.tracker.test_api import make_token
from tracker import actions, releases
from tracker.alerts.context import Context
from tracker.models import Issue, IssueActivity, Release
from tracker.models.releases import compare

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def make_release(project, version: str, *, released_days_ago: int | None = None) -> Release:
    release = Release.objects.create(
        organization=project.organization, version=version,
        date_released=NOW - timedelta(days=released_days_ago)
        if released_days_ago is not None else None)
    release.projects.add(project)
    return release


@pytest.mark.django_db
def test_one_order_semver_else_release_date(project):
    v1_10 = make_release(project, "shop@1.10.0")
    v1_9 = make_release(project, "shop@1.9.0")  # created later, older by semver
    assert compare(v1_10, v1_9) == 1 and compare(v1_9, v1_10) == -1
    assert compare(v1_9, v1_9) == 0
    assert v1_10.is_newer_than(v1_9) and not v1_9.is_newer_than(v1_10)
    # Not both semver (or other packages): by release date, then creation.
    late = make_release(project, "abc", released_days_ago=1)
    early = make_release(project, "def", released_days_ago=5)  # created after `late`
    assert late.is_newer_than(early)
    other_package = make_release(project, "web@0.1.0", released_days_ago=3)
    assert late.is_newer_than(other_package) and other_package.is_newer_than(early)


@pytest.mark.django_db
def test_next_release_is_after_the_latest_by_that_order(project, user):
    make_release(project, "2.10.0")
    make_release(project, "2.9.0")  # the newest row, but not the latest release
    issue = make_issue(project)
    actions.resolve_in_next_release([issue], user)
    issue.refresh_from_db()
    assert issue.resolved_in_release.version == "2.10.0" and issue.resolved_in_next_release
    # The alert filter "the event's release is the latest" uses the same order.
    assert Context({}, NOW).latest_release(project.pk) == "2.10.0"


@pytest.mark.django_db
def test_resolve_in_release(project, user):
    fixed = make_release(project, "1.2.0")
    issue = make_issue(project)
    assert actions.resolve_in_release([issue], user, fixed) == [issue.pk]
    assert actions.resolve_in_release([issue], user, fixed) == []  # already: one activity
    issue.refresh_from_db()
    assert (issue.status, issue.resolved_in_release, issue.resolved_in_next_release) == (
        Issue.Status.RESOLVED, fixed, False)
    activity = IssueActivity.objects.get(issue=issue)
    assert activity.data == {"version": "1.2.0", "next": False}
    elsewhere = Release.objects.create(organization=make_org(owner=make_user()), version="x")
    with pytest.raises(actions.ActionError):
        actions.resolve_in_release([issue], user, elsewhere)
    # Reopening clears the resolution entirely.
    actions.unresolve([issue], user)
    issue.refresh_from_db()
    assert issue.resolved_in_release is None and not issue.resolved_in_next_release


def test_fixes_syntax():
    message = "Fix the cart\n\nFixes SHOP-1F, shop-2 and closes WEB-A.\nRefs SHOP-9"
    assert releases.fixed_short_ids(message) == [("shop", 47), ("shop", 2), ("web", 10)]
    assert releases.fixed_short_ids("Prefix SHOP-1, a fixture for SHOP-2") == []
    assert releases.fixed_short_ids("resolved: my-app-3") == [("my-app", 3)]


def _regresses(issue: Issue, release: Release | None) -> bool:
    changes = actions.events_arrived({issue.pk: [actions.NewEvent(
        "e" * 32, datetime.now(UTC) + timedelta(seconds=1),
        release.pk if release else None, release.version if release else "")]})
    return bool(changes)


@pytest.mark.django_db
@pytest.mark.parametrize(("next_release", "event_version", "reopens"), [
    (True, "1.1.0", False), (True, "1.2.0", False), (True, "1.3.0", True),
    (False, "1.1.0", False), (False, "1.2.0", True), (False, "1.3.0", True),
])
def test_regressions_are_release_aware(project, user, next_release, event_version, reopens):
    versions = {v: make_release(project, v) for v in ("1.3.0", "1.1.0", "1.2.0")}
    issue = make_issue(project)
    if next_release:
        # As if resolved in the next release when 1.2.0 was the latest.
        actions.resolve_in_next_release([issue], user)
        Issue.objects.filter(pk=issue.pk).update(resolved_in_release=versions["1.2.0"])
    else:
        actions.resolve_in_release([issue], user, versions["1.2.0"])
    issue.refresh_from_db()
    assert _regresses(issue, versions[event_version]) is reopens
    issue.refresh_from_db()
    assert (issue.status == Issue.Status.UNRESOLVED) is reopens


# --- `fixes SHORT-ID` through the API sentry-cli uses ---------------------------------------

@pytest.fixture
def api(client, user):
    headers = {"Authorization": f"Bearer {make_token(user)}"}

    def call(method: str, path: str, body=None):
        return getattr(client, method)(f"/api/0/organizations/acme/{path}",
                                       data=json.dumps(body), content_type="application/json",
                                       headers=headers)
    return call


def fixing(key: str, message: str) -> dict:
    return {"id": key * 40, "repository": "acme/shop", "message": message,
            "author_name": "Ada", "author_email": "ada@example.com"}


@pytest.mark.django_db
def test_fixes_resolve_when_the_release_is_finalized(api, project):
    web = make_project(project.organization, "Web", slug="web")
    checkout, cart, web_issue, done = (make_issue(project), make_issue(project),
                                       make_issue(web), make_issue(project))
    actions.resolve([done], None)
    ids = [i.qualified_short_id for i in (checkout, cart, web_issue)]
    assert api("post", "releases/", {"version": "2.0", "projects": ["shop"]}).status_code == 201
    api("put", "releases/2.0/", {"commits": [
        fixing("a", f"Pay by card\n\nfixes {ids[0].lower()}, {ids[1]}"),
        fixing("b", f"Tidy\n\nFixes {ids[2]} and {done.qualified_short_id}"),
    ]})
    # Not finalized yet: nothing is resolved.
    assert Issue.objects.filter(status=Issue.Status.RESOLVED).count() == 1

    assert api("put", "releases/2.0/", {"dateReleased": "2026-06-01T00:00:00Z"}
               ).status_code == 200
    for issue in (checkout, cart):
        issue.refresh_from_db()
        assert issue.status == Issue.Status.RESOLVED
        assert (issue.resolved_in_release.version, issue.resolved_in_next_release) == (
            "2.0", False)
        activity = IssueActivity.objects.get(issue=issue)
        assert activity.user is None and activity.data["commit"] == "a" * 40
    web_issue.refresh_from_db()
    assert web_issue.status == Issue.Status.UNRESOLVED  # web is not in the release
    done.refresh_from_db()
    assert done.resolved_in_release is None  # already resolved: left as it was


@pytest.mark.django_db
def test_fixes_resolve_when_a_finalized_release_gets_its_commits(api, project):
    issue = make_issue(project)
    api("post", "releases/", {"version": "3.0", "projects": ["shop"],
                              "dateReleased": "2026-06-01T00:00:00Z"})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    api("put", "releases/3.0/", {"commits": [fixing("c", f"FIXES {issue.qualified_short_id}")]})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.RESOLVED and issue.resolved_in_release.version == "3.0"
    # Reopened by hand, it stays open when the release is merely updated again.
    actions.unresolve([issue], None)
    api("put", "releases/3.0/", {"url": "https://example.com/3.0"})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED


@pytest.mark.django_db
def test_resolve_in_release_from_the_issue_page(client, user, project):
    older, fixed = make_release(project, "1.0.0"), make_release(project, "1.1.0")
    issue = make_issue(project)
    client.force_login(user)
    url = f"/acme/issues/{issue.pk}/"
    page = client.get(url).content.decode()
    assert f'<option value="{fixed.pk}">1.1.0</option>' in page
    assert f'<option value="{older.pk}">1.0.0</option>' in page
    form = {"issue": issue.pk, "action": "resolve_in_release", "next": url}
    foreign = Release.objects.create(organization=make_org(owner=make_user()), version="9")
    assert client.post("/acme/issues/actions/", {**form, "release": foreign.pk}
                       ).status_code == 404
    assert client.post("/acme/issues/actions/", {**form, "release": "x"}).status_code == 404
    response = client.post("/acme/issues/actions/", {**form, "release": fixed.pk})
    assert response.status_code == 303 and response["Location"] == url
    issue.refresh_from_db()
    assert (issue.status, issue.resolved_in_release, issue.resolved_in_next_release) == (
        Issue.Status.RESOLVED, fixed, False)
    page = client.get(url).content.decode()
    assert "Resolved 1 issue in release 1.1.0." in page
    assert re.search(r"resolved in release <a [^>]*>1\.1\.0</a>", page)
