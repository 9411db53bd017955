"""Creating organizations and projects with what they need to work from the first event.

The one way they come into being: the pages (tracker/views/organizations.py), the Django
admin's add forms (tracker/admin.py), the management commands and the tests all call
`create_organization` and `create_project`, or, where a form has already built the unsaved
object (the admin's), `set_up_organization` and `set_up_project`. An organization without a
member is invisible to everyone, and a project without a key, a team and the default alert
rules cannot receive events or tell anyone about them.
"""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from tracker import audit, tasks
from tracker.alerts.defaults import create_default_rules
from tracker.models import Member, Organization, Project, ProjectKey, Team

# First path segments that belong to the site, not to an organization: `/<org>/...` would
# otherwise be shadowed by them, or shadow them.
RESERVED_SLUGS = frozenset({
    "account", "admin", "api", "healthz", "invitations", "login", "logout", "organizations",
    "settings", "static", "media",
})


def slug_for(name: str) -> str:
    """The URL segment for a name: ASCII letters, digits and hyphens, at most 50 long."""
    return slugify(name)[:50].strip("-_")


@transaction.atomic
def create_organization(name: str, owner, *, slug: str = "") -> Organization:
    return set_up_organization(Organization(name=name, slug=slug or slug_for(name)), owner)


@transaction.atomic
def set_up_organization(org: Organization, owner) -> Organization:
    """Save a new organization; `owner` becomes its owner and joins its default team."""
    org.save()
    member = Member.objects.create(organization=org, user=owner, role=Member.Role.OWNER)
    default_team(org).members.add(member)
    return org


def default_team(org: Organization) -> Team:
    """The organization's first team; organizations made before teams were set up get one."""
    team = org.teams.order_by("created", "pk").first()
    if team is None:
        team = Team.objects.create(organization=org, name=org.name, slug=org.slug)
    return team


@transaction.atomic
def create_project(
    organization: Organization, name: str, platform: str = "", team: Team | None = None, *,
    slug: str = "", actor=None, ip: str | None = None,
) -> Project:
    """With `actor` (pages and API), the creation is in the organization's audit log."""
    project = Project(
        organization=organization, name=name, slug=slug or slug_for(name), platform=platform
    )
    set_up_project(project, team)
    if actor is not None:
        audit.record(organization, actor, "project.add", target=project, label=project.slug,
                     data={"platform": platform}, ip=ip)
    return project


def delete_project(project: Project, actor, *, ip: str | None = None) -> None:
    """Disable the project at once (its events are refused from then on) and
    delete it in a task: a big project's rows take longer than a request may."""
    project.is_active = False
    project.save(update_fields=["is_active"])
    audit.record(project.organization, actor, "project.remove", target=project,
                 label=project.slug, ip=ip)
    transaction.on_commit(lambda: tasks.delete_project.delay(project.pk))


@transaction.atomic
def set_up_project(project: Project, team: Team | None = None) -> Project:
    """Save a new project with an active DSN key, a team (the organization's default team
    unless `team` is given) and the default alert rules."""
    project.save()
    project.teams.set([team or default_team(project.organization)])
    ProjectKey.objects.create(project=project, label="Default")
    create_default_rules(project)
    return project


def find_project(ref: str | None) -> Project:
    """`org/project` (or None for the first project created, the demo one)."""
    projects = Project.objects.select_related("organization").order_by("id")
    if not ref:
        project = projects.first()
    else:
        org_slug, _, project_slug = ref.partition("/")
        project = projects.filter(organization__slug=org_slug, slug=project_slug).first()
    if project is None:
        raise Project.DoesNotExist(f"no project {ref or '(none exist yet)'}")
    return project
