"""Teams set themselves up in the browser: sign-in lands on the projects overview, "New
organization" and "New project" create through tracker.provisioning, and a project without
events shows how to send the first one, then links it when it arrives."""

import re

import pytest
from django.urls import reverse
from django.utils.html import escape

from ingest.digest import batch
from tests.factories import make_issue, make_member, make_org, make_project, make_user
from tracker import platforms
from tracker.alerts.models import AlertRule
from tracker.models import Issue, Member, Organization, Project

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def links(html: str) -> list[str]:
    """The site's own links on a page (stylesheets and scripts aside)."""
    found = re.findall(r'(?:href|hx-get)="(/[^"]*)"', html)
    return sorted({link for link in found if not link.startswith("/static/")})


def assert_links_open(client, html: str) -> list[str]:
    followed = links(html)
    for link in followed:
        response = client.get(link.replace("&amp;", "&"), follow=True)
        assert response.status_code == 200, link
    return followed


def overview_url(org) -> str:
    return reverse("org-projects", args=[org.slug])


def issues_url(project) -> str:
    return reverse("issues:project", args=[project.organization.slug, project.slug])


def status_url(project) -> str:
    return reverse("project-first-event", args=[project.organization.slug, project.slug])


# --- Landing ----------------------------------------------------------------------------------

def test_sign_in_lands_on_the_projects_overview(client, org):
    carol = make_user("carol", password="correct horse")
    carol_org = make_org("Beta", owner=carol)
    response = client.post("/login/", {"username": "carol", "password": "correct horse"},
                           follow=True)
    assert response.redirect_chain[-1][0] == overview_url(carol_org)
    assert response.status_code == 200
    assert "Projects" in response.content.decode()


def test_home_without_an_organization_offers_to_create_one(client):
    client.force_login(make_user("newcomer"))
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "not a member of any organization" in html
    assert reverse("new-organization") in assert_links_open(client, html)


# --- New organization ----------------------------------------------------------------------

def test_new_organization_creates_it_owned_by_me_and_asks_for_a_project(signed_in, user):
    page = signed_in.get(reverse("new-organization"))
    assert page.status_code == 200
    assert_links_open(signed_in, page.content.decode())
    response = signed_in.post(reverse("new-organization"), {"name": "Globex Corp"})
    org = Organization.objects.get(slug="globex-corp")
    assert response.status_code == 302
    assert response["Location"] == reverse("org-new-project", args=["globex-corp"])
    assert Member.objects.get(organization=org, user=user).role == Member.Role.OWNER
    assert org.teams.count() == 1
    page = signed_in.get(response["Location"])
    html = page.content.decode()
    assert "Organization “Globex Corp” created." in html
    assert_links_open(signed_in, html)


@pytest.mark.parametrize(("name", "message"), [
    ("", "This field is required."),
    ("日本", "Use at least one letter or digit"),
    ("Admin", "is an address Errata uses itself"),
    ("acme", "An organization with the address /acme/ already exists"),
    ("x" * 101, "Ensure this value has at most 100 characters"),
])
def test_new_organization_explains_what_is_wrong(signed_in, org, name, message):
    response = signed_in.post(reverse("new-organization"), {"name": name})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organization.objects.count() == 1


def test_organization_names_are_escaped(signed_in):
    response = signed_in.post(reverse("new-organization"), {"name": HOSTILE + " Labs"},
                              follow=True)
    html = response.content.decode()
    assert response.status_code == 200
    assert HOSTILE not in html and escape(HOSTILE) in html


# --- New project --------------------------------------------------------------------------

def test_new_project_creates_it_ready_and_opens_its_onboarding(signed_in, org):
    page = signed_in.get(reverse("org-new-project", args=[org.slug]))
    html = page.content.decode()
    assert page.status_code == 200
    for platform_id in ("python", "python-django", "javascript-vue", "csharp", "other"):
        assert f'value="{platform_id}"' in html
    assert_links_open(signed_in, html)

    response = signed_in.post(reverse("org-new-project", args=[org.slug]),
                              {"name": "Web Shop", "platform": "python-django"})
    project = Project.objects.get(organization=org, slug="web-shop")
    assert response.status_code == 302 and response["Location"] == issues_url(project)
    assert project.platform == "python-django"
    assert project.keys.get().is_active
    assert list(project.teams.all()) == [org.teams.get()]
    assert AlertRule.objects.filter(project=project).count() == 3

    html = signed_in.get(response["Location"]).content.decode()
    assert "Project “Web Shop” created." in html
    assert escape(project.keys.get().dsn) in html


