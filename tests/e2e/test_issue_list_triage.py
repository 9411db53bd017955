"""Triage on the issue list in a real browser: the time range (in the URL, Back and Forward
included), selecting all matching issues beyond the page, filtering by a row's release,
environment or level with one click, and the issues' priority."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_issue
from tests.live import wait_until
from tracker.models import (
    Environment,
    Issue,
    IssueActivity,
    IssueHourlyCount,
    IssueTag,
    Priority,
    Release,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def titles(page) -> list[str]:
    return page.locator("table.issues tbody tr a.title").all_inner_texts()


def shows(page, *expected: str) -> bool:
    return sorted(titles(page)) == sorted(expected)


def query(page) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(page.url).query).items()}


def control(page, name: str) -> str:
    return page.locator(f"form.filters [name={name}]").input_value()


def row(page, title: str):
    return page.locator("table.issues tbody tr", has_text=title)


def test_the_time_range_filters_scales_sparklines_and_follows_back_and_forward(
        errata_server, page, user, project):
    now = datetime.now(UTC)
    recent = make_issue(project, "Recent", last_seen=now - timedelta(hours=2),
                        first_seen=now - timedelta(hours=2))
    make_issue(project, "Three days", last_seen=now - timedelta(days=3),
               first_seen=now - timedelta(days=3))
    make_issue(project, "Twenty days", last_seen=now - timedelta(days=20),
               first_seen=now - timedelta(days=20))
    hour = now.replace(minute=0, second=0, microsecond=0)
    IssueHourlyCount.objects.create(issue=recent, hour=hour - timedelta(hours=2), count=4)
    IssueHourlyCount.objects.create(issue=recent, hour=hour - timedelta(days=5), count=6)
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/")

    # The default is Sentry's: the last 14 days, a bar per day.
    assert control(page, "period") == "14d"
    assert shows(page, "Recent", "Three days")
    spark = row(page, "Recent").locator("svg.spark")
    assert spark.get_attribute("aria-label") == "10 events in 14 days"
    assert page.locator("table.issues thead").text_content().count("14 days") == 1

    page.select_option("select[name=period]", "24h")
    page.wait_for_url(lambda url: "period=24h" in url)
    wait_until(lambda: shows(page, "Recent"), 10)
    assert spark.get_attribute("aria-label") == "4 events in 24 hours"
    assert spark.locator("rect").count() == 1

    page.select_option("select[name=period]", "30d")
    page.wait_for_url(lambda url: "period=30d" in url)
    wait_until(lambda: shows(page, "Recent", "Three days", "Twenty days"), 10)

    # A custom range: the inputs appear when it is chosen.
    assert not page.locator("input[name=start]").is_visible()
    page.select_option("select[name=period]", "custom")
    page.locator("input[name=start]").wait_for(state="visible")
    start = (now - timedelta(days=25)).strftime("%Y-%m-%dT%H:%M")
    end = (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page.fill("input[name=start]", start)
    page.fill("input[name=end]", end)
    page.locator("input[name=end]").dispatch_event("change")
    page.wait_for_url(lambda url: query(page).get("end") == end)
    wait_until(lambda: shows(page, "Three days", "Twenty days"), 10)
    assert query(page)["start"] == start

    # Back and Forward: the controls, the URL and the rows stay in step. (Filling the
    # custom range took a step per field.)
    def travel(step, until):
        for _ in range(4):
            before = page.url
            step()
            page.wait_for_url(lambda url, before=before: url != before)
            if until(query(page)):
                return
        raise AssertionError(page.url)

    travel(page.go_back, lambda q: q.get("period") == "30d")
    wait_until(lambda: control(page, "period") == "30d", 10)
    wait_until(lambda: shows(page, "Recent", "Three days", "Twenty days"), 10)
    assert not page.locator("input[name=start]").is_visible()
    travel(page.go_back, lambda q: q.get("period") == "24h")
    wait_until(lambda: control(page, "period") == "24h", 10)
    wait_until(lambda: shows(page, "Recent"), 10)
    travel(page.go_forward, lambda q: q.get("period") == "30d")
    wait_until(lambda: control(page, "period") == "30d", 10)
    travel(page.go_forward, lambda q: q.get("end") == end)
    # The controls are restored one after another: wait for all three.
    wait_until(lambda: (control(page, "period"), control(page, "start"), control(page, "end"))
               == ("custom", start, end), 10)
    assert page.locator("input[name=start]").is_visible()
    wait_until(lambda: shows(page, "Three days", "Twenty days"), 10)

    # Nonsense is reported, not a 500.
    page.goto(errata_server + "/acme/shop/issues/?period=custom&start=" + end + "&end=" + start)
    assert "must come before its end" in page.locator("#results").inner_text()


def test_select_all_matching_acts_beyond_the_page_and_deleting_them_asks(
        errata_server, page, user, project):
    now = datetime.now(UTC)
    for i in range(30):
        make_issue(project, f"Timeout {i:02d}", last_seen=now - timedelta(minutes=i))
    make_issue(project, "Unrelated")
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/?query=Timeout")
    banner = page.locator(".select-matching")
    assert not banner.is_visible()
    page.locator("[data-check-all]").check()
    assert "All 25 issues on this page are selected" in banner.inner_text()
    page.get_by_role("button", name="Select all 30 matching issues").click()
    assert "All 30 matching issues are selected" in banner.inner_text()
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_selector("text=Resolved 30 issues.")
    assert Issue.objects.filter(status=Issue.Status.RESOLVED).count() == 30
    assert Issue.objects.get(title="Unrelated").status == Issue.Status.UNRESOLVED

    # Deleting all of them asks about all of them; dismissed, nothing is deleted.
    page.goto(errata_server + "/acme/shop/issues/?query=Timeout&status=resolved")
    page.locator("[data-check-all]").check()
    page.get_by_role("button", name="Select all 30 matching issues").click()
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    page.get_by_role("button", name="Delete", exact=True).click()
    wait_until(lambda: asked, 5)
    assert asked == ["Delete all 30 matching issues and their events?"]
    assert Issue.objects.filter(title__startswith="Timeout").count() == 30
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_selector("text=Deleted 30 issues.")
    assert not Issue.objects.filter(title__startswith="Timeout").exists()
    assert Issue.objects.filter(title="Unrelated").exists()

    # Clearing a row's box goes back to the page's selection and question.
    for i in range(26):
        make_issue(project, f"Again {i:02d}")
    page.goto(errata_server + "/acme/shop/issues/?query=Again")
    page.locator("[data-check-all]").check()
    page.get_by_role("button", name="Select all 26 matching issues").click()
    page.locator("table.issues tbody input[name=issue]").first.uncheck()
    assert not banner.is_visible()
    assert page.get_by_role("button", name="Delete", exact=True).get_attribute(
        "hx-confirm") == "Delete the selected issues and their events?"


def test_clicking_a_rows_release_environment_or_level_filters_by_it(
        errata_server, page, user, project):
    now = datetime.now(UTC)
    org = project.organization
    release = Release.objects.create(organization=org, version="shop@2.0")
    release.projects.add(project)
    Environment.objects.create(organization=org, name="staging").projects.add(project)
    checkout = make_issue(project, "Checkout failed", last_release=release)
    cart = make_issue(project, "Cart empty", level=30)
    for issue, key, value in [(checkout, "release", "shop@2.0"),
                              (checkout, "environment", "staging"),
                              (cart, "environment", "production")]:
        IssueTag.objects.create(issue=issue, key=key, value=value, times_seen=1,
                                first_seen=now, last_seen=now)
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/")

    row(page, "Checkout failed").get_by_role("link", name="shop@2.0").click()
    page.wait_for_url(lambda url: query(page).get("release") == "shop@2.0")
    assert shows(page, "Checkout failed") and control(page, "release") == "shop@2.0"

    page.goto(errata_server + "/acme/shop/issues/")
    row(page, "Cart empty").get_by_role("link", name="production").click()
    page.wait_for_url(lambda url: query(page).get("environment") == "production")
    # Not among the known environments (none was recorded): offered all the same.
    assert shows(page, "Cart empty") and control(page, "environment") == "production"

    row(page, "Cart empty").get_by_role("link", name="warning").click()
    page.wait_for_url(lambda url: query(page).get("level") == "warning")
    assert query(page)["environment"] == "production"  # filters add up
    assert shows(page, "Cart empty") and control(page, "level") == "warning"


def test_priority_is_shown_and_changed_per_row_and_in_bulk(errata_server, page, user,
                                                           project):
    make_issue(project, "Checkout failed", priority=Priority.HIGH)
    make_issue(project, "Cart empty", priority=Priority.MEDIUM)
    make_issue(project, "Slow page", priority=Priority.LOW)
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/")

    def shown(title):
        return row(page, title).locator("select.priority").input_value()

    assert [shown(t) for t in ("Checkout failed", "Cart empty", "Slow page")] == [
        "high", "medium", "low"]
    row(page, "Checkout failed").locator("select.priority").select_option("low")
    page.wait_for_selector("text=Set the priority of 1 issue to low.")
    assert Issue.objects.get(title="Checkout failed").priority == Priority.LOW
    assert IssueActivity.objects.filter(kind=IssueActivity.Kind.PRIORITY).count() == 1
    assert shown("Checkout failed") == "low"

    for title in ("Cart empty", "Slow page"):
        row(page, title).locator("input[name=issue]").check()
    page.select_option("form.bulk select[name=priority]", "high")
    page.get_by_role("button", name="Set priority").click()
    page.wait_for_selector("text=Set the priority of 2 issues to high.")
    assert shown("Cart empty") == "high" and shown("Slow page") == "high"

    # Sorted by priority: high first.
    page.select_option("select[name=sort]", "priority")
    wait_until(lambda: titles(page)[-1:] == ["Checkout failed"], 10)
