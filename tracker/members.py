"""Members of an organization: invitations, roles and removal.

The pages (tracker/views/members.py) and the API (tracker/api/admin.py) both call these
functions, which enforce the rules whoever asks:

- owners and admins invite, change roles and remove; only owners grant or take the owner role;
- nobody raises their own role;
- the last owner can't be demoted or removed, so an organization always has someone in charge;
- an invitation link is single-use, expires after INVITATION_DAYS and works only for the
  invited address; only its hash is stored, so resending makes a new link.

Removing a member clears their issue assignments in that organization and keeps their
activity (comments, history), which still names them.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from tracker import audit
from tracker.models import Invitation, Issue, Member, Organization, Team
from tracker.provisioning import default_team

INVITATION_DAYS = 7
Role = Member.Role


class MemberError(ValueError):
    """A rule refused the change; the message says which, in words for the user."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_url(token: str) -> str:
    return settings.PUBLIC_URL + reverse("accept-invitation", args=[token])


def check_grant(actor: Member, role: str, *, target: Member | None = None) -> None:
    """May `actor` give `role` (to `target`, an existing member)?"""
    if role not in Role.values:
        raise MemberError(f"Unknown role “{role}”: use owner, admin or member.")
    if not actor.can_manage:
        raise MemberError("Only owners and admins can manage members.")
    if target is not None and target.pk == actor.pk and _rank(role) > _rank(actor.role):
        raise MemberError("You can't raise your own role.")
    if Role.OWNER in (role, getattr(target, "role", None)) and actor.role != Role.OWNER:
        raise MemberError("Only owners can grant or change the owner role.")


def _rank(role: str) -> int:
    return {Role.MEMBER: 0, Role.ADMIN: 1, Role.OWNER: 2}[role]


def _is_last_owner(member: Member) -> bool:
    return member.role == Role.OWNER and not Member.objects.filter(
        organization_id=member.organization_id, role=Role.OWNER
    ).exclude(pk=member.pk).exists()


# --- invitations ---------------------------------------------------------------------------


@transaction.atomic
def invite(actor: Member, email: str, role: str, team: Team | None = None, *,
           ip: str | None = None) -> tuple[Invitation, str]:
    """Create an invitation and return it with its link; the caller sends or shows it."""
    org = actor.organization
    email = email.strip()
    check_grant(actor, role)
    if Member.objects.filter(organization=org, user__email__iexact=email).exists():
        raise MemberError(f"{email} is already a member of {org.name}.")
    if Invitation.objects.filter(organization=org, email__iexact=email).exists():
        raise MemberError(f"{email} is already invited; resend the invitation instead.")
    if team is not None and team.organization_id != org.pk:
        raise MemberError("No such team.")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=org, email=email, role=role, team=team or default_team(org),
        token_hash=_hash(token), invited_by=actor.user,
        expires=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    audit.record(org, actor.user, "member.invite", target=invitation, label=email,
                 data={"email": email, "role": role}, ip=ip)
    return invitation, invitation_url(token)


@transaction.atomic
def renew(actor: Member, invitation: Invitation) -> str:
    """A new link (the old one stops working) and a fresh expiry; returns the link."""
    check_grant(actor, invitation.role)
    token = secrets.token_urlsafe(32)
    invitation.token_hash = _hash(token)
    invitation.expires = timezone.now() + timedelta(days=INVITATION_DAYS)
    invitation.save(update_fields=["token_hash", "expires"])
    return invitation_url(token)


def revoke(actor: Member, invitation: Invitation, *, ip: str | None = None) -> None:
    check_grant(actor, invitation.role)
    audit.record(actor.organization, actor.user, "member.remove", label=invitation.email,
                 data={"email": invitation.email, "invitation": True}, ip=ip)
    invitation.delete()


def send_invitation(invitation: Invitation, url: str) -> None:
    """Mail the link to the invited address (raises if the mail server refuses)."""
    context = {"invitation": invitation, "org": invitation.organization, "url": url,
               "inviter": invitation.invited_by, "days": INVITATION_DAYS}
    mail = EmailMultiAlternatives(
        subject=f"Join {invitation.organization.name} on Errata",
        body=render_to_string("members/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[invitation.email],
    )
    mail.attach_alternative(render_to_string("members/email/invitation.html", context),
                            "text/html")
    mail.send()


def find_invitation(token: str) -> Invitation | None:
    """The invitation a link names, if it is still pending and not expired."""
    invitation = (
        Invitation.objects.select_related("organization", "team")
        .filter(token_hash=_hash(token)).first()
    )
    if invitation is None or invitation.expires <= timezone.now():
        return None
    return invitation


@transaction.atomic
def accept(invitation: Invitation, user) -> Member:
    """Make `user` (who must have the invited address) a member; the invitation is used up."""
    if (user.email or "").lower() != invitation.email.lower():
        raise MemberError(f"This invitation is for {invitation.email}.")
    invitation = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if invitation is None:
        raise MemberError("This invitation has already been used.")
    org = invitation.organization
    member, _ = Member.objects.get_or_create(
        organization=org, user=user, defaults={"role": invitation.role}
    )
    if invitation.team is not None:
        invitation.team.members.add(member)
    audit.record(org, user, "member.accept-invite", target=member, label=user.email,
                 data={"role": member.role})
    invitation.delete()
    return member


def create_invited_user(invitation: Invitation, password: str, name: str = ""):
    """The account of an invited address that has none yet: its username is the address."""
    first, _, last = name.strip().partition(" ")
    return get_user_model().objects.create_user(
        invitation.email, email=invitation.email, password=password,
        first_name=first[:150], last_name=last[:150],
    )


# --- members -------------------------------------------------------------------------------


@transaction.atomic
def change_role(actor: Member, member: Member, role: str, *, ip: str | None = None) -> Member:
    check_grant(actor, role, target=member)
    if member.role == Role.OWNER and role != Role.OWNER and _is_last_owner(member):
        raise MemberError(f"{member.user.get_username()} is the last owner of "
                          f"{member.organization.name}: make someone else owner first.")
    old = member.role
    member.role = role
    member.save(update_fields=["role"])
    audit.record(member.organization, actor.user, "member.edit", target=member,
                 label=member.user.get_username(), data={"role": role, "old_role": old}, ip=ip)
    return member


@transaction.atomic
def remove(actor: Member, member: Member, *, ip: str | None = None) -> None:
    """Remove a member: their assignments in the organization are cleared, their activity
    stays. Anyone may leave; removing others needs an owner or admin (an owner for owners)."""
    if member.pk != actor.pk:
        check_grant(actor, member.role, target=member)
    if _is_last_owner(member):
        raise MemberError(f"{member.user.get_username()} is the last owner of "
                          f"{member.organization.name}: make someone else owner first.")
    Issue.objects.filter(project__organization_id=member.organization_id,
                         assignee_id=member.user_id).update(assignee=None)
    audit.record(member.organization, actor.user, "member.remove", target=member,
                 label=member.user.get_username(), data={"role": member.role}, ip=ip)
    member.delete()


def organization_members(org: Organization):
    return Member.objects.filter(organization=org).select_related("user").order_by(
        "user__username")
