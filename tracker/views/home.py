"""The landing page after sign-in: the user's organizations and projects."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from tracker.access import projects_for


@login_required
def home(request):
    projects = projects_for(request.user).select_related("organization").prefetch_related("keys")
    return render(request, "home.html", {"projects": projects})
