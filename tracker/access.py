"""Who may see what. Every page and API view goes through these helpers.

Lookups of another organization's objects raise Http404, never 403: guessing ids must not
reveal that something exists. Inside their organization every member may look; changing a
project's settings or alert rules, or adding a project, needs an owner or admin, and a
member's attempt is a 403. Any signed-in user may create an organization (and owns it).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from tracker.models import Member, Organization, Project


def organizations_for(user) -> QuerySet[Organization]:
    return Organization.objects.filter(members__user=user)


def projects_for(user) -> QuerySet[Project]:
    return Project.objects.filter(organization__members__user=user)


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
