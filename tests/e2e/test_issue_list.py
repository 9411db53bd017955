"""The issue list in a real browser: deleting asks first, Back and Forward keep the filters
and the URL in step, and one search is one request (none of them a 500 in the server's log).

These tests run their own server, its log (access log included) written to a file they read.
"""

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_issue
from tests.live import running_server, wait_until
from tracker.models import DiscardedFingerprint, Handling, Issue, Level

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]

DEFAULTS = {"status": "unresolved", "sort": "last_seen", "period": "14d"}


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker, tmp_path_factory):
    """(url, log file) of a server of its own, whose log the tests can read."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    with running_server(log=log) as url:
        yield url, log


@pytest.fixture
def issues(project):
    return {
        "checkout": make_issue(project, "Checkout failed", level=Level.ERROR, times_seen=3),
        "cart": make_issue(project, "Cart empty", level=Level.ERROR, times_seen=9,
                           handling=Handling.UNHANDLED),
        "slow": make_issue(project, "Slow page", level=Level.WARNING, times_seen=5),
    }


@pytest.fixture
def on_list(server, page, user, issues):
    url, _ = server
    sign_in(page, url, user.username)
    page.goto(url + "/acme/shop/issues/")
    return page


def rows(page) -> list[str]:
    return page.locator("table.issues tbody tr a.title").all_inner_texts()


def shows(page, *titles: str) -> bool:
    return sorted(rows(page)) == sorted(titles)


def select_rows(page, *titles: str) -> None:
    for title in titles:
        page.locator("table.issues tbody tr", has_text=title).locator(
            "input[name=issue]").check()


def test_deleting_asks_first_and_dismissing_deletes_nothing(on_list, issues):
    page = on_list
    asked = []
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/issues/actions/" in r.url
            else None)

    for button, title, done in [
        ("Delete", "Checkout failed", "Deleted 1 issue."),
        ("Delete & discard", "Cart empty", "their future events will be discarded"),
    ]:
        select_rows(page, title)
        # Dismissed: no request, the issue stays.
        page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
        page.get_by_role("button", name=button, exact=True).click()
        wait_until(lambda: len(asked) % 2 == 1, 5)
        page.wait_for_timeout(300)  # a request would have been sent by now
        assert requests == []
        assert Issue.objects.filter(title=title).exists()
        assert title in rows(page)
        # Accepted: deleted.
        page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
        page.get_by_role("button", name=button, exact=True).click()
        page.wait_for_selector(f"text={done}")
        assert not Issue.objects.filter(title=title).exists()
        assert title not in rows(page)
        requests.clear()

    assert asked == [
        "Delete the selected issues and their events?",
        "Delete the selected issues and their events?",
        "Delete the selected issues and discard their future events?",
        "Delete the selected issues and discard their future events?",
    ]
    assert DiscardedFingerprint.objects.filter(title="Cart empty").exists()
    assert shows(page, "Slow page")


def test_without_javascript_deleting_asks_on_a_page(server, browser, user, issues):
    url, _ = server
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, url, user.username)
        page.goto(url + "/acme/shop/issues/?level=error")
        select_rows(page, "Checkout failed")
        page.get_by_role("button", name="Delete", exact=True).click()
        page.wait_for_selector("text=Delete the selected issues and their events?")
        assert Issue.objects.filter(title="Checkout failed").exists()
        page.get_by_role("button", name="Delete 1 issue").click()
        page.wait_for_selector("text=Deleted 1 issue.")
        assert page.url.endswith("/acme/shop/issues/?level=error")
        assert not Issue.objects.filter(title="Checkout failed").exists()
        assert shows(page, "Cart empty")
    finally:
        context.close()


def controls(page) -> dict[str, str]:
    return page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll("form.filters select, form.filters input[name=query]")]
            .map((control) => [control.name, control.value]))""")


