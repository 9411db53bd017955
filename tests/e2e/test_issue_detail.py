"""The issue page in a real browser, on events the real sentry-sdk sent: the stack trace
controls, copying, the recent events table following the event shown, exception groups,
data cards, merging a similar issue and unmerging it (each asks first), release links, the
phone layout and the screenshots."""

import textwrap

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import make_org, make_project, make_user
from tests.live import dsn_for, run_python_sdk, wait_until
from tracker.models import Event, Issue

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]

APP_CODE = textwrap.dedent('''
    def average(values):
        return sum(values) / len(values)


    def web_checkout(cart):
        return average([item["price"] for item in cart])


    def cli_checkout(cart):
        prices = [item["price"] for item in cart]
        return average(prices)


    def import_all(rows):
        errors = []
        for row in rows:
            try:
                int(row)
            except ValueError as error:
                errors.append(error)
        raise ExceptionGroup("import failed", errors)
''')

EVENTS = """
    import shop
    sentry_sdk.set_extra("cart_size", 0)
    sentry_sdk.set_extra("order", {"id": 17, "note": "<b>rush</b>"})
    sentry_sdk.set_context("checkout", {"step": "payment", "attempt": 2})
    for _ in range(2):
        try:
            shop.web_checkout([])
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
    try:
        shop.cli_checkout([])
    except ZeroDivisionError:
        sentry_sdk.capture_exception()
    try:
        shop.import_all(["1", "x", "y"])
    except ExceptionGroup:
        sentry_sdk.capture_exception()
"""


@pytest.fixture
def shop(errata_server, tmp_path):
    owner = make_user("dana")
    org = make_org("Acme", owner=owner)
    project = make_project(org, "Shop", slug="shop", platform="python")
    (tmp_path / "shop.py").write_text(APP_CODE)
    run_python_sdk(
        dsn_for(errata_server, project),
        f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n" + textwrap.dedent(EVENTS),
        init=f"project_root={str(tmp_path)!r}, environment='production', release='shop@2.1'",
    )
    wait_until(lambda: Event.objects.filter(project=project).count() == 4)
    return project


@pytest.fixture
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1360, "height": 900},
                                  permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def web_issue(project) -> Issue:
    # The issue with two events: the web path (the cli path is its look-alike).
    return max(Issue.objects.filter(project=project, title__startswith="ZeroDivisionError"),
               key=lambda i: i.times_seen)


def open_issue(page, server, issue):
    sign_in(page, server, "dana")
    page.goto(f"{server}/acme/issues/{issue.pk}/")
    page.wait_for_selector("#event")


def clipboard(page) -> str:
    return page.evaluate("navigator.clipboard.readText()")


def test_stack_trace_controls_and_copying(errata_server, shop, browser_page):
    page, issue = browser_page, web_issue(shop)
    open_issue(page, errata_server, issue)
    assert page.locator("details.frame.system").count() >= 1  # the SDK's caller: <string>

    page.get_by_role("link", name="App frames only").click()
    page.wait_for_url("**frames=app")
    assert page.locator("details.frame.system").count() == 0
    assert page.locator("details.frame.in-app").count() == 2

    page.get_by_role("link", name="Newest call first").click()
    page.wait_for_url("**order=newest")
    first = page.locator("details.frame").first
    assert "average" in first.locator("summary").inner_text()

    page.get_by_role("link", name="Raw text").click()
    page.wait_for_url("**view=raw")
    raw = page.locator("pre#raw-trace").inner_text()
    assert raw.startswith("ZeroDivisionError: division by zero\nTraceback (most recent call "
                          "first):\n")
    assert "in average" in raw and "in web_checkout" in raw and "<string>" not in raw
    page.locator("[data-copy-from='#raw-trace']").click()
    wait_until(lambda: clipboard(page) == raw, timeout=10)

    # The choice survives moving to another event.
    page.locator(".event-nav a[rel=prev]").click()
    page.wait_for_url("**/events/*/?frames=app&order=newest&view=raw")
    assert page.locator("pre#raw-trace").inner_text() == raw

    # The short id and the permalink copy as they are.
    page.locator("[data-copy]").first.click()
    wait_until(lambda: clipboard(page) == issue.qualified_short_id, timeout=10)
    page.locator("[data-copy-url]").click()
    wait_until(lambda: clipboard(page) == f"{errata_server}/acme/issues/{issue.pk}/",
               timeout=10)


def test_recent_events_follow_the_event_shown(errata_server, shop, browser_page):
    page, issue = browser_page, web_issue(shop)
    open_issue(page, errata_server, issue)
    newest, oldest = Event.objects.filter(issue=issue).order_by("-timestamp", "-pk")
    current = page.locator("#recent-events a[aria-current]")
    assert current.inner_text() == newest.event_id.hex[:12]
    page.locator("#recent-events").get_by_role("link", name=oldest.event_id.hex[:12]).click()
    page.wait_for_url(f"**/events/{oldest.event_id.hex}/")
    wait_until(lambda: current.inner_text() == oldest.event_id.hex[:12], timeout=10)
    assert current.count() == 1
    assert oldest.event_id.hex[:12] in page.locator("#event .event-head").inner_text()
    # Back shows the newest again, the table in step.
    page.go_back()
    wait_until(lambda: current.inner_text() == newest.event_id.hex[:12], timeout=10)


