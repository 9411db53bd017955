"""Creating organizations and projects with what they need to work from the first event."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify

from tracker.alerts.defaults import create_default_rules
from tracker.models import Member, Organization, Project, ProjectKey, Team


@transaction.atomic
def create_organization(name: str, owner, slug: str = "") -> Organization:
    org = Organization.objects.create(name=name, slug=slug or slugify(name)[:50])
    member = Member.objects.create(organization=org, user=owner, role=Member.Role.OWNER)
    team = Team.objects.create(organization=org, name=name, slug=org.slug)
    team.members.add(member)
    return org


@transaction.atomic
def create_project(
    org: Organization, name: str, *, platform: str = "", slug: str = "", teams=()
) -> Project:
    project = Project.objects.create(
        organization=org, name=name, slug=slug or slugify(name)[:50], platform=platform
    )
    project.teams.set(teams or org.teams.all()[:1])
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
