"""The alert-rule editor in Chromium: rows show the fields of the kind chosen (htmx swaps
them), the preview replays the last 24 hours of events the real sentry-sdk sent, its issues
open, and the rule saved fires."""

import pytest

from tests.alerts.helpers import only_rules
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.live import dsn_for, run_python_sdk, wait_until
from tracker.alerts.models import AlertRule
from tracker.models import Event

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def settled(page) -> None:
    """Wait until htmx has answered and processed what it swapped in: a select swapped in
    reacts to changes only once htmx has settled it, as a user's next click would find it."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")


def fields(page, row: str) -> set[str]:
    names = page.locator(f"#{row}-fields [name]").evaluate_all("els => els.map(e => e.name)")
    return {name.rsplit("-", 1)[1] for name in names}


def test_the_editor_shows_what_each_kind_needs(errata_server, page, user, project, webhooks):
    only_rules(project)
    run_python_sdk(dsn_for(errata_server, project), """
        sentry_sdk.capture_message("Signup form broken")
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("domain", "payments")
            sentry_sdk.capture_message("Card declined")
    """)
    wait_until(lambda: Event.objects.filter(project=project).count() == 2)
    sign_in(page, errata_server, user.username)
    page.goto(errata_server + "/acme/shop/alerts/")
    page.click("text=New rule")
    assert "---------" not in page.content()
    assert fields(page, "conditions-0") == set()

    page.select_option("#id_conditions-0-kind", "event_frequency")
    page.locator("#id_conditions-0-value").wait_for()
    settled(page)
    assert fields(page, "conditions-0") == {"value", "interval"}
    assert "Counts the issue's events" in page.locator("#conditions-0").inner_text()
    page.select_option("#id_conditions-0-kind", "every_event")
    page.locator("#id_conditions-0-value").wait_for(state="detached")
    settled(page)

    page.click("button[name=add][value=filters]")
    settled(page)
    page.select_option("#id_filters-0-kind", "tag")
    page.fill("#id_filters-0-key", "domain")
    settled(page)
    assert fields(page, "filters-0") == {"key", "match", "value"}
    page.select_option("#id_filters-0-match", "is_set")
    page.locator("#id_filters-0-value").wait_for(state="detached")
    settled(page)
    assert page.input_value("#id_filters-0-key") == "domain"  # kept across the swap

    page.select_option("#id_actions-0-kind", "webhook")
    page.fill("#id_actions-0-url", webhooks.url + "/editor")
    settled(page)
    assert fields(page, "actions-0") == {"url", "secret"}
    page.fill("#id_name", "Payments")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    preview.wait_for()
    assert "would have fired 1 time for 1 issue" in preview.inner_text()
    assert "Signup form broken" not in preview.inner_text()
    assert not AlertRule.objects.exists()

    page.get_by_role("button", name="Save rule").click()
    page.wait_for_url(errata_server + "/acme/shop/alerts/")
    rule = AlertRule.objects.get(name="Payments")
    assert [str(f) for f in rule.filters.all()] == ["tag domain is set"]

    # The saved rule previews the same, and the issues it names open.
    page.get_by_role("link", name="Payments").click()
    page.get_by_role("button", name="Preview").click()
    page.locator("#preview").get_by_role("link", name="Card declined").click()
    page.get_by_role("heading", name="Card declined").wait_for()
    run_python_sdk(dsn_for(errata_server, project), """
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("domain", "payments")
            sentry_sdk.capture_message("Refund failed")
    """)
    wait_until(lambda: webhooks.to("/editor"))
    assert webhooks.to("/editor")[0].json["issue"]["title"] == "Refund failed"


def test_deleting_a_rule_asks_first(errata_server, page, user, project):
    rule = AlertRule.objects.filter(project=project).first()
    sign_in(page, errata_server, user.username)
    page.goto(f"{errata_server}/acme/shop/alerts/{rule.pk}/")
    page.get_by_text("Delete this rule…").click()
    assert AlertRule.objects.filter(pk=rule.pk).exists()
    page.get_by_role("button", name="Delete", exact=True).click()
    page.wait_for_url(errata_server + "/acme/shop/alerts/")
    assert not AlertRule.objects.filter(pk=rule.pk).exists()


def test_editor_screenshots(errata_server, browser, user, project):
    """The editor with every section filled and a preview: desktop, phone and dark."""
    run_python_sdk(dsn_for(errata_server, project), """
        sentry_sdk.capture_message("Disk on fire", level="fatal")
    """)
    wait_until(lambda: Event.objects.filter(project=project).exists())
    rule = AlertRule.objects.get(project=project, name="Critical error")
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
        sign_in(page, errata_server, user.username)
        page.goto(f"{errata_server}/acme/shop/alerts/{rule.pk}/")
        page.get_by_role("button", name="Preview").click()
        page.locator("#preview").get_by_text("Disk on fire").wait_for()
        if name == "phone":
            width = page.evaluate("[document.documentElement.scrollWidth, "
                                  "document.documentElement.clientWidth]")
            assert width[0] <= width[1], width
        page.screenshot(path=str(ARTIFACTS / f"rule-editor-{name}.png"), full_page=True)
        context.close()
