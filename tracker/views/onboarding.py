"""What a project shows until its first event arrives: the DSN, how to install and set up
the SDK for the project's platform, the sample event button, and a "waiting for the first
event" state that htmx polls until it can link to the issue.

The page is the project's issue list while the project has no issues at all (an unfiltered
list would only say "no issues"); `first_event_status` is the polled part.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tracker import platforms
from tracker.access import project_access
from tracker.models import Issue, Member, Project


def is_waiting(request: HttpRequest, project: Project) -> bool:
    """Show onboarding instead of the issue list? Only for the plain page: a filtered list or
    an htmx request for its rows still gets the list."""
    if request.GET or getattr(request, "htmx", False):
        return False
    return not Issue.objects.filter(project=project).exists()


def first_issue(project: Project) -> Issue | None:
    return Issue.objects.filter(project=project).order_by("pk").first()


def page(request: HttpRequest, member: Member, project: Project) -> HttpResponse:
    key = project.keys.filter(is_active=True).order_by("created", "pk").first()
    platform = platforms.get(project.platform)
    return render(request, "projects/onboarding.html", {
        "org": project.organization, "project": project, "can_manage": member.can_manage,
        "dsn": key.dsn if key else "", "platform": platform,
        "snippet": platform.init_snippet(key.dsn) if key and platform.snippet else "",
        "first_issue": first_issue(project),
        "sourcemap_steps": platforms.sourcemap_steps(
            settings.PUBLIC_URL, project.organization.slug, project.slug)
        if platform.sourcemaps else "",
    })


@login_required
@require_GET
def first_event_status(request: HttpRequest, org_slug: str, project_slug: str) -> HttpResponse:
    """The waiting state, polled every 2 s; once an issue exists the answer carries no
    trigger, which stops the polling."""
    project = project_access(request.user, org_slug, project_slug).project
    return render(request, "projects/onboarding.html#first-event", {
        "org": project.organization, "project": project, "first_issue": first_issue(project),
    })
