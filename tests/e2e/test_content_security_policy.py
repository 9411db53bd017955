"""The pages keep to their Content-Security-Policy in a real browser.

Every browser test fails on a violation (the `page` fixture); this one walks every kind of page,
with the behaviour that used to be inline (copy, select-on-focus, select-all, a confirm before
deleting, the tag bars), and proves the detector itself reports a refused inline script.
"""

import pytest

from tests.e2e.conftest import is_csp_violation, sign_in
from tests.factories import make_org, make_project, make_user
from tests.live import dsn_for, run_python_sdk, wait_until
from tracker.alerts.models import AlertRule
from tracker.models import Event

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def test_the_policy_header_forbids_inline_script(errata_server, client):
    response = client.get("/login/")
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_every_page_keeps_to_the_policy(errata_server, page, csp_violations):
    owner = make_user("dana")
    org = make_org("Acme", owner=owner)
    project = make_project(org, "Shop", slug="shop", platform="python")
    make_project(org, "Empty", slug="empty", platform="python")  # its issue list onboards
    run_python_sdk(dsn_for(errata_server, project), """
        sentry_sdk.set_tag("region", "eu")
        try:
            1 / 0
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
    """)
    event = wait_until(lambda: Event.objects.filter(project=project).first())
    issue = event.issue

    sign_in(page, errata_server, "dana")
    pages = [
        "/", "/acme/projects/", "/acme/issues/", "/acme/shop/issues/", "/acme/empty/issues/",
        f"/acme/issues/{issue.pk}/", f"/acme/issues/{issue.pk}/events/",
        f"/acme/issues/{issue.pk}/events/{event.event_id.hex}/",
        "/acme/shop/settings/", "/acme/shop/settings/keys/", "/acme/shop/settings/grouping/",
        "/acme/shop/settings/discarded/", "/acme/shop/stats/", "/acme/shop/alerts/",
        "/acme/shop/alerts/new/", "/acme/shop/alerts/log/", "/acme/projects/new/",
        "/organizations/new/", "/acme/no-such-page/",
    ]
    for path in pages:
        page.goto(errata_server + path)
        page.wait_for_load_state("load")
        assert not csp_violations, (path, csp_violations)

    # The tag bars get their width from static/js/errata.js, not an inline style.
    page.goto(errata_server + f"/acme/issues/{issue.pk}/")
    bar = page.locator(".tag-value .bar").first
    assert bar.get_attribute("data-percent") == "100"
    assert bar.evaluate("b => b.style.width") == "100%"

    # A DSN field selects itself when focused; the onboarding page's copy button shows.
    page.goto(errata_server + "/acme/shop/settings/keys/")
    page.locator("input[data-select-on-focus]").first.focus()
    assert page.evaluate("() => document.activeElement.selectionEnd") > 10
    page.goto(errata_server + "/acme/empty/issues/")
    assert page.locator("button[data-copy]").is_visible()

    # "Select all" checks the rows.
    page.goto(errata_server + "/acme/shop/issues/")
    page.locator("[data-check-all]").check()
    assert page.locator("input[name=issue]").first.is_checked()
    assert not csp_violations, csp_violations

    # Deleting an alert rule asks first (a data-confirm, no inline handler): dismissed, the
    # rule stays; accepted, it goes.
    rule = AlertRule.objects.filter(project=project).first()
    page.goto(errata_server + f"/acme/shop/alerts/{rule.pk}/")
    page.click("text=Delete this rule…")  # opens the confirmation; nothing deleted yet
    assert AlertRule.objects.filter(pk=rule.pk).exists()
    page.click("details.confirm[open] button:has-text('Delete')")
    page.wait_for_url("**/acme/shop/alerts/")
    assert not AlertRule.objects.filter(pk=rule.pk).exists()

    # The detector works: an inline script added to a page is refused and reported.
    with page.expect_console_message(is_csp_violation):
        page.evaluate("""() => {
            const s = document.createElement("script");
            s.textContent = "window.ran = true";
            document.body.appendChild(s);
        }""")
    assert page.evaluate("() => window.ran") is None
    assert "script-src" in csp_violations[0]
    csp_violations.clear()  # the violation was this test's doing
