"""An organization's projects: the overview (where sign-in lands), and the pages that create
organizations and projects through tracker.provisioning.

Any signed-in user may create an organization, and becomes its owner. Adding a project needs
an owner or admin of the organization (tracker.access: 404 outside it, 403 for members).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.db.models import Count, Prefetch, QuerySet
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tracker import platforms, provisioning
from tracker.access import organization_access, visible_projects
from tracker.audit import client_ip
from tracker.models import Issue, Project, ProjectKey
from tracker.views.organization_forms import OrganizationForm, ProjectForm


@dataclass(frozen=True)
class ProjectRow:
    project: Project
    platform: str
    issues_24h: int
    dsn: str


def overview_rows(visible: QuerySet[Project]) -> list[ProjectRow]:
    """Each project with its platform, the issues seen in the last 24 hours (merged ones are
    counted in the issue they went into) and the DSN of its oldest active key."""
    projects = list(visible.order_by("name").prefetch_related(Prefetch(
        "keys", queryset=ProjectKey.objects.filter(is_active=True).order_by("created", "pk"),
        to_attr="active_keys",
    )))
    since = timezone.now() - timedelta(hours=24)
    counts = dict(
        Issue.objects.filter(project__in=projects, last_seen__gte=since)
        .exclude(status=Issue.Status.MERGED)
        .values("project").annotate(n=Count("pk")).order_by().values_list("project", "n")
    )
    return [
        ProjectRow(p, platforms.label(p.platform), counts.get(p.pk, 0),
                   p.active_keys[0].dsn if p.active_keys else "")
        for p in projects
    ]


@login_required
@require_GET
def projects_overview(request, org_slug: str):
    member = organization_access(request.user, org_slug)
    org = member.organization
    return render(request, "organizations/projects.html", {
        "org": org, "rows": overview_rows(visible_projects(member)),
        "can_manage": member.can_manage,
    })


@login_required
def new_organization(request):
    form = OrganizationForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            org = provisioning.create_organization(
                form.cleaned_data["name"], request.user, slug=form.slug
            )
        except IntegrityError:
            # Someone took the address between the check and the insert.
            form.add_error("name", "An organization with this address was just created; "
                                   "choose another name.")
        else:
            messages.success(request, f"Organization “{org.name}” created. Add its first "
                                      "project.")
            return redirect("org-new-project", org_slug=org.slug)
    return render(request, "organizations/new.html", {"form": form})


@login_required
def new_project(request, org_slug: str):
    member = organization_access(
        request.user, org_slug, manage=True,
        denied="Only owners and admins can add projects to this organization.",
    )
    org = member.organization
    form = ProjectForm(request.POST if request.method == "POST" else None, organization=org)
    if form.is_bound and form.is_valid():
        try:
            project = provisioning.create_project(
                org, form.cleaned_data["name"], form.cleaned_data["platform"], slug=form.slug,
                actor=request.user, ip=client_ip(request),
            )
        except IntegrityError:
            form.add_error("name", "A project with this address was just created; choose "
                                   "another name.")
        else:
            messages.success(request, f"Project “{project.name}” created.")
            # Its issue list: for a project without events, the onboarding page.
            return redirect("issues:project", org_slug=org.slug, project_slug=project.slug)
    return render(request, "organizations/new_project.html", {"org": org, "form": form})
