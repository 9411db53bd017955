"""Project settings in a real browser: keys, and the sample event reaching the issue list."""

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import make_org, make_project, make_user
from tracker.models import Event, ProjectKey

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def test_keys_and_sample_event(errata_server, page, screenshot):
    project = make_project(make_org("Acme", owner=make_user("dana")), "Shop", slug="shop",
                           platform="python")
    sign_in(page, errata_server, "dana")
    settings = f"{errata_server}/acme/shop/settings/"

    # Create a key.
    page.goto(settings + "keys/")
    page.fill("input[name=label]", "Browser SDK")
    page.fill(".new-key input[name=rate_limit_count]", "100")
    page.get_by_role("button", name="Create key").click()
    page.wait_for_selector("text=Key “Browser SDK” created.")
    key = ProjectKey.objects.get(project=project, label="Browser SDK")
    row = page.locator(f"#key-{key.pk}")
    assert key.public_key in row.locator(".dsn input").input_value()
    assert row.locator(".badge").inner_text() == "Active"

    # Disable it: htmx swaps just that row.
    row.get_by_role("button", name="Disable").click()
    page.wait_for_selector(f"#key-{key.pk}.disabled")
    assert page.locator(f"#key-{key.pk} .badge").inner_text() == "Disabled"
    key.refresh_from_db()
    assert not key.is_active
    screenshot("project_settings_keys")

    # Send a sample event and watch it arrive.
    page.goto(settings)
    page.get_by_role("button", name="Send a sample event").click()
    page.wait_for_selector("text=waiting for the worker", state="attached")
    page.wait_for_selector("#sample-status .status.ok", timeout=30_000)
    event = Event.objects.get(project=project)
    assert event.issue.qualified_short_id in page.locator("#sample-status").inner_text()
    screenshot("project_settings_general")

    # The sample issue is in the project's issue list.
    page.goto(f"{errata_server}/acme/shop/issues/")
    assert page.get_by_text("KeyError: 'NZ'").first.is_visible()

    page.goto(f"{errata_server}/acme/shop/stats/")
    page.wait_for_selector("svg .o-accepted")
    screenshot("project_stats")
