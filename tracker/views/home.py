"""The landing page after sign-in: the projects overview of the user's first organization,
or, for someone in none yet, a page that offers to create one."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from tracker.access import organizations_for


@login_required
@require_GET
def home(request):
    org = organizations_for(request.user).order_by("name", "pk").first()
    if org is not None:
        return redirect("org-projects", org_slug=org.slug)
    return render(request, "home.html")


@require_GET
def favicon(request):
    # Browsers ask for /favicon.ico whatever the page links; send them to the SVG icon
    # rather than fill the logs with 404s.
    return redirect(static("favicon.svg"))
