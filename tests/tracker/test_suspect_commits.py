"""Suspect commits: the domain ranking, the issue page's section and its one-click assign, and
Sentry's committers route."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client

from tests.factories import make_event, make_issue, make_member, make_org, make_project, make_user
from tests.tracker.test_api import make_token
from tracker import releases, suspect_commits
from tracker.models import Issue, Release
from tracker.suspect_commits import match_length, path_parts

ADA = ("Ada Lovelace", "ada@example.com")
GRACE = ("Grace Hopper", "grace@example.com")


def commit(key: str, author, message: str, *files: str, date: int = 1) -> releases.CommitData:
    return releases.CommitData(
        key=key * 40, repository="acme/shop", message=message, author_name=author[0],
        author_email=author[1], date=datetime(2026, 3, date, tzinfo=UTC),
        files=tuple(releases.FileChange(name, kind) for kind, name in
                    (f.split(" ", 1) for f in files)),
    )


def frame(path: str, in_app: bool = True, function: str = "f") -> dict:
    return {"abs_path": path, "filename": path.rsplit("/", 1)[-1], "function": function,
            "in_app": in_app, "lineno": 3}


def crash(*frames: dict) -> dict:
    return {"exception": {"values": [{"type": "KeyError", "value": "'x'",
                                      "stacktrace": {"frames": list(frames)}}]}}


def release(project, version: str, *commits: releases.CommitData) -> Release:
    made, _ = releases.create_release(project.organization, version, [project])
    if commits:
        releases.set_commits(made, list(commits))
    return made


@pytest.fixture
def shop(project):
    """1.0 with commits, 1.1 without, 1.2 with its own; the issue first seen in 1.1."""
    release(project, "1.0",
            commit("b", GRACE, "Checkout\n\nPay by card.", "A shop/checkout.py", date=2),
            commit("a", ADA, "Cart", "A shop/cart.py", "A README.md", date=1))
    first = release(project, "1.1")
    release(project, "1.2", commit("c", ADA, "Refactor checkout", "M shop/checkout.py"))
    issue = make_issue(project, first_release=first)
    event = make_event(issue, release="1.1", data=crash(
        frame("/usr/lib/python3.11/threading.py", in_app=False),
        frame("/srv/app/shop/cart.py", function="add"),
        frame("/srv/app/shop/checkout.py", function="pay"),
    ))
    return issue, event


def test_paths_match_by_whole_component_suffix():
    assert path_parts("app:///src/./shop/cart.js?v=3") == ("src", "shop", "cart.js")
    assert path_parts("C:\\app\\shop\\cart.py") == ("C:", "app", "shop", "cart.py")
    assert match_length(path_parts("/srv/app/shop/cart.py"), ("shop", "cart.py")) == 2
    assert match_length(("cart.py",), ("src", "cart.py")) == 1
    assert match_length(path_parts("/srv/app/shop/cart.py"), ("other", "cart.py")) == 0
    assert match_length(("mycart.py",), ("cart.py",)) == 0


@pytest.mark.django_db
def test_suspects_are_ranked_from_the_first_release_back(project, shop):
    issue, event = shop
    found = suspect_commits.suspects(issue, event)
    # 1.1 has no commits, so 1.0's count; 1.2 came after the issue appeared. The crashing
    # frame's file counts double; README.md matches no frame; threading.py isn't in-app.
    assert [(s.commit.key[0], s.release.version, s.files) for s in found] == [
        ("b", "1.0", ["shop/checkout.py"]), ("a", "1.0", ["shop/cart.py"])]
    assert [s.score for s in found] == [4, 4]  # two components, near the crash: 2 * 2
    assert found[0].summary == "Checkout"

    # Once the first release has commits of its own, the search stops there.
    releases.set_commits(issue.first_release, [commit("d", ADA, "Fix cart", "M shop/cart.py")])
    assert [s.commit.key[0] for s in suspect_commits.suspects(issue, event)] == ["d", "b", "a"]
    # Nothing to go on: no release, or no in-app frame.
    assert suspect_commits.suspects(make_issue(project), event) == []
    bare = make_event(issue, data=crash(frame("/usr/lib/x.py", in_app=False)))
    assert suspect_commits.suspects(issue, bare) == []


@pytest.mark.django_db
def test_frames_nearest_the_crash_weigh_more(project):
    first = release(project, "1.0",
                    commit("a", ADA, "Outer", "M app/outer.py"),
                    commit("b", GRACE, "Inner", "M app/inner.py"))
    issue = make_issue(project, first_release=first)
    frames = [frame(f"/srv/app/f{i}.py") for i in range(4)]
    event = make_event(issue, data=crash(frame("/srv/app/outer.py"), *frames,
                                         frame("/srv/app/inner.py")))
    assert [s.commit.key[0] for s in suspect_commits.suspects(issue, event)] == ["b", "a"]


@pytest.mark.django_db
def test_issue_page_shows_the_suspect_and_assigns_its_author(user, project, shop):
    issue, _ = shop
    grace = make_user("grace", email="grace@example.com", first_name="Grace",
                      last_name="Hopper")
    make_member(project.organization, grace)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    url = f"/acme/issues/{issue.pk}/"
    page = browser.get(url).content.decode()
    section = page[page.index('id="suspect-commits"'):page.index("Recent events")]
    assert "Checkout" in section and "bbbbbbbbbbbb" in section
    assert "Grace Hopper" in section and "Ada Lovelace" in section
    assert "release 1.0" in section and "shop/checkout.py" in section
    # Only Grace is a member: one assign button, hers.
    assert section.count("Assign to") == 1 and "Assign to grace" in section

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', section)[1]
    form = {"issue": issue.pk, "assign_to": grace.pk, "action": "assign", "next": url}
    assert browser.post("/acme/issues/actions/", form).status_code == 403  # no CSRF token
    response = browser.post("/acme/issues/actions/", {**form, "csrfmiddlewaretoken": token})
    assert response.status_code == 303 and response["Location"] == url
    issue.refresh_from_db()
    assert issue.assignee == grace
    page = browser.get(url).content.decode()
    assert "Assigned to the author." in page and "Assign to grace" not in page


@pytest.mark.django_db
def test_event_data_is_escaped_in_the_section(client, user, project):
    first = release(project, "1.0", commit("a", ("<b>Eve</b>", "eve@example.com"),
                                           "<script>alert(1)</script>", "M app.py"))
    issue = make_issue(project, first_release=first)
    make_event(issue, data=crash(frame("/srv/app.py")))
    client.force_login(user)
    page = client.get(f"/acme/issues/{issue.pk}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert "&lt;b&gt;Eve&lt;/b&gt;" in page


@pytest.mark.django_db
def test_committers_route(client, user, project, shop):
    issue, event = shop
    grace = make_user("grace", email="Grace@example.com")
    make_member(project.organization, grace)
    headers = {"Authorization": f"Bearer {make_token(user)}"}
    base = "/api/0/projects/acme/shop/events"
    body = client.get(f"{base}/{event.event_id.hex}/committers/", headers=headers).json()
    assert [c["author"] for c in body["committers"]] == [
        {"id": str(grace.pk), "username": "grace", "email": "Grace@example.com",
         "name": "grace", "isActive": True},
        {"name": "Ada Lovelace", "email": "ada@example.com"}]
    [commit_json] = body["committers"][0]["commits"]
    assert commit_json["id"] == "b" * 40
    assert commit_json["message"] == "Checkout\n\nPay by card."
    assert commit_json["suspectCommitType"] == "via commit in release"
    assert commit_json["score"] == 4
    assert commit_json["repository"]["name"] == "acme/shop"

    # Errors: Sentry's {"detail"} and 404s, other organizations included.
    missing = client.get(f"{base}/{'0' * 32}/committers/", headers=headers)
    assert missing.status_code == 404 and missing.json()["detail"]
    assert client.get(f"{base}/nope/committers/", headers=headers).status_code == 404
    no_release = make_event(make_issue(project), data=crash(frame("/srv/app/shop/cart.py")))
    response = client.get(f"{base}/{no_release.event_id.hex}/committers/", headers=headers)
    assert response.status_code == 404 and response.json() == {"detail": "Release not found"}
    make_project(make_org("Globex", owner=make_user("bob")), "Vault", slug="vault")
    assert client.get(f"/api/0/projects/globex/vault/events/{event.event_id.hex}/committers/",
                      headers=headers).status_code == 404
    assert Issue.objects.get(pk=issue.pk).assignee is None