@pytest.mark.parametrize(("data", "message"), [
    ({"name": "", "platform": "python"}, "This field is required."),
    ({"name": "Shop", "platform": "cobol"}, "Select a valid choice."),
    ({"name": "Shop", "platform": ""}, "This field is required."),
    ({"name": "SHOP!", "platform": "go"}, "Acme already has a project with the address …/shop/"),
    ({"name": "---", "platform": "go"}, "Use at least one letter or digit"),
])
def test_new_project_explains_what_is_wrong(signed_in, project, data, message):
    response = signed_in.post(reverse("org-new-project", args=["acme"]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Project.objects.count() == 1


def test_only_owners_and_admins_add_projects(client, org):
    member = make_member(org)
    client.force_login(member.user)
    url = reverse("org-new-project", args=[org.slug])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "Sneaky", "platform": "go"}).status_code == 403
    assert "New project" not in client.get(overview_url(org)).content.decode()
    admin = make_member(org, role=Member.Role.ADMIN)
    client.force_login(admin.user)
    assert client.post(url, {"name": "Fine", "platform": "go"}).status_code == 302


def test_other_organizations_are_not_found(signed_in):
    other = make_project(make_org("Globex"), "Vault", slug="vault")
    assert signed_in.get(overview_url(other.organization)).status_code == 404
    assert signed_in.get(reverse("org-new-project", args=["globex"])).status_code == 404
    assert signed_in.post(reverse("org-new-project", args=["globex"]),
                          {"name": "X", "platform": "go"}).status_code == 404
    assert signed_in.get(status_url(other)).status_code == 404
    assert signed_in.get(issues_url(other)).status_code == 404


# --- Projects overview ---------------------------------------------------------------------

def test_overview_lists_platform_issues_of_the_last_day_and_dsn(signed_in, org, project):
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)
    make_issue(project, "recent", last_seen=now)
    make_issue(project, "recent too", last_seen=now - timedelta(hours=23))
    make_issue(project, "old", last_seen=now - timedelta(hours=25))
    make_issue(project, "merged", last_seen=now, status=Issue.Status.MERGED)
    quiet = make_project(org, HOSTILE, platform="javascript-react")
    make_project(make_org("Globex"), "Vault")  # not mine

    response = signed_in.get(overview_url(org))
    html = response.content.decode()
    rows = {row.project.name: row for row in response.context["rows"]}
    assert set(rows) == {"Shop", HOSTILE}
    assert (rows["Shop"].platform, rows["Shop"].issues_24h) == ("Python", 2)
    assert (rows[HOSTILE].platform, rows[HOSTILE].issues_24h) == ("React", 0)
    assert project.keys.get().dsn in html and quiet.keys.get().dsn in html
    assert HOSTILE not in html and escape(HOSTILE) in html
    assert "Vault" not in html
    followed = assert_links_open(signed_in, html)
    assert issues_url(project) in followed and issues_url(quiet) in followed
    assert reverse("org-new-project", args=[org.slug]) in followed
    assert reverse("new-organization") in followed


def test_overview_of_an_organization_without_projects(signed_in, org):
    html = signed_in.get(overview_url(org)).content.decode()
    assert "Acme has no projects yet." in html
    assert reverse("org-new-project", args=[org.slug]) in assert_links_open(signed_in, html)


def test_overview_shows_a_project_without_an_active_key(signed_in, project):
    project.keys.update(is_active=False)
    html = signed_in.get(overview_url(project.organization)).content.decode()
    assert "No active key" in html


def test_home_and_switcher_lead_to_the_overview(signed_in, org, project):
    response = signed_in.get("/")
    assert response.status_code == 302 and response["Location"] == overview_url(org)
    html = signed_in.get(issues_url(project)).content.decode()
    assert f'href="{overview_url(org)}"' in html
    assert f'href="{reverse("new-organization")}"' in html


# --- Onboarding ----------------------------------------------------------------------------

def test_empty_project_shows_onboarding_with_dsn_install_and_snippet(signed_in, project):
    response = signed_in.get(issues_url(project))
    html = response.content.decode()
    dsn = project.keys.get().dsn
    assert response.status_code == 200
    assert "Send your first event" in html
    assert f'value="{escape(dsn)}"' in html
    assert 'data-copy="dsn"' in html
    assert escape("pip install --upgrade sentry-sdk") in html
    assert escape(f'dsn="{dsn}"') in html
    assert "Waiting for the first event" in html
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{status_url(project)}"' in html
    assert "Send a sample event" in html
    assert_links_open(signed_in, html)


