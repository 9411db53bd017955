"""In Chromium: a rule made on the project's alert page and one made in the admin both fire
for events the real sentry-sdk sends."""

import pytest

from tests.alerts.helpers import hook, make_rule, only_rules
from tests.e2e.conftest import sign_in
from tests.live import dsn_for, run_python_sdk, wait_until
from tracker.alerts.models import AlertRule, Notification

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


@pytest.fixture
def staff(user):
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def create_on_the_project_page(page, base: str, hook_url: str) -> None:
    page.goto(base + "/acme/shop/alerts/")
    page.click("text=New rule")
    page.fill("#id_name", "Payments from the page")
    page.select_option("#id_frequency", label="5 minutes")
    page.select_option("#id_conditions-0-kind", "every_event")
    page.click("button[name=add][value=filters]")  # htmx swaps the form with one more row
    # The new row's kind swaps its fields (htmx) once htmx has processed the row.
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    page.select_option("#id_filters-0-kind", "tag")
    page.fill("#id_filters-0-key", "domain")
    page.fill("#id_filters-0-value", "payments")
    page.select_option("#id_actions-0-kind", "webhook")
    page.fill("#id_actions-0-url", hook_url)
    page.click("text=Save rule")
    page.wait_for_url(base + "/acme/shop/alerts/")
    assert "Payments from the page" in page.inner_text("table")


def create_in_the_admin(page, base: str, project, hook_url: str) -> None:
    page.goto(base + "/admin/alerts/alertrule/add/")
    page.fill("#id_project", str(project.pk))
    page.fill("#id_name", "New issues from the admin")
    page.select_option("#id_frequency", label="5 minutes")
    page.select_option("#id_conditions-0-kind", "first_seen")
    page.select_option("#id_actions-0-kind", "webhook")
    page.fill("#id_actions-0-url", hook_url)
    page.click("input[name=_save]")
    page.wait_for_url(base + "/admin/alerts/alertrule/")
    assert "was added successfully" in page.inner_text("body")


def shows(page, selector: str, text: str, count: int) -> bool:
    """Whether the page shows `count` such elements; if not, reload it for the next look."""
    if page.locator(selector, has_text=text).count() >= count:
        return True
    page.reload()
    return False


def test_rules_made_in_the_browser_fire(errata_server, page, screenshot, project, staff,
                                        webhooks):
    sign_in(page, errata_server, staff.username)
    create_on_the_project_page(page, errata_server, webhooks.url + "/page")
    screenshot("alerts-list")
    create_in_the_admin(page, errata_server, project, webhooks.url + "/admin")
    assert AlertRule.objects.filter(project=project).count() == 5

    run_python_sdk(dsn_for(errata_server, project), """
        sentry_sdk.capture_message("Signup form broken")
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("domain", "payments")
            sentry_sdk.capture_message("Card declined")
    """)
    wait_until(lambda: len(webhooks.requests) >= 3)
    titles = sorted((r.path, r.json["issue"]["title"]) for r in webhooks.requests)
    assert titles == [("/admin", "Card declined"), ("/admin", "Signup form broken"),
                      ("/page", "Card declined")]

    # The firing log shows what was delivered, and a test notification can be sent.
    page.goto(errata_server + "/acme/shop/alerts/log/")
    wait_until(lambda: shows(page, ".alerts-sent", "webhook", 3), 15, 0.5)
    screenshot("alerts-log")
    page.goto(errata_server + "/acme/shop/alerts/")
    page.click("text=Payments from the page")
    page.click('button:has-text("Send a test notification")')
    # With htmx the result appears beside the button, without it after a redirect: either
    # way the page ends up showing it sent.
    wait_until(lambda: shows(page, ".alerts-sent", "test", 1), 15, 0.5)
    assert webhooks.to("/page")[-1].json["test"] is True

    # Disabling a rule on the list page stops it.
    page.goto(errata_server + "/acme/shop/alerts/")
    row = page.locator("tr", has_text="Payments from the page")
    row.get_by_role("button", name="Disable", exact=True).click()
    row.get_by_role("button", name="Enable", exact=True).wait_for()
    assert not AlertRule.objects.get(name="Payments from the page").enabled


def test_a_test_notification_can_be_sent_again_without_reloading(errata_server, page, project,
                                                                 user, webhooks):
    only_rules(project)
    rule = make_rule(project, "Hooks", actions=[hook(webhooks, "/again")])
    action = rule.actions.get()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    sign_in(page, errata_server, user.username)
    page.goto(f"{errata_server}/acme/shop/alerts/{rule.pk}/")
    result = f"#test-result-{action.pk}"
    for sent in (1, 2):
        page.get_by_role("button", name="Send a test notification").click()
        wait_until(lambda n=sent: Notification.objects.filter(rule=rule).count() == n, 10)
        notification = Notification.objects.filter(rule=rule).latest("pk")
        # The status beside the button follows this notification until it is sent.
        page.wait_for_selector(f"{result} #notification-{notification.pk}.alerts-sent")
        assert len(webhooks.to("/again")) == sent
    assert [r.json["test"] for r in webhooks.to("/again")] == [True, True]
    assert not [e for e in errors if "htmx" in e.lower()], errors
