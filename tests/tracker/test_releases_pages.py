"""The releases list and a release's page: health, commits, deploys, issues, and the links
to a release from the issue list, issue page and events."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import make_event, make_issue, make_org, make_project, make_user
from tracker import release_health, releases
from tracker.models import (
    Commit,
    CommitFileChange,
    Environment,
    IssueActivity,
    Release,
    ReleaseCommit,
    Repository,
    SessionStatus,
)
from tracker.release_health import SessionUpdate
from tracker.timeutil import floor_hour

pytestmark = pytest.mark.django_db

ODD_VERSIONS = ["shop/web@1.0 beta", "версия-2.0 ✓", "v" * 200, "a#b?c%20d"]


def make_release(project, version, **fields):
    release = Release.objects.create(organization=project.organization, version=version,
                                     **fields)
    release.projects.add(project)
    return release


def fold(project, version, *statuses, users=None, hours_ago=1):
    hour = floor_hour(timezone.now()) - timedelta(hours=hours_ago)
    users = users or [""] * len(statuses)
    release_health.fold([
        SessionUpdate(project.pk, hour, version, "production", s, uuid.uuid4(), True, u)
        for s, u in zip(statuses, users, strict=True)
    ])


def links(html: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'href="([^"#]+)"', html)]


def follow_all(client, html: str, prefix: str) -> list[str]:
    """Follow every link of the page that starts with `prefix`; all must answer 200."""
    followed = [h for h in links(html) if h.startswith(prefix)]
    for href in followed:
        response = client.get(href)
        assert response.status_code == 200, href
    return followed


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_releases_list_shows_health_newest_first_and_links(signed_in, project):
    s = SessionStatus
    old = make_release(project, "shop@1.0")
    new = make_release(project, "shop@2.0", date_released=timezone.now())
    Release.objects.filter(pk=old.pk).update(created=timezone.now() - timedelta(days=2))
    fold(project, "shop@1.0", s.HEALTHY, s.HEALTHY, s.HEALTHY, s.CRASHED,
         users=["a", "b", "c", "c"])
    fold(project, "shop@2.0", *[s.HEALTHY] * 4, s.UNHANDLED, s.ERRORED)
    make_issue(project, first_release=new)
    releases.create_deploy(new, "production")

    response = signed_in.get("/acme/shop/releases/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("shop@2.0") < html.index("shop@1.0")
    row_old = re.search(r"<tr>\s*<td><a class=\"version\"[^>]*>shop@1\.0</a>.*?</tr>", html,
                        re.S).group(0)
    cells = [re.sub(r"<[^>]+>|\s+", " ", c).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", row_old, re.S)]
    # adoption 4/10, crash-free sessions 3/4, crash-free users 2/3, unhandled-free 3/4
    assert cells[4:8] == ["40%", "75%", "66.667%", "75%"]
    row_new = re.search(r"<tr>\s*<td><a class=\"version\"[^>]*>shop@2\.0</a>.*?</tr>", html,
                        re.S).group(0)
    assert "60%" in row_new and "83.333%" in row_new and "production" in row_new
    followed = follow_all(signed_in, html, "/acme/shop/releases/shop")
    assert len(followed) == 2
    # The new-issues count links to the issue list filtered to the release's new issues.
    [new_issues] = [h for h in links(row_new) if "first-release" in h]
    issue_list = signed_in.get(new_issues).content.decode()
    assert "ValueError: boom" in issue_list


def test_releases_list_pages(signed_in, project):
    for n in range(30):
        make_release(project, f"shop@1.{n}")
    html = signed_in.get("/acme/shop/releases/").content.decode()
    assert "shop@1.29" in html and "shop@1.4<" not in html
    [older] = [h for h in links(html) if "page=2" in h]
    second = signed_in.get("/acme/shop/releases/" + older).content.decode()
    assert "shop@1.4<" in second and "page 2 of 2" in second
    assert signed_in.get("/acme/shop/releases/?page=nope").status_code == 200


def test_release_detail_shows_commits_deploys_issues_and_health(signed_in, project):
    release = make_release(project, "shop@3.0")
    repo = Repository.objects.create(organization=project.organization, name="acme/shop")
    commit = Commit.objects.create(repository=repo, key="a" * 40, message="Fix the cart",
                                   author_name="Ada Lovelace", author_email="ada@example.com")
    CommitFileChange.objects.create(commit=commit, filename="shop/cart.py", type="M")
    ReleaseCommit.objects.create(release=release, commit=commit, order=0)
    releases.create_deploy(release, "staging", url="https://ci.example.com/1")
    new = make_issue(project, "KeyError: cart", first_release=release)
    regressed = make_issue(project, "TypeError: total")
    IssueActivity.objects.create(issue=regressed, kind=IssueActivity.Kind.REGRESSION,
                                 data={"version": "shop@3.0"})
    resolved = make_issue(project, "ZeroDivisionError", resolved_in_release=release)
    s = SessionStatus
    fold(project, "shop@3.0", s.HEALTHY, s.HEALTHY, s.HEALTHY, s.HEALTHY, s.HEALTHY,
         s.HEALTHY, s.HEALTHY, s.ERRORED, s.UNHANDLED, s.CRASHED,
         users=["a", "b", "c", "d", "e", "a", "b", "c", "d", "e"])

    response = signed_in.get("/acme/shop/releases/shop@3.0/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("Fix the cart", "Ada Lovelace", "shop/cart.py", "staging",
                 "https://ci.example.com/1", "KeyError: cart", "TypeError: total",
                 "ZeroDivisionError"):
        assert text in html, text

    def rate(name):
        return re.search(rf'data-rate="{name}">([^<]*)<', html).group(1)

    assert rate("crash-free-sessions") == "90%"
    assert rate("unhandled-free-sessions") == "80%"
    assert rate("crash-free-users") == "80%"
    assert rate("unhandled-free-users") == "60%"
    assert rate("adoption") == "100%"
    for issue in (new, regressed, resolved):
        assert f"/acme/issues/{issue.pk}/" in links(html)
    follow_all(signed_in, html, "/acme/issues/")
    follow_all(signed_in, html, "/acme/shop/releases/")


@pytest.mark.parametrize("version", ODD_VERSIONS)
def test_odd_versions_work_in_page_urls(signed_in, project, version):
    make_release(project, version)
    url = reverse("release-detail", args=["acme", "shop", version])
    response = signed_in.get(url)
    assert response.status_code == 200
    assert response.context["release"].version == version
    list_html = signed_in.get("/acme/shop/releases/").content.decode()
    assert url in links(list_html)


def test_unknown_and_foreign_releases_are_404(signed_in, project):
    assert signed_in.get("/acme/shop/releases/nope/").status_code == 404
    theirs = make_project(make_org("Other", owner=make_user("bob")), "Theirs", slug="theirs")
    make_release(theirs, "x@1")
    assert signed_in.get("/other/theirs/releases/").status_code == 404
    assert signed_in.get("/other/theirs/releases/x@1/").status_code == 404
    # A release of the organization that is not this project's is not this project's page.
    other_project = make_project(project.organization, "Api", slug="api")
    make_release(other_project, "api@1")
    assert signed_in.get("/acme/shop/releases/api@1/").status_code == 404


def test_versions_link_to_their_release_everywhere(signed_in, project):
    release = make_release(project, "shop@4.0 beta/1")
    url = reverse("release-detail", args=["acme", "shop", release.version])
    issue = make_issue(project, first_release=release, last_release=release)
    make_event(issue, release="shop@4.0 beta/1")
    Environment.objects.create(organization=project.organization, name="production")

    nav = signed_in.get("/acme/shop/issues/").content.decode()
    assert "/acme/shop/releases/" in links(nav)
    assert signed_in.get("/acme/shop/releases/").status_code == 200

    filtered = signed_in.get("/acme/shop/issues/", {"release": release.version}).content.decode()
    assert url in links(filtered)

    detail = signed_in.get(f"/acme/issues/{issue.pk}/").content.decode()
    assert links(detail).count(url) >= 3  # first release, last release, the event's release
    events = signed_in.get(f"/acme/issues/{issue.pk}/events/").content.decode()
    assert url in links(events)
    assert signed_in.get(url).status_code == 200
