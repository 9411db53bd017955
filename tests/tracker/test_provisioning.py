"""One way to create organizations and projects (tracker.provisioning), whoever creates them:
the functions, the Django admin's add forms, the management commands."""

from io import StringIO

import pytest
from django.core.management import call_command

from tests.factories import make_org, make_user
from tracker.alerts.models import AlertRule, RuleAction, RuleCondition
from tracker.models import Member, Organization, Project, Team
from tracker.provisioning import create_organization, create_project

pytestmark = pytest.mark.django_db

DEFAULT_RULES = ["Critical error", "High volume", "New issue"]


def assert_ready(project: Project, team: Team | None = None) -> None:
    """What every new project has: an active key, a team, the three default rules."""
    key = project.keys.get()
    assert key.is_active and key.public_key in key.dsn
    teams = list(project.teams.all())
    assert len(teams) == 1
    if team is not None:
        assert teams == [team]
    rules = AlertRule.objects.filter(project=project)
    assert sorted(rules.values_list("name", flat=True)) == DEFAULT_RULES
    assert RuleCondition.objects.filter(rule__project=project).count() == 3
    assert RuleAction.objects.filter(rule__project=project).count() == 3


def test_create_organization_makes_the_creator_owner_in_a_default_team():
    dana = make_user("dana")
    org = create_organization("Acme Corp", dana)
    assert org.slug == "acme-corp"
    member = Member.objects.get(organization=org)
    assert (member.user, member.role) == (dana, Member.Role.OWNER)
    team = Team.objects.get(organization=org)
    assert list(team.members.all()) == [member]


def test_create_project_gets_key_default_team_and_rules():
    org = make_org("Acme")
    project = create_project(org, "Web Shop", "python-django")
    assert (project.slug, project.platform) == ("web-shop", "python-django")
    assert_ready(project, team=org.teams.get())


def test_create_project_with_a_chosen_team():
    org = make_org("Acme")
    mobile = Team.objects.create(organization=org, name="Mobile", slug="mobile")
    assert_ready(create_project(org, "App", "javascript-react", team=mobile), team=mobile)


def test_an_organization_without_teams_gets_one_for_its_first_project():
    # Organizations made before teams were set up (the admin used to leave them bare).
    org = Organization.objects.create(name="Legacy", slug="legacy")
    project = create_project(org, "Old", "go")
    assert_ready(project, team=Team.objects.get(organization=org, slug="legacy"))
    assert_ready(create_project(org, "Older", "go"), team=project.teams.get())


# --- The Django admin's add forms -----------------------------------------------------------

@pytest.fixture
def superuser_client(client):
    root = make_user("root", is_staff=True, is_superuser=True)
    client.force_login(root)
    client.root = root
    return client


def test_admin_add_organization_makes_its_creator_owner(superuser_client):
    page = superuser_client.get("/admin/tracker/organization/add/")
    assert page.status_code == 200
    assert "You become its owner" in page.content.decode()
    response = superuser_client.post("/admin/tracker/organization/add/", {
        "name": "Globex", "slug": "globex", "crash_report_limit": "-1", "_save": "Save",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organization.objects.get(slug="globex")
    owner = Member.objects.get(organization=org)
    assert (owner.user, owner.role) == (superuser_client.root, Member.Role.OWNER)
    assert list(Team.objects.get(organization=org).members.all()) == [owner]
    # Visible to its creator in the app, not only in the admin.
    assert superuser_client.get("/globex/projects/").status_code == 200
    # Members are managed on the change form, once it exists.
    change = superuser_client.get(f"/admin/tracker/organization/{org.pk}/change/")
    assert change.status_code == 200
    assert "members-TOTAL_FORMS" in change.content.decode()


def test_admin_add_organization_refuses_a_reserved_address(superuser_client):
    response = superuser_client.post("/admin/tracker/organization/add/", {
        "name": "Admin", "slug": "admin", "crash_report_limit": "-1", "_save": "Save",
    })
    assert response.status_code == 200
    assert "This address is one Errata uses itself." in response.content.decode()
    assert not Organization.objects.exists()


def test_admin_add_project_gets_key_team_and_rules(superuser_client):
    org = make_org("Acme")
    page = superuser_client.get("/admin/tracker/project/add/")
    assert page.status_code == 200
    assert 'name="platform"' in page.content.decode()
    response = superuser_client.post("/admin/tracker/project/add/", {
        "organization": org.pk, "name": "Shop", "slug": "shop", "platform": "python",
        "_save": "Save",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    project = Project.objects.get(organization=org, slug="shop")
    assert project.platform == "python"
    assert_ready(project, team=org.teams.get())
    # The change form still edits keys and teams.
    change = superuser_client.get(f"/admin/tracker/project/{project.pk}/change/")
    assert change.status_code == 200
    assert project.keys.get().public_key in change.content.decode()


def test_admin_add_project_validates_the_platform(superuser_client):
    org = make_org("Acme")
    response = superuser_client.post("/admin/tracker/project/add/", {
        "organization": org.pk, "name": "Shop", "slug": "shop", "platform": "cobol",
        "_save": "Save",
    })
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Project.objects.exists()


# --- Management commands --------------------------------------------------------------------

def test_bootstrap_demo_project_is_ready_and_owned_by_the_admin():
    call_command("bootstrap", stdout=StringIO())
    project = Project.objects.get()
    assert_ready(project)
    owner = Member.objects.get(organization=project.organization)
    assert owner.role == Member.Role.OWNER and owner.user.is_superuser
    out = StringIO()
    call_command("dsn", stdout=out)
    assert out.getvalue().strip() == project.keys.get().dsn


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)  # seed_bench ends with VACUUM, outside transactions
def test_seed_bench_projects_are_ready():
    call_command("seed_bench", events=40, issues=20, projects=2, stdout=StringIO())
    projects = Project.objects.filter(organization__slug="bench")
    assert projects.count() == 2
    for project in projects:
        assert_ready(project)

