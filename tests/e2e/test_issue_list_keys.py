"""The issue list from the keyboard (j/k, Enter, r/i/a; never while typing) and new issues
appearing without a reload while the tab is visible, and not while it is hidden."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_issue
from tests.live import running_server, wait_until
from tracker.models import Issue

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


@pytest.fixture(scope="module")
def quick_server(django_db_setup, django_db_blocker):
    """A server whose lists look for new issues every second."""
    with running_server(ISSUE_LIST_REFRESH_SECONDS="1") as url:
        yield url


def titles(page) -> list[str]:
    return page.locator("table.issues tbody tr a.title").all_inner_texts()


def marked(page) -> list[str]:
    return page.locator("table.issues tr.focused a.title").all_inner_texts()


def test_keyboard_moves_opens_resolves_ignores_and_assigns(errata_server, page, user,
                                                          project):
    now = datetime.now(UTC)
    for i, title in enumerate(["First", "Second", "Third", "Fourth"]):
        make_issue(project, title, last_seen=now - timedelta(minutes=i))
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/issues/")

    page.keyboard.press("j")
    assert marked(page) == ["First"]
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert marked(page) == ["Second"]
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/acme/issues/{Issue.objects.get(title='Second').pk}/")
    page.go_back()
    page.wait_for_url("**/acme/shop/issues/")

    # Typing in the search box is typing, not a shortcut.
    page.click("input[name=query]")
    page.keyboard.type("jr")
    assert marked(page) == [] and page.locator("input[name=query]").input_value() == "jr"
    page.fill("input[name=query]", "")
    page.locator("h1").click()

    page.keyboard.press("j")
    page.keyboard.press("r")
    page.wait_for_selector("text=Resolved 1 issue.")
    assert Issue.objects.get(title="First").status == Issue.Status.RESOLVED
    wait_until(lambda: titles(page) == ["Second", "Third", "Fourth"], 10)

    page.keyboard.press("j")
    assert marked(page) == ["Second"]
    page.keyboard.press("i")
    page.wait_for_selector("text=Ignored 1 issue.")
    assert Issue.objects.get(title="Second").status == Issue.Status.IGNORED

    page.keyboard.press("j")
    wait_until(lambda: len(marked(page)) == 1, 10)
    chosen = marked(page)[0]  # the rows are swapped after the action: remember which
    page.keyboard.press("a")
    page.wait_for_selector("text=Assigned 1 issue.")
    assert Issue.objects.get(title=chosen).assignee == user
    # Checked issues win over the marked one.
    page.locator("table.issues tbody tr", has_text="Fourth").locator(
        "input[name=issue]").check()
    page.locator("h1").click()
    page.keyboard.press("r")
    page.wait_for_selector("text=Resolved 1 issue.")
    assert Issue.objects.get(title="Fourth").status == Issue.Status.RESOLVED


def test_new_issues_appear_while_visible_and_not_while_hidden(quick_server, page, user,
                                                             project):
    make_issue(project, "Old news")
    sign_in(page, quick_server, user.username)
    page.goto(quick_server + "/acme/shop/issues/")
    assert page.locator("#results").get_attribute("data-poll") == "1"
    make_issue(project, "Fresh")
    wait_until(lambda: "Fresh" in titles(page), 15)

    polls = []
    page.on("request", lambda r: polls.append(r.url) if "/acme/shop/issues/" in r.url
            and r.resource_type in ("xhr", "fetch") else None)
    page.evaluate("""() => {
        Object.defineProperty(document, "visibilityState", {value: "hidden", configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    polls.clear()
    make_issue(project, "While away")
    page.wait_for_timeout(3000)  # three refresh periods
    assert polls == [] and "While away" not in titles(page)

    page.evaluate("""() => {
        Object.defineProperty(document, "visibilityState", {value: "visible", configurable: true});
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    wait_until(lambda: "While away" in titles(page), 15)
    assert polls

    # A checked row is not swapped away from under the user.
    box = page.locator("table.issues tbody tr", has_text="Old news").locator("input[name=issue]")
    box.check()
    make_issue(project, "Not yet")
    page.wait_for_timeout(2500)
    assert "Not yet" not in titles(page) and box.is_checked()
    box.uncheck()
    wait_until(lambda: "Not yet" in titles(page), 15)
