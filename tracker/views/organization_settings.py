"""An organization's general settings (name, open membership), its auth tokens for CI and
its audit log. Changing settings, tokens and reading the log need an owner or admin."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker import audit, tokens
from tracker.access import organization_access
from tracker.audit import client_ip
from tracker.members import MemberError
from tracker.models import ApiToken, Organization

TOKEN_KEY = "new_org_token"  # noqa: S105 (a session key, not a secret)


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "open_membership"]
        labels = {"open_membership": "Open membership"}


@login_required
def general(request, org_slug: str):
    member = organization_access(request.user, org_slug, manage=request.method == "POST")
    org = member.organization
    form = OrganizationSettingsForm(request.POST if request.method == "POST" else None,
                                    instance=org)
    if not member.can_manage:
        for field in form.fields.values():
            field.disabled = True
    if form.is_bound and form.is_valid():
        changed = {name: form.cleaned_data[name] for name in form.changed_data}
        form.save()
        if changed:
            audit.record(org, request.user, "org.edit", target=org, label=org.slug,
                         data=changed, ip=client_ip(request))
        messages.success(request, "Organization settings saved.")
        return redirect("org-settings", org_slug=org.slug)
    return render(request, "organizations/settings.html", {
        "org": org, "tab": "general", "can_manage": member.can_manage, "form": form,
    }, status=400 if form.is_bound else 200)


@login_required
def auth_tokens(request, org_slug: str):
    member = organization_access(request.user, org_slug, manage=True,
                                 denied="Only owners and admins manage auth tokens.")
    org = member.organization
    if request.method == "POST":
        try:
            token, plaintext = tokens.create_for_organization(
                member, request.POST.get("name", "")[:100], ip=client_ip(request))
        except MemberError as error:
            messages.error(request, str(error))
        else:
            # Shown once, on the next page: only its hash is kept.
            request.session[TOKEN_KEY] = plaintext
            messages.success(request, f"Auth token “{token.name or token.hint}” created.")
        return redirect("org-auth-tokens", org_slug=org.slug)
    return render(request, "organizations/auth_tokens.html", {
        "org": org, "tab": "tokens", "can_manage": True,
        "tokens": org.auth_tokens.select_related("user"),
        "new_token": request.session.pop(TOKEN_KEY, None),
    })


@login_required
@require_POST
def auth_token_revoke(request, org_slug: str, token_id: int):
    member = organization_access(request.user, org_slug, manage=True,
                                 denied="Only owners and admins manage auth tokens.")
    token = get_object_or_404(ApiToken, pk=token_id, organization=member.organization)
    if not request.POST.get("confirmed"):
        return render(request, "organizations/confirm.html", {
            "org": member.organization, "tab": "tokens", "can_manage": True,
            "question": f"Revoke the auth token “{token.name or token.hint}”?",
            "detail": "CI jobs using it will be refused at once.", "button": "Revoke token",
            "action": request.path, "fields": [],
            "cancel": reverse("org-auth-tokens", args=[org_slug]),
        })
    tokens.revoke_for_organization(member, token, ip=client_ip(request))
    messages.success(request, f"Auth token “{token.name or token.hint}” revoked.")
    return redirect("org-auth-tokens", org_slug=org_slug)


@login_required
def audit_log(request, org_slug: str):
    member = organization_access(request.user, org_slug, manage=True,
                                 denied="Only owners and admins can read the audit log.")
    org = member.organization
    page = Paginator(org.audit_log.all(), 50).get_page(request.GET.get("page"))
    return render(request, "organizations/audit_log.html", {
        "org": org, "tab": "audit", "can_manage": True, "page": page,
    })
