"""The releases pages in a real browser: from the project navigation to the releases list,
then to a release, with screenshots of both."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.e2e.conftest import sign_in
from tests.factories import make_issue
from tracker import release_health, releases
from tracker.models import (
    Commit,
    CommitFileChange,
    Release,
    ReleaseCommit,
    Repository,
    SessionStatus,
)
from tracker.release_health import SessionUpdate
from tracker.timeutil import floor_hour

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

S = SessionStatus


def _release(project, version, days_ago, sessions, *, finalized=True):
    release = Release.objects.create(
        organization=project.organization, version=version,
        date_released=timezone.now() - timedelta(days=days_ago) if finalized else None)
    release.projects.add(project)
    Release.objects.filter(pk=release.pk).update(
        created=timezone.now() - timedelta(days=days_ago, hours=1))
    now = floor_hour(timezone.now())
    release_health.fold([
        SessionUpdate(project.pk, now - timedelta(hours=i * 7 % (24 * min(days_ago + 1, 14))),
                      version, "production", status, uuid.uuid4(), True, f"user{i % 40}")
        for i, status in enumerate(sessions)
    ])
    return release


@pytest.fixture
def shop(project):
    _release(project, "shop@1.4.0", 12, [S.HEALTHY] * 60 + [S.CRASHED] * 6 + [S.ERRORED] * 8)
    _release(project, "shop@1.5.0", 6, [S.HEALTHY] * 120 + [S.CRASHED] * 2 + [S.UNHANDLED] * 9)
    current = _release(project, "shop@1.6.0", 1,
                       [S.HEALTHY] * 180 + [S.ERRORED] * 12 + [S.UNHANDLED] * 5 + [S.CRASHED])
    _release(project, "shop@1.7.0-rc.1", 0, [], finalized=False)
    repo = Repository.objects.create(organization=project.organization, name="acme/shop")
    for order, (key, message, author, files) in enumerate([
        ("9f1c2e7", "Retry payment capture on timeout", ("Ada Lovelace", "ada@example.com"),
         ["shop/payments.py", "shop/tests/test_payments.py"]),
        ("4b8d0a1", "Cart: keep coupons across sessions", ("Grace Hopper", "grace@example.com"),
         ["shop/cart.py"]),
    ]):
        commit = Commit.objects.create(repository=repo, key=key * 5, message=message,
                                       author_name=author[0], author_email=author[1],
                                       date=timezone.now() - timedelta(days=1, hours=order))
        for name in files:
            CommitFileChange.objects.create(commit=commit, filename=name, type="M")
        ReleaseCommit.objects.create(release=current, commit=commit, order=order)
    releases.create_deploy(current, "staging", date_finished=timezone.now() - timedelta(days=1))
    releases.create_deploy(current, "production", url="https://ci.example.com/deploys/812")
    make_issue(project, "PaymentTimeout: capture took 30s", first_release=current)
    make_issue(project, "KeyError: 'coupon'", first_release=current)
    return project


def test_releases_list_and_detail(errata_server, page, screenshot, user, shop):
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/")
    page.click("nav.topnav >> text=Releases")
    page.wait_for_url("**/acme/shop/releases/")
    versions = page.locator("table.releases a.version").all_inner_texts()
    assert versions == ["shop@1.7.0-rc.1", "shop@1.6.0", "shop@1.5.0", "shop@1.4.0"]
    row = page.locator("table.releases tr", has_text="shop@1.4.0")
    assert "91.892%" in row.inner_text()  # crash-free sessions: 68 of 74
    screenshot("releases-list")

    page.click("table.releases a.version >> text=shop@1.6.0")
    page.wait_for_url("**/acme/shop/releases/shop@1.6.0/")
    assert page.locator('[data-rate="crash-free-sessions"]').inner_text() == "99.495%"
    assert page.locator('[data-rate="unhandled-free-sessions"]').inner_text() == "96.97%"
    assert page.get_by_text("Retry payment capture on timeout").is_visible()
    assert page.get_by_text("PaymentTimeout: capture took 30s").is_visible()
    screenshot("release-detail")
    page.click("text=PaymentTimeout: capture took 30s")
    page.wait_for_url("**/acme/issues/*/")
    page.click("dd >> a.version >> text=shop@1.6.0")
    page.wait_for_url("**/acme/shop/releases/shop@1.6.0/")
