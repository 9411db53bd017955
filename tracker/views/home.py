"""The landing page after sign-in: straight to the first project's issues, if there is one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from tracker.access import organizations_for, projects_for


@login_required
def home(request):
    first = (
        projects_for(request.user).select_related("organization")
        .order_by("organization__name", "name").first()
    )
    if first is not None and "projects" not in request.GET:
        return redirect("issues:project", first.organization.slug, first.slug)
    projects = projects_for(request.user).select_related("organization").prefetch_related("keys")
    return render(request, "home.html", {
        "projects": projects, "organizations": organizations_for(request.user),
    })
