"""Triage in a real browser: events sent by the real sentry-sdk to a live Errata, then
filtered, searched, read, resolved, ignored, merged, and deleted and discarded."""

import re
import textwrap

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_org, make_project, make_user
from tests.live import dsn_for, run_python_sdk, wait_until
from tracker.models import DiscardedFingerprint, Event, Issue

# The live server's WhiteNoise indexes STATIC_ROOT once, when it starts; collect the CSS and
# htmx at import, before any test starts that server, so the browser gets them.

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]

APP_CODE = textwrap.dedent('''
    """A tiny shop, so that stack traces have real source lines."""


    def average(values):
        total = sum(values)
        count = len(values)
        return total / count


    def checkout(cart):
        prices = [item["price"] for item in cart]
        return average(prices)


    def load_sku(cart):
        return cart["sku"]


    def apply_coupon(code):
        raise LookupError(f"unknown coupon {code}")
''')

PRODUCTION = """
    import shop_checkout
    try:
        shop_checkout.checkout([])
    except ZeroDivisionError:
        sentry_sdk.capture_exception()
    sentry_sdk.capture_message("Payment provider timeout")
    sentry_sdk.capture_message("Noisy health check failed")
"""

STAGING = """
    import shop_checkout
    sentry_sdk.capture_message("Inventory sync lagging", level="warning")
    for call in (lambda: shop_checkout.load_sku({}), lambda: shop_checkout.apply_coupon("X")):
        try:
            call()
        except Exception:
            sentry_sdk.capture_exception()
"""


def send(server, project, app_dir, body, environment):
    run_python_sdk(
        dsn_for(server, project),
        f"import sys\nsys.path.insert(0, {str(app_dir)!r})\n" + textwrap.dedent(body),
        init=f"project_root={str(app_dir)!r}, environment={environment!r}, release='shop@1.0'",
    )


def row(page, title):
    return page.locator("table.issues tbody tr", has_text=title)


def select(page, *titles):
    for title in titles:
        row(page, title).locator("input[name=issue]").check()


def test_triage_in_a_real_browser(errata_server, page, screenshot, tmp_path):
    owner = make_user("dana")
    org = make_org("Acme", owner=owner)
    project = make_project(org, "Shop", slug="shop", platform="python")
    (tmp_path / "shop_checkout.py").write_text(APP_CODE)
    send(errata_server, project, tmp_path, PRODUCTION, "production")
    send(errata_server, project, tmp_path, STAGING, "staging")
    wait_until(lambda: Event.objects.filter(project=project).count() >= 6)
    wait_until(lambda: Issue.objects.filter(project=project).count() == 6)

    # Signing in lands on the projects overview; the project opens its issue list.
    sign_in(page, errata_server, "dana")
    assert "/acme/projects/" in page.url, page.url
    page.locator("table.projects").get_by_role("link", name="Shop").click()
    page.wait_for_url("**/acme/shop/issues/")
    assert page.locator("table.issues tbody tr").count() == 6
    screenshot("issue-list")

    # Filter by environment: the list updates in place and the URL follows.
    page.select_option("select[name=environment]", "staging")
    page.wait_for_url(re.compile(r"environment=staging"))
    expect_rows(page, 3)
    # Search within it.
    page.fill("input[name=query]", "is:unresolved KeyError")
    page.press("input[name=query]", "Enter")
    page.wait_for_url(re.compile(r"query=is%3Aunresolved"))
    expect_rows(page, 1)
    assert "KeyError" in page.locator("table.issues tbody").inner_text()
    # Back to everything.
    page.goto(errata_server + "/acme/shop/issues/")

    # Open the ZeroDivisionError and read its stack trace.
    page.click("text=ZeroDivisionError: division by zero")
    page.wait_for_selector("#event")
    frames = page.locator("details.frame.in-app")
    assert frames.count() >= 2
    current = page.locator("details.frame.in-app[open] ol.source li.current").last
    assert "return total / count" in current.inner_text()
    assert "average" in page.locator("#event").inner_text()
    screenshot("issue-detail")

    # Resolve it.
    page.click("button[value=resolve]")
    page.wait_for_selector(".badge.status-resolved")
    assert Issue.objects.get(title__startswith="ZeroDivisionError").status == "resolved"

    # Bulk-ignore two issues from the list.
    page.goto(errata_server + "/acme/shop/issues/")
    select(page, "Payment provider timeout", "Inventory sync lagging")
    page.click("button[value=ignore]")
    page.wait_for_selector("text=Ignored 2 issues.")
    expect_rows(page, 3)
    assert set(Issue.objects.filter(status="ignored").values_list("title", flat=True)) == {
        "Payment provider timeout", "Inventory sync lagging"}

    # Merge two issues.
    select(page, "KeyError", "LookupError")
    page.click("button[value=merge]")
    page.wait_for_selector("text=Merged 1 issue into")  # two chosen, one merged into the other
    expect_rows(page, 2)
    assert Issue.objects.filter(status="merged").count() == 1

    # Delete and discard one; a new event like it is then discarded.
    page.on("dialog", lambda dialog: dialog.accept())
    select(page, "Noisy health check failed")
    page.click("button[value=discard]")
    page.wait_for_selector("text=their future events will be discarded")
    expect_rows(page, 1)
    fingerprint = DiscardedFingerprint.objects.get(title="Noisy health check failed")
    assert fingerprint.times_seen == 0
    run_python_sdk(dsn_for(errata_server, project),
                   'sentry_sdk.capture_message("Noisy health check failed")',
                   init="environment='production'")
    wait_until(lambda: DiscardedFingerprint.objects.get(pk=fingerprint.pk).times_seen == 1)
    assert not Issue.objects.filter(title="Noisy health check failed").exists()


def expect_rows(page, n):
    locator = page.locator("table.issues tbody tr:has(input[name=issue])")
    wait_until(lambda: locator.count() == n, timeout=10)
