"""Who may see what. Every page and API view goes through these helpers.

Lookups of another organization's objects raise Http404, never 403: guessing ids must not
reveal that something exists. Inside their organization every member may look; changing a
project's settings or alert rules, or adding a project, needs an owner or admin, and a
member's attempt is a 403. Any signed-in user may create an organization (and owns it).

Which projects a member sees: all of the organization's while it has open membership (the
default); with open membership off, a member sees only the projects of their teams, while
owners and admins still see all. `projects_for` and `visible_projects` are the one place this
rule lives: pages, search, the API and alert recipients all go through them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from tracker.models import Member, Organization, Project


def organizations_for(user) -> QuerySet[Organization]:
    return Organization.objects.filter(members__user=user)


MANAGER_ROLES = (Member.Role.OWNER, Member.Role.ADMIN)


def _sees_all(members: QuerySet[Member]) -> QuerySet[Member]:
    return members.filter(Q(organization__open_membership=True) | Q(role__in=MANAGER_ROLES))


def _team_projects(members: QuerySet[Member]):
    return Project.teams.through.objects.filter(team__members__in=members).values("project_id")


def projects_for(user) -> QuerySet[Project]:
    """Every project the user sees, across their organizations."""
    members = Member.objects.filter(user=user)
    return Project.objects.filter(
        Q(organization__in=_sees_all(members).values("organization_id"))
        | Q(pk__in=_team_projects(members))
    )


def visible_projects(member: Member) -> QuerySet[Project]:
    """The projects of the member's organization that this member sees."""
    projects = Project.objects.filter(organization_id=member.organization_id)
    if member.can_manage or member.organization.open_membership:
        return projects
    return projects.filter(pk__in=_team_projects(Member.objects.filter(pk=member.pk)))


def members_seeing(project: Project) -> QuerySet[Member]:
    """The members of the project's organization who see the project (alert recipients)."""
    members = Member.objects.filter(organization_id=project.organization_id)
    if project.organization.open_membership:
        return members
    return members.filter(Q(role__in=MANAGER_ROLES) | Q(teams__projects=project)).distinct()


def get_membership(user, org_slug: str) -> Member:
    member = (
        Member.objects.select_related("organization")
        .filter(user=user, organization__slug=org_slug)
        .first()
    )
    if member is None:
        raise Http404("No such organization.")
    return member


def organization_access(
    user, org_slug: str, *, manage: bool = False,
    denied: str = "Only owners and admins can change this organization.",
) -> Member:
    """The user's membership; 404 outside their organizations, 403 (with `denied`) when
    `manage` and the user is not an owner or admin."""
    member = get_membership(user, org_slug)
    if manage and not member.can_manage:
        raise PermissionDenied(denied)
    return member


def get_project(user, org_slug: str, project_slug: str) -> Project:
    project = (
        projects_for(user)
        .select_related("organization")
        .filter(organization__slug=org_slug, slug=project_slug)
        .first()
    )
    if project is None:
        raise Http404("No such project.")
    return project


@dataclass(frozen=True)
class ProjectAccess:
    project: Project
    member: Member

    @property
    def can_manage(self) -> bool:
        return self.member.can_manage


def project_access(
    user, org_slug: str, project_slug: str, *, manage: bool = False,
    denied: str = "Only owners and admins can change project settings.",
) -> ProjectAccess:
    """The project and the user's membership; 404 outside their organizations, 403 (with
    `denied`) when `manage` and the user is not an owner or admin."""
    project = get_project(user, org_slug, project_slug)
    access = ProjectAccess(project, get_membership(user, org_slug))
    if manage:
        require_manager(access, denied)
    return access


def require_manager(access: ProjectAccess, denied: str) -> None:
    """For views that must find the object first: a missing one is a 404 even for members."""
    if not access.can_manage:
        raise PermissionDenied(denied)