def test_exception_group_tree_and_data_cards(errata_server, shop, browser_page):
    page = browser_page
    group = Issue.objects.get(project=shop, title__contains="import failed")
    open_issue(page, errata_server, group)
    tree = page.locator(".exception.exception-group")
    assert "ExceptionGroup" in tree.locator(".exc-head").first.inner_text()
    members = tree.locator("ol.group-members > li")
    assert members.count() == 2
    for i in range(2):
        member = members.nth(i)
        assert "ValueError" in member.locator(".exc-type").inner_text()
        assert member.locator("ol.frames > li").count() >= 1  # each member has its stack
    extra = page.locator(".data-cards.extra")
    assert "cart_size" in extra.inner_text()
    order = extra.locator(".data-card", has_text="order")
    assert "<b>rush</b>" in order.inner_text()  # shown as text, never as markup
    assert order.locator("b").count() == 0
    checkout = page.locator(".data-cards.contexts .data-card", has_text="checkout")
    assert "payment" in checkout.inner_text()
    # The raw text keeps the tree: members indented under the group.
    page.get_by_role("link", name="Raw text").click()
    raw = page.locator("pre#raw-trace").inner_text()
    assert "  [member 1 of 2]" in raw and "  ValueError: invalid literal" in raw


def test_merge_a_similar_issue_then_unmerge_it(errata_server, shop, browser_page):
    page, issue = browser_page, web_issue(shop)
    look_alike = Issue.objects.exclude(pk=issue.pk).get(
        project=shop, title__startswith="ZeroDivisionError")
    open_issue(page, errata_server, issue)
    similar = page.locator("#similar")
    similar.locator(".shortid", has_text=look_alike.qualified_short_id).wait_for()
    assert page.locator("#similar li").count() == 1  # not the exception group

    similar.get_by_text("Merge…").click()
    assert Issue.objects.get(pk=look_alike.pk).status == "unresolved"  # asked, not done
    similar.get_by_role("button", name="Merge").click()
    page.get_by_text(f"Merged 1 issue into {issue.qualified_short_id}.").wait_for()
    assert Issue.objects.get(pk=look_alike.pk).merged_into_id == issue.pk

    merged = page.locator("#merged-issues")
    assert look_alike.qualified_short_id in merged.inner_text()
    assert page.locator("#recent-events tbody tr").count() == 3  # its event shows here
    merged.get_by_text("Unmerge…").click()
    assert Issue.objects.get(pk=look_alike.pk).status == "merged"  # asked, not done
    merged.get_by_role("button", name="Unmerge").click()
    page.get_by_text(f"Unmerged {look_alike.qualified_short_id}.").wait_for()
    assert Issue.objects.get(pk=look_alike.pk).status == "unresolved"
    assert page.locator("#merged-issues").count() == 0
    assert page.url.endswith(f"/acme/issues/{issue.pk}/")


def test_release_link_opens_the_release_issues(errata_server, shop, browser_page):
    page, issue = browser_page, web_issue(shop)
    open_issue(page, errata_server, issue)
    page.locator("dl.facts a.release").first.click()
    page.wait_for_url("**/acme/shop/issues/?status=all&release=shop%402.1")
    assert page.locator("table.issues tbody tr:has(input[name=issue])").count() == 3


LONG_LINE = """
    import shop
    sentry_sdk.set_tag("a_rather_long_tag_name_for_a_phone", "x" * 120)
    sentry_sdk.set_extra("query", "SELECT " + ", ".join(f"column_{i}" for i in range(60)))
    try:
        shop.web_checkout([{"price": 1, "note": "y" * 300}, {}])
    except KeyError:
        sentry_sdk.capture_exception()
"""


def overflow(page) -> dict:
    """How far the page is wider than the viewport, and the widest elements if so."""
    return page.evaluate("""() => {
        const root = document.documentElement;
        const wide = [...document.querySelectorAll("body *")]
            .filter(e => e.getBoundingClientRect().right > root.clientWidth + 1)
            .slice(0, 8).map(e => e.tagName + "." + e.className + "#" + e.id);
        return {scroll: root.scrollWidth, client: root.clientWidth, wide};
    }""")


def test_phone_layout_and_screenshots(errata_server, shop, browser, tmp_path):
    (tmp_path / "shop.py").write_text(APP_CODE)
    run_python_sdk(
        dsn_for(errata_server, shop),
        f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n" + textwrap.dedent(LONG_LINE),
        init="environment='production-eu-west-with-a-long-name', release='shop@2.1'",
    )
    wait_until(lambda: Issue.objects.filter(project=shop, title__startswith="KeyError").exists())
    issues = [web_issue(shop), Issue.objects.get(project=shop, title__startswith="KeyError"),
              Issue.objects.get(project=shop, title__contains="import failed")]
    ARTIFACTS.mkdir(exist_ok=True)
    for name, options in (
        ("desktop", {"viewport": {"width": 1360, "height": 900}}),
        ("phone", {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2,
                   "is_mobile": True, "has_touch": True}),
        ("dark", {"viewport": {"width": 1360, "height": 900}, "color_scheme": "dark"}),
    ):
        context = browser.new_context(**options)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, errata_server, "dana")
        for issue in issues:
            for query in ("", "?view=raw"):
                page.goto(f"{errata_server}/acme/issues/{issue.pk}/{query}")
                page.locator("#similar h2").wait_for()
                if name == "phone":
                    found = overflow(page)
                    assert found["scroll"] <= found["client"], (issue.title, query, found)
        page.goto(f"{errata_server}/acme/issues/{issues[0].pk}/")
        page.locator("#similar h2").wait_for()
        page.screenshot(path=str(ARTIFACTS / f"issue-detail-{name}.png"), full_page=True)
        context.close()
