"""Project settings: DSN keys (list, create, enable/disable, rate limit, rotate).

Plain forms that post and redirect; with htmx, enabling, disabling and rate limits swap just
the key's row (`projects/keys.html#key-row`). Disabling and rotating ask first: htmx with
hx-confirm (which sends `confirmed`), without JavaScript on `projects/key_confirm.html`.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from tracker import dsn_keys
from tracker.access import ProjectAccess, project_access
from tracker.models import ProjectKey
from tracker.views.project_forms import KeyForm, RateLimitForm
from tracker.views.projects import read_only, settings_context


def _redirect(access: ProjectAccess):
    org = access.project.organization
    return redirect("project-keys", org_slug=org.slug, project_slug=access.project.slug)


def _rate_form(key: ProjectKey, data=None) -> RateLimitForm:
    form = RateLimitForm(data, initial={"rate_limit_count": key.rate_limit_count,
                                        "rate_limit_window": key.rate_limit_window})
    field = form.fields["rate_limit_window"]
    if key.rate_limit_window not in dict(field.choices):
        # A window set elsewhere (admin, API) must survive saving the count.
        field.choices = [*field.choices, (key.rate_limit_window,
                                          f"per {key.rate_limit_window} s")]
    return form


def _rows(keys, bound: dict | None = None) -> list[dict]:
    bound = bound or {}
    return [{"key": k, "rate_form": bound.get(k.pk) or _rate_form(k)} for k in keys]


@login_required
def keys(request, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug, manage=request.method == "POST")
    form = KeyForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        key = dsn_keys.create_key(
            access.project, form.cleaned_data["label"],
            rate_limit_count=form.cleaned_data["rate_limit_count"],
            rate_limit_window=form.cleaned_data["rate_limit_window"],
        )
        messages.success(request, f"Key “{key.label}” created.")
        return _redirect(access)
    rows = _rows(access.project.keys.all())
    read_only(access, *(row["rate_form"] for row in rows))
    return render(request, "projects/keys.html",
                  settings_context(access, "keys", rows=rows, form=form))


def _key(access: ProjectAccess, key_id: int) -> ProjectKey:
    return get_object_or_404(ProjectKey, project=access.project, pk=key_id)


def _confirm(request, access: ProjectAccess, key: ProjectKey, *, question: str, button: str,
             fields: dict | None = None):
    """Nothing changes on an unconfirmed post: this page asks, and posts back `confirmed`."""
    return render(request, "projects/key_confirm.html", settings_context(
        access, "keys", key=key, question=question, button=button, action=request.path,
        fields=(fields or {}).items(),
    ))


def _row_or_redirect(request, access: ProjectAccess, key: ProjectKey, *, message: str = "",
                     rate_form=None):
    """htmx swaps the row, which shows the change itself; a full page gets a message."""
    if request.htmx:
        row = {"key": key, "rate_form": rate_form or _rate_form(key), "saved": message}
        return render(request, "projects/keys.html#key-row",
                      settings_context(access, "keys", row=row))
    if message:
        messages.success(request, message)
    return _redirect(access)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def key_active(request, org_slug: str, project_slug: str, key_id: int):
    access = project_access(request.user, org_slug, project_slug, manage=True)
    key = _key(access, key_id)
    active = request.POST.get("active") == "1"
    if not active and key.is_active and not request.POST.get("confirmed"):
        return _confirm(request, access, key, question=f"Disable the key “{key.label}”?",
                        button="Disable key", fields={"active": "0"})
    dsn_keys.set_key_active(key, active)
    return _row_or_redirect(
        request, access, key, message=f"Key “{key.label}” {'enabled' if active else 'disabled'}."
    )


@login_required
@require_POST
@vary_on_headers("HX-Request")
def key_rate_limit(request, org_slug: str, project_slug: str, key_id: int):
    access = project_access(request.user, org_slug, project_slug, manage=True)
    key = _key(access, key_id)
    form = _rate_form(key, request.POST)
    if not form.is_valid():
        if request.htmx:
            return _row_or_redirect(request, access, key, rate_form=form)
        rows = _rows(access.project.keys.all(), {key.pk: form})
        return render(request, "projects/keys.html",
                      settings_context(access, "keys", rows=rows, form=KeyForm()))
    dsn_keys.set_rate_limit(
        key, form.cleaned_data["rate_limit_count"], form.cleaned_data["rate_limit_window"]
    )
    return _row_or_redirect(request, access, key, message=f"Rate limit of “{key.label}” saved.")


@login_required
@require_POST
@vary_on_headers("HX-Request")
def key_rotate(request, org_slug: str, project_slug: str, key_id: int):
    access = project_access(request.user, org_slug, project_slug, manage=True)
    key = _key(access, key_id)
    if not request.POST.get("confirmed"):
        return _confirm(request, access, key, question=f"Rotate the key “{key.label}”?",
                        button="Rotate key")
    new = dsn_keys.rotate_key(key)
    messages.success(
        request, f"Key rotated. Update your SDKs to the new DSN: {new.dsn} "
        "(the old key is disabled; enable it again if a client still needs it)."
    )
    page = _redirect(access)
    return HttpResponseClientRedirect(page.url) if request.htmx else page
