"""An organization's members and invitations, and the page an invitation link opens.

Thin views over tracker.members, which holds the rules (who may grant which role, the last
owner, single-use expiring links). Removing a member and revoking an invitation ask first:
the first post answers with a confirmation page, whose button posts `confirmed`.

An invitation's link is shown to the inviter right after creating or resending it (and
mailed): only its hash is stored, so it can't be shown later.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.password_validation import validate_password
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker import members
from tracker.access import organization_access
from tracker.audit import client_ip
from tracker.models import Invitation, Member, Team

LINK_KEY = "invitation_link"


class InviteForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Member.Role.choices, initial=Member.Role.MEMBER)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False,
                                  empty_label="The default team")

    def __init__(self, *args, organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = organization.teams.all()


class AcceptForm(forms.Form):
    name = forms.CharField(max_length=150, required=False, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(
        label="Password again", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        password = data.get("password")
        if password and password != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        elif password:
            try:
                validate_password(password)
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data


def _page(request, member: Member, form: InviteForm, status: int = 200):
    org = member.organization
    link = request.session.pop(LINK_KEY, None)
    return render(request, "members/members.html", {
        "org": org, "member": member, "can_manage": member.can_manage, "tab": "members",
        "members": members.organization_members(org).prefetch_related("teams"),
        "invitations": org.invitations.select_related("team", "invited_by"),
        "roles": Member.Role.choices, "form": form, "link": link,
    }, status=status)


def _send(request, invitation: Invitation, url: str) -> None:
    """Mail the link; a mail server that fails is said on the page, the link still works."""
    request.session[LINK_KEY] = {"email": invitation.email, "url": url}
    try:
        members.send_invitation(invitation, url)
    except OSError as error:
        messages.warning(request, f"The email to {invitation.email} could not be sent "
                                  f"({error}); copy the link below and send it yourself.")
    else:
        messages.success(request, f"Invitation sent to {invitation.email}.")


@login_required
def member_list(request, org_slug: str):
    member = organization_access(
        request.user, org_slug, manage=request.method == "POST",
        denied="Only owners and admins can invite members.",
    )
    form = InviteForm(request.POST if request.method == "POST" else None,
                      organization=member.organization)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            invitation, url = members.invite(member, data["email"], data["role"], data["team"],
                                             ip=client_ip(request))
        except members.MemberError as error:
            form.add_error(None, str(error))
        else:
            _send(request, invitation, url)
            return redirect("org-members", org_slug=org_slug)
    return _page(request, member, form, status=400 if form.is_bound else 200)


def _target(actor: Member, member_id: int) -> Member:
    return get_object_or_404(Member.objects.select_related("user", "organization"),
                             pk=member_id, organization=actor.organization)


def _confirm(request, org, question: str, detail: str, button: str, fields=()):
    return render(request, "organizations/confirm.html", {
        "org": org, "question": question, "detail": detail, "button": button,
        "action": request.path, "fields": fields, "tab": "members",
        "cancel": reverse("org-members", args=[org.slug]),
    })


@login_required
@require_POST
def member_role(request, org_slug: str, member_id: int):
    actor = organization_access(request.user, org_slug)
    target = _target(actor, member_id)
    try:
        members.change_role(actor, target, request.POST.get("role", ""), ip=client_ip(request))
    except members.MemberError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{target.user.get_username()} is now {target.role}.")
    return redirect("org-members", org_slug=org_slug)


@login_required
@require_POST
def member_remove(request, org_slug: str, member_id: int):
    actor = organization_access(request.user, org_slug)
    target = _target(actor, member_id)
    name = target.user.get_username()
    if not request.POST.get("confirmed"):
        leaving = target.pk == actor.pk
        return _confirm(
            request, actor.organization,
            "Leave the organization?" if leaving else f"Remove {name}?",
            f"{name} loses access to {actor.organization.name}; their issue assignments are "
            "cleared, their comments and history stay.",
            "Leave" if leaving else "Remove member",
        )
    try:
        members.remove(actor, target, ip=client_ip(request))
    except members.MemberError as error:
        messages.error(request, str(error))
        return redirect("org-members", org_slug=org_slug)
    messages.success(request, f"{name} was removed from {actor.organization.name}.")
    if target.pk == actor.pk:
        return redirect("home")
    return redirect("org-members", org_slug=org_slug)


def _invitation(actor: Member, invitation_id: int) -> Invitation:
    return get_object_or_404(Invitation.objects.select_related("organization", "team"),
                             pk=invitation_id, organization=actor.organization)


@login_required
@require_POST
def invitation_resend(request, org_slug: str, invitation_id: int):
    actor = organization_access(request.user, org_slug, manage=True,
                                denied="Only owners and admins can resend invitations.")
    invitation = _invitation(actor, invitation_id)
    try:
        url = members.renew(actor, invitation)
    except members.MemberError as error:
        messages.error(request, str(error))
    else:
        _send(request, invitation, url)
    return redirect("org-members", org_slug=org_slug)


@login_required
@require_POST
def invitation_revoke(request, org_slug: str, invitation_id: int):
    actor = organization_access(request.user, org_slug, manage=True,
                                denied="Only owners and admins can revoke invitations.")
    invitation = _invitation(actor, invitation_id)
    if not request.POST.get("confirmed"):
        return _confirm(request, actor.organization,
                        f"Revoke the invitation to {invitation.email}?",
                        "Its link stops working at once.", "Revoke invitation")
    try:
        members.revoke(actor, invitation, ip=client_ip(request))
    except members.MemberError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"The invitation to {invitation.email} was revoked.")
    return redirect("org-members", org_slug=org_slug)


def accept_invitation(request, token: str):
    """The link in an invitation: join as the signed-in user (with the invited address), sign
    in first (an account with that address exists), or create the account here."""
    invitation = members.find_invitation(token)
    if invitation is None:
        return render(request, "members/accept.html", {"invalid": True}, status=404)
    context = {"invitation": invitation, "org": invitation.organization}
    user = request.user
    if user.is_authenticated:
        if (user.email or "").lower() != invitation.email.lower():
            context["wrong_user"] = True
            return render(request, "members/accept.html", context, status=403)
        if request.method == "POST":
            try:
                members.accept(invitation, user)
            except members.MemberError as error:
                context["error"] = str(error)
                return render(request, "members/accept.html", context, status=409)
            messages.success(request, f"Welcome to {invitation.organization.name}.")
            return redirect("org-projects", org_slug=invitation.organization.slug)
        return render(request, "members/accept.html", context)
    if get_user_model().objects.filter(email__iexact=invitation.email).exists():
        context["sign_in"] = reverse("login") + "?next=" + request.path
        return render(request, "members/accept.html", context)
    form = AcceptForm(request.POST if request.method == "POST" else None, email=invitation.email)
    if form.is_bound and form.is_valid():
        new_user = members.create_invited_user(invitation, form.cleaned_data["password"],
                                               form.cleaned_data["name"])
        members.accept(invitation, new_user)
        logout(request)
        login(request, new_user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"Welcome to {invitation.organization.name}. You sign in "
                                  f"as {new_user.get_username()}.")
        return redirect("org-projects", org_slug=invitation.organization.slug)
    context["form"] = form
    return render(request, "members/accept.html", context, status=400 if form.is_bound else 200)
