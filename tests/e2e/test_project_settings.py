"""Project settings in a real browser: keys, and the sample event reaching the issue list."""

import pytest
from django.core.management import call_command

from tests.e2e.conftest import sign_in
from tests.factories import make_org, make_project, make_user
from tracker.discards import discard_issues
from tracker.models import DiscardedFingerprint, Event, ProjectKey

# The live server's WhiteNoise indexes STATIC_ROOT when it starts: collect the CSS and htmx
# before any test starts it (htmx does the polling and the row swaps checked here).
call_command("collectstatic", interactive=False, verbosity=0)

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

    # Disable it, after saying yes to the question: htmx swaps just that row.
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Disable").click()
    page.wait_for_selector(f"#key-{key.pk}.disabled")
    assert page.locator(f"#key-{key.pk} .badge").inner_text() == "Disabled"
    # Swapped in place (the row says so), not reloaded (no page message).
    assert "disabled" in page.locator(f"#key-{key.pk} .saved").inner_text()
    assert page.locator(".messages").inner_text() == "Key “Browser SDK” created."
    key.refresh_from_db()
    assert not key.is_active
    screenshot("project_settings_keys")

    # Send a sample event and watch it arrive.
    page.goto(settings)
    page.get_by_role("button", name="Send a sample event").click()
    page.wait_for_selector(".messages >> text=Sample event")
    page.wait_for_selector("#sample-status .status.ok", timeout=30_000)
    event = Event.objects.get(project=project)
    assert event.issue.qualified_short_id in page.locator("#sample-status").inner_text()
    screenshot("project_settings_general")

    # The status links to the sample issue, which is also in the project's issue list.
    page.locator("#sample-status a").click()
    page.wait_for_url(f"**/acme/issues/{event.issue_id}/")
    assert page.get_by_text("KeyError").first.is_visible()
    page.goto(f"{errata_server}/acme/shop/issues/")
    assert page.get_by_text("KeyError: 'NZ'").first.is_visible()

    page.goto(f"{errata_server}/acme/shop/stats/")
    page.wait_for_selector("svg .o-accepted")
    screenshot("project_stats")

    # A rule with a syntax error is refused with its line.
    page.goto(settings + "grouping/")
    page.fill("textarea[name=fingerprint_rules]", "error.type:DatabaseError -> db\nbroken rule")
    page.get_by_role("button", name="Save rules").click()
    assert "Line 2:" in page.locator(".errorlist").first.inner_text()
    screenshot("project_settings_rules")

    # Discarded issues are listed with their counts; undo removes the row in place.
    discard_issues([event.issue], None)
    page.goto(settings + "discarded/")
    row = page.locator("tbody tr")
    assert "KeyError: 'NZ'" in row.inner_text()
    screenshot("project_settings_discarded")
    row.get_by_role("button", name="Undo").click()
    row.wait_for(state="detached")
    assert not DiscardedFingerprint.objects.filter(project=project).exists()


def test_rotating_a_key_asks_first(errata_server, page):
    project = make_project(make_org("Acme", owner=make_user("dana")), "Shop", slug="shop",
                           platform="python")
    key = project.keys.get()
    sign_in(page, errata_server, "dana")
    page.goto(f"{errata_server}/acme/shop/settings/keys/")
    rotate = page.locator(f"#key-{key.pk}").get_by_role("button", name="Rotate")

    # Saying no changes nothing.
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    rotate.click()
    page.wait_for_timeout(500)
    assert questions and questions[0].startswith("Rotate the key “Default”?")
    assert project.keys.count() == 1
    key.refresh_from_db()
    assert key.is_active

    # Saying yes rotates: the page reloads with the new DSN.
    page.once("dialog", lambda dialog: dialog.accept())
    rotate.click()
    page.wait_for_selector(".messages >> text=Key rotated.")
    new = project.keys.exclude(pk=key.pk).get()
    assert new.is_active and new.public_key in page.locator(".messages").inner_text()
    key.refresh_from_db()
    assert not key.is_active
