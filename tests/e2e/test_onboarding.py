"""A team sets itself up in a real browser: a new organization, a new project, its onboarding
page with the DSN, then an event from the real sentry-sdk turns the waiting state into a link
to the issue."""

import pytest
from django.core.management import call_command

from tests.e2e.conftest import sign_in
from tests.factories import make_user
from tests.live import run_python_sdk
from tracker.models import Issue, Project

# The live server's WhiteNoise indexes STATIC_ROOT when it starts: collect the CSS and htmx
# before any test starts it (htmx does the polling checked here).
call_command("collectstatic", interactive=False, verbosity=0)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def test_new_organization_and_project_receive_their_first_event(errata_server, page,
                                                                screenshot):
    make_user("dana")
    sign_in(page, errata_server, "dana")

    # Nobody has added dana to an organization: she creates her own.
    page.get_by_role("link", name="New organization").click()
    page.fill("input[name=name]", "Acme")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_selector("text=Organization “Acme” created.")
    screenshot("onboarding_new_project")

    page.fill("input[name=name]", "Shop")
    page.select_option("select[name=platform]", "python")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/acme/shop/issues/")
    project = Project.objects.get(organization__slug="acme", slug="shop")
    dsn = page.locator("#dsn").input_value()
    # The server's own PUBLIC_URL (localhost and its port), with the project's new key.
    port = errata_server.rsplit(":", 1)[1]
    assert dsn == f"http://{project.keys.get().public_key}@localhost:{port}/{project.pk}"
    assert dsn in page.locator("pre.snippet").last.inner_text()
    assert page.get_by_role("button", name="Copy").is_visible()
    assert "Waiting for the first event" in page.locator("#first-event").inner_text()
    screenshot("onboarding_waiting")

    # The DSN as shown, with the real SDK, against the live server.
    run_python_sdk(dsn, """
        def checkout():
            raise LookupError("no price for SKU-42")
        try:
            checkout()
        except LookupError:
            sentry_sdk.capture_exception()
    """)

    # htmx polls until the worker has stored it; then the status links the issue.
    link = page.locator("#first-event a.first-issue")
    link.wait_for(timeout=30_000)
    issue = Issue.objects.get(project=project)
    assert "LookupError" in link.inner_text()
    screenshot("onboarding_arrived")
    link.click()
    page.wait_for_url(f"**/acme/issues/{issue.pk}/")
    assert page.get_by_text("no price for SKU-42").first.is_visible()

    # The overview lists the project with its issue of the last day and its DSN.
    page.goto(errata_server + "/")
    page.wait_for_url("**/acme/projects/")
    row = page.locator("table.projects tbody tr")
    assert "Shop" in row.inner_text() and "Python" in row.inner_text()
    assert row.locator(".num").inner_text() == "1"
    assert row.locator("input").input_value() == dsn
    screenshot("projects_overview")
