"""Finding one's way in a real browser: the navigation marks where the user is, the pager
goes forward and back and says how many issues match, empty lists say what to do next, and
the sample event leaves no made-up release or environment behind."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_issue
from tests.live import wait_until
from tracker.models import Environment, Issue, Release

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def titles(page) -> list[str]:
    return page.locator("table.issues tbody tr a.title").all_inner_texts()


def current(page) -> list[str]:
    return page.locator(".topnav a[aria-current=page]").all_inner_texts()


def test_the_navigation_marks_the_section_the_page_is_in(errata_server, page, user, project):
    make_issue(project, "Checkout failed")
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/")
    assert current(page) == ["Issues"]
    for name, path in [("Alerts", "/acme/shop/alerts/"), ("Stats", "/acme/shop/stats/"),
                       ("Settings", "/acme/shop/settings/")]:
        page.locator(".topnav").get_by_role("link", name=name).click()
        page.wait_for_url("**" + path)
        assert current(page) == [name]
    # A settings sub-page stays under Settings; the issue page under Issues.
    page.get_by_role("link", name="Client keys").click()
    page.wait_for_url("**/acme/shop/settings/keys/")
    assert current(page) == ["Settings"]
    page.locator(".topnav").get_by_role("link", name="Issues").click()
    page.get_by_role("link", name="Checkout failed").click()
    page.wait_for_url("**/acme/issues/*/")
    assert current(page) == ["Issues"]
    # The organization's pages.
    page.goto(errata_server + "/acme/projects/")
    assert current(page) == ["Projects"]
    page.locator(".topnav").get_by_role("link", name="Issues").click()
    page.wait_for_url("**/acme/issues/")
    assert current(page) == ["Issues"]


def test_the_pager_goes_forward_and_back_and_counts_the_matching_issues(
        errata_server, page, user, project):
    now = datetime.now(UTC)
    for i in range(60):
        make_issue(project, f"Issue {i:02d}", last_seen=now - timedelta(minutes=i))
    make_issue(project, "Closed", status=Issue.Status.RESOLVED)
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/")
    pager = page.locator("nav.pager")
    assert "60 issues match" in pager.inner_text()
    assert pager.get_by_role("link", name="Previous").count() == 0
    assert titles(page)[0] == "Issue 00"

    pager.get_by_role("link", name="Next").click()
    wait_until(lambda: titles(page)[:1] == ["Issue 25"], 10)
    assert "page=2" in page.url and "Page 2" in pager.inner_text()
    pager.get_by_role("link", name="Next").click()
    wait_until(lambda: titles(page) == [f"Issue {i}" for i in range(50, 60)], 10)
    assert pager.get_by_role("link", name="Next").count() == 0
    assert "60 issues match" in pager.inner_text()

    pager.get_by_role("link", name="Previous").click()
    wait_until(lambda: titles(page) == [f"Issue {i}" for i in range(25, 50)], 10)
    assert "Page 2" in pager.inner_text()
    pager.get_by_role("link", name="Previous").click()
    wait_until(lambda: titles(page) == [f"Issue {i:02d}" for i in range(25)], 10)
    assert "cursor" not in page.url and "before" not in page.url
    assert pager.get_by_role("link", name="Previous").count() == 0

    # Filters count too.
    page.fill("input[name=query]", '"Issue 1"')
    page.press("input[name=query]", "Enter")
    wait_until(lambda: "10 issues match" in pager.inner_text(), 10)


def test_empty_lists_say_what_to_do_next(errata_server, page, user, project):
    make_issue(project, "Checkout failed")
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/?level=fatal")
    empty = page.locator("td.empty")
    assert "No issues match these filters" in empty.inner_text()
    empty.get_by_role("link", name="clear all filters").click()
    page.wait_for_url("**/acme/shop/issues/")
    assert titles(page) == ["Checkout failed"]

    Issue.objects.update(status=Issue.Status.RESOLVED)
    page.reload()
    assert "Nothing left to triage" in empty.inner_text()
    empty.get_by_role("link", name="See resolved issues").click()
    page.wait_for_url("**/acme/shop/issues/?status=resolved")
    assert titles(page) == ["Checkout failed"]
    page.goto(errata_server + "/acme/shop/issues/?status=unresolved")
    page.locator("td.empty").get_by_role("link", name="send a sample event").click()
    page.wait_for_url("**/acme/shop/settings/")

    page.goto(errata_server + "/acme/shop/stats/")
    empty = page.locator("p.empty", has_text="No events in the last 30 days")
    empty.get_by_role("link", name="DSN").click()
    page.wait_for_url("**/acme/shop/settings/keys/")


def test_the_sample_event_adds_no_release_or_environment(errata_server, page, user, project):
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/settings/")
    page.get_by_role("button", name="Send a sample event").click()
    link = page.locator("#sample-status .status.ok a")
    link.wait_for(timeout=30_000)
    issue = Issue.objects.get(project=project)
    assert issue.title.startswith("KeyError")
    assert not Release.objects.exists() and not Environment.objects.exists()
    assert issue.first_release is None and issue.last_release is None
    link.click()
    page.wait_for_url(f"**/acme/issues/{issue.pk}/")
    # The list's filters offer nothing the sample made up.
    page.goto(errata_server + "/acme/shop/issues/")
    assert page.locator("select[name=release] option").all_inner_texts() == ["Any"]
    assert page.locator("select[name=environment] option").all_inner_texts() == ["Any"]
