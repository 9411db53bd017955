"""Who may see what. Every page and API view goes through these helpers.

Lookups of another organization's objects raise Http404, never 403: guessing ids must not
reveal that something exists.
"""

from __future__ import annotations

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