@pytest.mark.parametrize("platform_id", [p for p in platforms.PLATFORMS if p != "other"])
def test_every_platform_has_install_command_and_snippet_with_the_dsn(signed_in, org,
                                                                     platform_id):
    project = make_project(org, f"App {platform_id}", platform=platform_id)
    html = signed_in.get(issues_url(project)).content.decode()
    platform = platforms.PLATFORMS[platform_id]
    assert escape(platform.install) in html
    assert escape(platform.init_snippet(project.keys.get().dsn)) in html
    assert project.keys.get().dsn in platform.init_snippet(project.keys.get().dsn)


def test_other_and_unknown_platforms_get_the_dsn_only(signed_in, org):
    for platform_id in ("other", "", "cocoa"):
        project = make_project(org, f"App {platform_id or 'none'}", platform=platform_id)
        html = signed_in.get(issues_url(project)).content.decode()
        assert "Any Sentry SDK can send events here" in html
        assert project.keys.get().dsn in html


def test_onboarding_without_an_active_key_links_the_keys_page(signed_in, project):
    project.keys.update(is_active=False)
    html = signed_in.get(issues_url(project)).content.decode()
    assert "This project has no active key" in html
    keys = reverse("project-keys", args=["acme", "shop"])
    assert keys in assert_links_open(signed_in, html)


def test_waiting_state_turns_into_a_link_to_the_first_issue(signed_in, project):
    waiting = signed_in.get(status_url(project), headers={"HX-Request": "true"})
    html = waiting.content.decode()
    assert "<html" not in html
    assert 'hx-trigger="every 2s"' in html and "Waiting for the first event" in html

    issue = make_issue(project, HOSTILE)
    arrived = signed_in.get(status_url(project), headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in arrived and "hx-get" not in arrived  # polling stops
    detail = reverse("issues:detail", args=["acme", issue.pk])
    assert f'href="{detail}"' in arrived
    assert HOSTILE not in arrived and escape(HOSTILE) in arrived
    assert detail in assert_links_open(signed_in, arrived)


def test_project_with_issues_shows_its_list(signed_in, project):
    make_issue(project, "ValueError: boom", status=Issue.Status.RESOLVED)
    response = signed_in.get(issues_url(project))
    assert "Send your first event" not in response.content.decode()
    assert "issues" in response.context


def test_filtered_or_htmx_list_of_an_empty_project_stays_a_list(signed_in, project):
    assert "issues" in signed_in.get(issues_url(project) + "?status=all").context
    partial = signed_in.get(issues_url(project), headers={"HX-Request": "true"})
    html = partial.content.decode()
    assert 'id="results"' in html and "Nothing left to triage." in html and "<html" not in html


def test_sample_event_button_returns_to_onboarding_which_links_the_issue(signed_in, project):
    response = signed_in.post(
        reverse("project-sample-event", args=["acme", "shop"]), {"next": "issues"}
    )
    assert response.status_code == 302 and response["Location"] == issues_url(project)
    html = signed_in.get(response["Location"]).content.decode()
    assert "Sample event" in html and "Waiting for the first event" in html

    while batch.digest_batch():
        pass
    issue = Issue.objects.get(project=project)
    arrived = signed_in.get(status_url(project), headers={"HX-Request": "true"}).content.decode()
    assert reverse("issues:detail", args=["acme", issue.pk]) in arrived
    assert "KeyError" in arrived
    assert "Send your first event" not in signed_in.get(issues_url(project)).content.decode()


def test_members_see_onboarding_without_the_sample_button(client, project):
    member = make_member(project.organization)
    client.force_login(member.user)
    html = client.get(issues_url(project)).content.decode()
    assert project.keys.get().dsn in html
    assert "Send a sample event" not in html
    assert_links_open(client, html)


@pytest.mark.parametrize("platform_id", ["javascript", "javascript-react", "javascript-vue"])
def test_browser_projects_show_how_to_upload_source_maps(signed_in, org, platform_id,
                                                         settings):
    project = make_project(org, "Front", platform=platform_id, slug="front")
    html = signed_in.get(issues_url(project)).content.decode()
    assert "4. Upload source maps" in html
    steps = platforms.sourcemap_steps(settings.PUBLIC_URL, org.slug, "front")
    assert escape(steps) in html
    for line in (f"export SENTRY_URL={settings.PUBLIC_URL}", f"export SENTRY_ORG={org.slug}",
                 "export SENTRY_PROJECT=front", "npx sentry-cli sourcemaps inject ./dist",
                 "npx sentry-cli sourcemaps upload ./dist"):
        assert line in steps
    assert_links_open(signed_in, html)


def test_other_projects_show_no_source_map_steps(signed_in, org):
    project = make_project(org, "Api", platform="python", slug="api")
    assert "Upload source maps" not in signed_in.get(issues_url(project)).content.decode()