def in_step(page) -> bool:
    """Whether every filter control shows what the URL says (its default if absent)."""
    query = parse_qs(urlsplit(page.url).query)
    shown = controls(page)
    return shown == {name: query.get(name, [DEFAULTS.get(name, "")])[0] for name in shown}


def filters(url: str) -> dict[str, str]:
    """The URL's filters that are not the defaults (htmx pushes every field of the form)."""
    query = parse_qs(urlsplit(url).query)
    return {k: v[0] for k, v in query.items() if DEFAULTS.get(k) != v[0]}


def test_back_and_forward_keep_controls_and_url_in_step(on_list):
    page = on_list
    page.select_option("select[name=level]", "error")
    page.wait_for_url(lambda url: filters(url) == {"level": "error"})
    wait_until(lambda: shows(page, "Cart empty", "Checkout failed"), 10)
    page.select_option("select[name=sort]", "events")
    page.wait_for_url(lambda url: filters(url) == {"level": "error", "sort": "events"})
    wait_until(lambda: rows(page) == ["Cart empty", "Checkout failed"], 10)
    assert in_step(page)

    page.go_back()
    page.wait_for_url(lambda url: filters(url) == {"level": "error"})
    wait_until(lambda: in_step(page), 10)
    assert controls(page)["level"] == "error" and controls(page)["sort"] == "last_seen"

    page.go_forward()
    page.wait_for_url(lambda url: filters(url) == {"level": "error", "sort": "events"})
    wait_until(lambda: in_step(page), 10)
    assert controls(page)["sort"] == "events"
    wait_until(lambda: rows(page) == ["Cart empty", "Checkout failed"], 10)

    page.go_back()
    page.wait_for_url(lambda url: filters(url) == {"level": "error"})
    wait_until(lambda: in_step(page), 10)
    # The next change keeps the filter the controls show.
    page.select_option("select[name=handling]", "unhandled")
    page.wait_for_url(lambda url: "handling=unhandled" in url)
    assert filters(page.url) == {"level": "error", "handling": "unhandled"}
    wait_until(lambda: shows(page, "Cart empty"), 10)
    assert in_step(page)


def test_one_search_is_one_request_and_no_aborted_request_is_a_500(server, on_list):
    page = on_list
    _, log = server
    sent, failed = [], []
    page.on("request", lambda r: sent.append(r.url) if r.resource_type == "xhr" else None)
    page.on("requestfailed", lambda r: failed.append(r.url))

    # Enter in the search box.
    page.fill("input[name=query]", "Checkout")
    page.press("input[name=query]", "Enter")
    page.wait_for_url(re.compile(r"query=Checkout"))
    wait_until(lambda: shows(page, "Checkout failed"), 10)
    # The Search button (the box loses focus first: a change event).
    page.fill("input[name=query]", "Cart")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"query=Cart"))
    wait_until(lambda: shows(page, "Cart empty"), 10)
    # A filter.
    page.select_option("select[name=level]", "warning")
    page.wait_for_url(re.compile(r"level=warning"))
    wait_until(lambda: rows(page) == [], 10)
    assert [parse_qs(urlsplit(u).query).get("query") for u in sent] == [
        ["Checkout"], ["Cart"], ["Cart"]]
    assert failed == []

    # Two quick changes: htmx aborts the first request (hx-sync replace), as when a user
    # changes filters faster than the server answers. The server must not call it a 500.
    for _ in range(20):
        with page.expect_response(lambda r: "level=warning" in r.url):
            page.evaluate("""() => {
                const level = document.querySelector("select[name=level]");
                for (const value of ["error", "warning"]) {
                    level.value = value;
                    level.dispatchEvent(new Event("change", {bubbles: true}));
                }
            }""")
    assert any("level=error" in url for url in failed)  # requests were aborted
    page.wait_for_timeout(1000)  # the server finishes the aborted requests and logs them
    text = log.read_text(errors="replace")
    assert "/acme/shop/issues/" in text  # the access log is there
    assert not re.search(r'" 500 |Internal Server Error|Traceback|protocol failure', text), text
