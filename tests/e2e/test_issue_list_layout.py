"""The issue list's layout in a real browser: no horizontal scroll on a phone, dark mode
following the system setting, times in the browser's time zone; and its screenshots
(desktop, phone, dark) saved under tests/e2e/artifacts/."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.factories import make_issue
from tracker.models import Handling, IssueHourlyCount, IssueTag, Level, Release

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


@pytest.fixture
def issues(project, user):
    now = datetime.now(UTC)
    release = Release.objects.create(organization=project.organization,
                                     version="shop@2026.12.07-4f2a9c1d")
    rows = [
        ("ZeroDivisionError: division by zero", "shop.checkout in average", Level.ERROR,
         Handling.UNHANDLED, 1520),
        ("KeyError: 'a_remarkably_long_dictionary_key_that_a_phone_must_wrap_somehow_"
         "without_scrolling_sideways'", "shop.pricing.tax_rates_for_every_country_we_ship_to "
         "in cart_total", Level.ERROR, Handling.HANDLED, 87),
        ("Inventory sync lagging", "jobs.inventory in sync", Level.WARNING, Handling.HANDLED, 12),
        ("Payment provider timeout", "payments.client in charge", Level.FATAL, Handling.CRASH, 3),
    ]
    made = []
    for i, (title, culprit, level, handling, times) in enumerate(rows):
        issue = make_issue(project, title, culprit=culprit, level=level, handling=handling,
                           times_seen=times, users_seen=times // 3, last_release=release,
                           last_seen=now - timedelta(minutes=7 * i),
                           first_seen=now - timedelta(days=i + 1),
                           assignee=user if i == 0 else None)
        IssueTag.objects.create(issue=issue, key="environment", value="production",
                                times_seen=times, first_seen=now, last_seen=now)
        for day in range(14):
            IssueHourlyCount.objects.create(issue=issue, hour=(now - timedelta(days=day)).replace(
                minute=0, second=0, microsecond=0), count=(day * 7 + i * 3) % 11 + 1)
        made.append(issue)
    return made


def open_list(browser, url, user, **context_options):
    context = browser.new_context(**{"viewport": {"width": 1360, "height": 900},
                                     **context_options})
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, url, user.username)
    page.goto(url + "/acme/shop/issues/")
    return context, page


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("""() => {
        const root = document.documentElement;
        return root.scrollWidth <= root.clientWidth
            && document.body.scrollWidth <= root.clientWidth;
    }""")


@pytest.mark.parametrize("width", [390, 360])
def test_the_list_fits_a_phone_without_horizontal_scroll(errata_server, browser, user, issues,
                                                         width):
    context, page = open_list(browser, errata_server, user,
                              viewport={"width": width, "height": 844}, is_mobile=True,
                              has_touch=True)
    try:
        assert page.locator("table.issues tbody tr").count() == 4
        assert no_horizontal_scroll(page)
        # The Select-all banner, the custom range and the saved-search form fit too.
        page.locator("[data-check-all]").check()
        page.select_option("select[name=period]", "custom")
        page.get_by_text("Save this search").click()
        assert no_horizontal_scroll(page)
        page.goto(errata_server + "/acme/shop/issues/")
        if width == 390:
            shot(page, "issue_list_phone")
        # The navigation is still there, and works.
        page.locator(".topnav").get_by_role("link", name="Stats").click()
        page.wait_for_url("**/acme/shop/stats/")
    finally:
        context.close()


def test_dark_mode_follows_the_system_setting(errata_server, browser, user, issues):
    light, page = open_list(browser, errata_server, user, color_scheme="light")
    try:
        shot(page, "issue_list_desktop")
        light_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        light_rows = page.evaluate(
            "getComputedStyle(document.querySelector('form.bulk')).backgroundColor")
    finally:
        light.close()
    dark, page = open_list(browser, errata_server, user, color_scheme="dark")
    try:
        shot(page, "issue_list_dark")
        dark_bg = page.evaluate("getComputedStyle(document.body).backgroundColor")
        dark_rows = page.evaluate(
            "getComputedStyle(document.querySelector('form.bulk')).backgroundColor")
        text = page.evaluate(
            "getComputedStyle(document.querySelector('a.title')).color")
    finally:
        dark.close()
    assert light_bg == "rgb(248, 249, 251)" and light_rows == "rgb(255, 255, 255)"
    assert dark_bg == "rgb(18, 21, 28)" and dark_rows == "rgb(26, 30, 39)"
    assert text == "rgb(230, 232, 238)"


def test_times_are_shown_in_the_browsers_time_zone(errata_server, browser, user, issues):
    context, page = open_list(browser, errata_server, user, timezone_id="Asia/Tokyo")
    try:
        # The first page told the server the zone (a cookie); the next ones use it.
        assert {"name": "tz", "value": "Asia/Tokyo"}.items() <= next(
            c for c in context.cookies() if c["name"] == "tz").items()
        page.reload()
        first = page.locator("table.issues tbody tr").first.locator("time").first
        assert first.get_attribute("datetime").endswith("+09:00")
        title = first.get_attribute("title")
        local = issues[0].last_seen.astimezone(
            __import__("zoneinfo").ZoneInfo("Asia/Tokyo"))
        assert title == local.strftime("%Y-%m-%d %H:%M:%S JST")
        first.hover()
        assert first.inner_text() in ("just now", "1m ago", "2m ago")
    finally:
        context.close()

    context, page = open_list(browser, errata_server, user, timezone_id="UTC")
    try:
        page.reload()
        first = page.locator("table.issues tbody tr").first.locator("time").first
        assert first.get_attribute("title").endswith(" UTC")
    finally:
        context.close()
