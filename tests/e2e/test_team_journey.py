"""The whole setup journey of a team in real browsers, on a fresh install: the admin creates
an organization and a project, copies the DSN from onboarding, the real sentry-sdk sends an
error and the page turns to the issue; the admin closes membership, invites a member (a real
SMTP server receives the email), the member follows the link in a second browser, sets a
password, signs in, sees only their team's project, is assigned an issue and gets the email.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from tests.alerts.conftest import _smtp_server, smtp  # noqa: F401  (a real SMTP server)
from tests.e2e.conftest import sign_in
from tests.live import run_python_sdk, running_server, wait_until
from tracker.models import Issue, Member, Project

call_command("collectstatic", interactive=False, verbosity=0)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]

ADMIN_PASSWORD = "admin passphrase 1234"
MEMBER_PASSWORD = "member passphrase 5678"


@pytest.fixture
def server(smtp, settings):  # noqa: F811 (the imported fixture)
    """Errata with its mail going to the test's SMTP server (invitations are sent by the web
    process; assignment emails by the worker in this process, which `smtp` configures)."""
    with running_server(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(settings.EMAIL_PORT),
                        EMAIL_USE_TLS="false") as url:
        # The worker in this process writes the links of assignment emails: same address
        # as the server's own (its default PUBLIC_URL).
        settings.PUBLIC_URL = "http://localhost:" + url.rsplit(":", 1)[1]
        yield url


def mail_to(inbox, address: str, subject_part: str):
    def found():
        return next((m for m in list(inbox.mails)
                     if address in m.recipients and subject_part in m.subject), None)
    return wait_until(found, timeout=30)


def test_a_team_sets_itself_up(server, page, browser, smtp, screenshot):  # noqa: F811
    get_user_model().objects.create_superuser("admin", "admin@example.com", ADMIN_PASSWORD)
    sign_in(page, server, "admin", ADMIN_PASSWORD)

    # An organization and its first project.
    page.get_by_role("link", name="New organization").first.click()
    page.fill("input[name=name]", "Acme")
    page.get_by_role("button", name="Create organization").click()
    page.fill("input[name=name]", "Shop")
    page.select_option("select[name=platform]", "python")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/acme/shop/issues/")
    dsn = page.locator("#dsn").input_value()
    screenshot("journey_onboarding")
    run_python_sdk(dsn, """
        try:
            1 / 0
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
    """)
    link = page.locator("#first-event a.first-issue")
    link.wait_for(timeout=30_000)
    link.click()
    shop_issue = Issue.objects.get(project__slug="shop")
    page.wait_for_url(f"**/acme/issues/{shop_issue.pk}/")

    # A second project, for a #mobile team; it gets an error too.
    page.goto(server + "/acme/projects/new/")
    page.fill("input[name=name]", "Mobile")
    page.select_option("select[name=platform]", "python")
    page.get_by_role("button", name="Create project").click()
    page.wait_for_url("**/acme/mobile/issues/")
    run_python_sdk(page.locator("#dsn").input_value(), """
        try:
            {}["sku"]
        except KeyError:
            sentry_sdk.capture_exception()
    """)
    mobile_issue = wait_until(lambda: Issue.objects.filter(project__slug="mobile").first())

    page.goto(server + "/acme/projects/")
    page.get_by_role("link", name="Teams").click()
    page.fill("input[name=name]", "Mobile")
    page.get_by_role("button", name="Create team").click()
    page.wait_for_url("**/settings/acme/teams/mobile/")
    page.select_option("select[name=add_project]", label="Mobile")
    page.get_by_role("button", name="Add project").click()
    page.wait_for_selector("text=#mobile now has access to Mobile.")

    # Membership closed: members see only their teams' projects.
    page.get_by_role("link", name="General").click()
    page.uncheck("input[name=open_membership]")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=Organization settings saved.")

    # The invitation, by email.
    page.get_by_role("link", name="Members").click()
    page.fill("input[name=email]", "mia@example.com")
    page.select_option("select[name=role]", "member")
    page.select_option("select[name=team]", label="#mobile")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_selector("text=Invitation sent to mia@example.com.")
    shown = page.locator("#invitation-url").input_value()
    screenshot("journey_members")
    mail = mail_to(smtp, "mia@example.com", "Join Acme")
    url = re.search(r"http://\S+/invitations/\S+/", mail.part("text/plain")).group(0)
    assert url == shown
    # Links carry the server's PUBLIC_URL (localhost): Mia uses that address throughout.
    site = re.match(r"http://[^/]+", url).group(0)

    # Mia, in her own browser.
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    mia = context.new_page()
    mia.set_default_timeout(15_000)
    mia.goto(url)
    mia.fill("input[name=name]", "Mia Example")
    mia.fill("input[name=password]", MEMBER_PASSWORD)
    mia.fill("input[name=password_again]", MEMBER_PASSWORD)
    mia.get_by_role("button", name="Create account and join").click()
    mia.wait_for_url("**/acme/projects/")
    mia.get_by_role("button", name="Sign out").click()
    sign_in(mia, site, "mia@example.com", MEMBER_PASSWORD)
    mia.goto(site + "/acme/projects/")
    rows = mia.locator("table.projects tbody tr")
    assert rows.count() == 1 and "Mobile" in rows.inner_text()
    assert mia.goto(site + "/acme/shop/issues/").status == 404
    assert Member.objects.get(user__email="mia@example.com").role == "member"

    # The admin assigns her the Mobile issue; she gets the email and follows it.
    page.goto(server + f"/acme/issues/{mobile_issue.pk}/")
    page.select_option("select[name=assign_to]", label="mia@example.com")
    page.get_by_role("button", name="Assign").click()
    page.wait_for_selector("text=assigned to")
    assigned = mail_to(smtp, "mia@example.com", "Assigned to you")
    issue_link = re.search(r"http://\S+/acme/issues/\d+/", assigned.part("text/plain")).group(0)
    mia.goto(issue_link)
    assert "KeyError" in mia.locator("h1").first.inner_text()
    context.close()

    page.goto(server + "/acme/projects/")
    assert page.locator("table.projects tbody tr").count() == 2
    screenshot("journey_overview")
    assert Project.objects.get(slug="mobile").teams.filter(slug="mobile").exists()
