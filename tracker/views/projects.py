"""Project settings: general (origins, crash reports, quotas, sample event), grouping rules,
discarded fingerprints. DSN keys are in `project_keys`, outcome stats in `stats`.

Every member of the organization may look; owners and admins may change things. Another
organization's project is a 404 (tracker.access), a member's attempt to change one a 403.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from ingest.public import send_sample_event
from tracker import discards
from tracker.access import ProjectAccess, project_access
from tracker.models import Attachment, DiscardedFingerprint, Event, Project
from tracker.views.project_forms import CrashReportForm, OriginsForm, QuotaForm, RulesForm


def read_only(access: ProjectAccess, *forms) -> None:
    """Members see the settings, but not as something they could change."""
    if not access.can_manage:
        for form in forms:
            for field in form.fields.values():
                field.disabled = True


def settings_context(access: ProjectAccess, tab: str, **extra) -> dict:
    return {"project": access.project, "org": access.project.organization,
            "can_manage": access.can_manage, "tab": tab, **extra}


def _back(access: ProjectAccess, name: str):
    org = access.project.organization
    return redirect(name, org_slug=org.slug, project_slug=access.project.slug)


# --- General -----------------------------------------------------------------------------

_SECTIONS = ("origins", "crash_reports", "quotas")


def _general_forms(project: Project, posted: str = "", data=None) -> dict:
    """One form per section; only the posted one is bound, the others show current values."""
    return {
        "origins": OriginsForm(
            data if posted == "origins" else None,
            initial={"allowed_origins": project.allowed_origins},
        ),
        "crash_reports": CrashReportForm.for_project(
            project, data if posted == "crash_reports" else None
        ),
        "quotas": QuotaForm(data if posted == "quotas" else None, instance=project),
    }


@login_required
def general(request, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug, manage=request.method == "POST")
    project = access.project
    posted = request.POST.get("section", "") if request.method == "POST" else ""
    if request.method == "POST" and posted not in _SECTIONS:
        return HttpResponse("Unknown settings section.", status=400)
    forms = _general_forms(project, posted, request.POST)
    read_only(access, *forms.values())
    if posted and forms[posted].is_valid():
        _save_general(project, posted, forms[posted])
        messages.success(request, "Settings saved.")
        return _back(access, "project-settings")
    context = settings_context(
        access, "general", forms=forms, sample=_sample_status(request, project),
        org_crash_limit=project.organization.crash_report_limit,
    )
    return render(request, "projects/general.html", context)


def _save_general(project: Project, section: str, form) -> None:
    if section == "origins":
        project.allowed_origins = form.cleaned_data["allowed_origins"]
        project.save(update_fields=["allowed_origins"])
    elif section == "crash_reports":
        project.crash_report_limit = form.value
        project.save(update_fields=["crash_report_limit"])
    else:
        # The ModelForm has set the fields on the project; write only those, so a concurrent
        # change to other settings is not overwritten with what this page loaded.
        project.save(update_fields=QuotaForm.Meta.fields)


# --- Sample event --------------------------------------------------------------------------

def _sample_session_key(project: Project) -> str:
    return f"sample-event:{project.pk}"


@login_required
@require_POST
def sample_event(request, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug, manage=True)
    event_id = send_sample_event(access.project)
    request.session[_sample_session_key(access.project)] = event_id
    messages.success(request, f"Sample event {event_id} sent.")
    # The onboarding page (a new project's issue list) has the button too, and watches for
    # the event itself.
    if request.POST.get("next") == "issues":
        return _back(access, "issues:project")
    return _back(access, "project-settings")


@login_required
@require_GET
@vary_on_headers("HX-Request")
def sample_event_status(request, org_slug: str, project_slug: str):
    """The sample event's progress, polled by htmx until the worker has stored it."""
    access = project_access(request.user, org_slug, project_slug)
    context = settings_context(access, "general", sample=_sample_status(request, access.project))
    return render(request, "projects/general.html#sample-status", context)


def _sample_status(request, project: Project) -> dict | None:
    event_id = request.session.get(_sample_session_key(project))
    if not event_id:
        return None
    try:
        uuid.UUID(event_id)
    except ValueError:
        return None
    event = (
        Event.objects.select_related("issue__project")
        .filter(project=project, event_id=event_id)
        .first()
    )
    issue = event.issue if event is not None else None
    return {"event_id": event_id, "issue": issue, "issue_url": _issue_url(issue)}


def _issue_url(issue) -> str | None:
    """The issue page (the issues area's URL), if it is installed."""
    if issue is None:
        return None
    try:
        return reverse("issues:detail", kwargs={
            "org_slug": issue.project.organization.slug, "issue_id": issue.pk})
    except NoReverseMatch:
        return None


# --- Grouping rules ------------------------------------------------------------------------

@login_required
def rules(request, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug, manage=request.method == "POST")
    form = RulesForm(request.POST if request.method == "POST" else None,
                     instance=access.project)
    read_only(access, form)
    if form.is_bound and form.is_valid():
        access.project.save(update_fields=RulesForm.Meta.fields)
        messages.success(request, "Grouping rules saved. They apply to new events.")
        return _back(access, "project-rules")
    return render(request, "projects/rules.html", settings_context(access, "rules", form=form))


# --- Discarded fingerprints ----------------------------------------------------------------

@login_required
@require_GET
def discarded(request, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug)
    fingerprints = (
        DiscardedFingerprint.objects.filter(project=access.project)
        .select_related("actor")
        .order_by("-created", "-id")
    )
    return render(request, "projects/discarded.html",
                  settings_context(access, "discarded", fingerprints=fingerprints))


# --- Attachments without their event -------------------------------------------------------

@login_required
@require_GET
def orphan_attachments(request, org_slug: str, project_slug: str):
    """Attachments sent apart from their event (ingest.digest.apart) whose event is not
    stored: those past the window are orphans, the others still wait for it."""
    access = project_access(request.user, org_slug, project_slug)
    boundary = timezone.now() - timedelta(seconds=settings.ERRATA["ORPHAN_ATTACHMENT_WINDOW"])
    without_event = Attachment.objects.filter(
        project=access.project, issue__isnull=True).order_by("-created", "-pk")
    return render(request, "projects/orphans.html", settings_context(
        access, "orphans",
        orphans=without_event.filter(created__lt=boundary)[:200],
        waiting=without_event.filter(created__gte=boundary)[:200],
        window_minutes=settings.ERRATA["ORPHAN_ATTACHMENT_WINDOW"] // 60,
    ))


@login_required
@require_POST
@vary_on_headers("HX-Request")
def undiscard(request, org_slug: str, project_slug: str, fingerprint_id: int):
    access = project_access(request.user, org_slug, project_slug, manage=True)
    fingerprint = get_object_or_404(
        DiscardedFingerprint, project=access.project, pk=fingerprint_id
    )
    discards.undiscard(fingerprint, request.user)
    if request.htmx:
        return HttpResponse("")  # the row goes away
    messages.success(
        request, f"No longer discarding “{fingerprint.title}”; new events create a new issue."
    )
    return _back(access, "project-discarded")
