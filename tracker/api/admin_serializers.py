"""Sentry-shaped JSON for the administration API: organizations, teams, members, client
keys and audit log entries (projects use tracker.api.serializers). Ids are strings, names
camelCase, times ISO 8601 in UTC, as Sentry's API returns them."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from tracker.api.serializers import iso, serialize_project
from tracker.models import (
    AuditLogEntry,
    Invitation,
    Member,
    Organization,
    Project,
    ProjectKey,
    Team,
)


def serialize_organization(org: Organization) -> dict[str, Any]:
    return {
        "id": str(org.pk), "slug": org.slug, "name": org.name,
        "dateCreated": iso(org.created), "openMembership": org.open_membership,
        "status": {"id": "active", "name": "active"}, "isEarlyAdopter": False,
        "require2FA": False, "features": [], "avatar": {"avatarType": "letter_avatar",
                                                        "avatarUuid": None},
    }


def serialize_team(team: Team, viewer: Member | None = None) -> dict[str, Any]:
    member_ids = {m.pk for m in team.members.all()}
    return {
        "id": str(team.pk), "slug": team.slug, "name": team.name,
        "dateCreated": iso(team.created), "memberCount": len(member_ids),
        "isMember": viewer is not None and viewer.pk in member_ids,
        "hasAccess": True, "isPending": False,
        "avatar": {"avatarType": "letter_avatar", "avatarUuid": None},
    }


def serialize_project_detail(project: Project) -> dict[str, Any]:
    teams = [{"id": str(t.pk), "slug": t.slug, "name": t.name} for t in project.teams.all()]
    return {**serialize_project(project), "team": teams[0] if teams else None, "teams": teams}


def _user(user) -> dict[str, Any]:
    return {"id": str(user.pk), "username": user.get_username(), "email": user.email,
            "name": user.get_full_name() or user.get_username(),
            "isActive": user.is_active}


def serialize_member(member: Member) -> dict[str, Any]:
    user = member.user
    return {
        "id": str(member.pk), "email": user.email, "name": user.get_full_name() or user.email
        or user.get_username(), "user": _user(user), "orgRole": member.role,
        "role": member.role, "roleName": member.get_role_display(), "pending": False,
        "expired": False, "dateCreated": iso(member.created),
        "teams": [t.slug for t in member.teams.all()],
    }


def serialize_invitation(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": f"invitation-{invitation.pk}", "email": invitation.email,
        "name": invitation.email, "user": None, "orgRole": invitation.role,
        "role": invitation.role, "roleName": invitation.get_role_display(), "pending": True,
        "expired": invitation.expires <= timezone.now(), "dateCreated": iso(invitation.created),
        "teams": [invitation.team.slug] if invitation.team else [],
    }


def serialize_key(key: ProjectKey) -> dict[str, Any]:
    dsn = key.dsn
    secret_dsn = dsn.replace(f"{key.public_key}@", f"{key.public_key}:{key.secret_key}@", 1)
    base, _, project_id = dsn.rpartition("/")
    host = base.split("@", 1)[1]
    scheme = base.split("://", 1)[0]
    return {
        "id": key.public_key, "name": key.label, "label": key.label,
        "public": key.public_key, "secret": key.secret_key, "projectId": key.project_id,
        "isActive": key.is_active, "dateCreated": iso(key.created),
        "rateLimit": ({"window": key.rate_limit_window, "count": key.rate_limit_count}
                      if key.rate_limit_count is not None else None),
        "dsn": {
            "public": dsn, "secret": secret_dsn,
            "csp": f"{scheme}://{host}/api/{project_id}/csp-report/?sentry_key={key.public_key}",
            "security": f"{scheme}://{host}/api/{project_id}/security/?sentry_key="
                        f"{key.public_key}",
            "minidump": f"{scheme}://{host}/api/{project_id}/minidump/?sentry_key="
                        f"{key.public_key}",
            "unreal": f"{scheme}://{host}/api/{project_id}/unreal/{key.public_key}/",
            "cdn": None,
        },
    }


def serialize_audit_entry(entry: AuditLogEntry) -> dict[str, Any]:
    actor = entry.actor
    return {
        "id": str(entry.pk),
        "actor": _user(actor) if actor is not None else {"name": entry.actor_label or None},
        "event": entry.event, "ipAddress": entry.ip_address,
        "note": f"{entry.event} {entry.target}".strip(),
        "targetObject": entry.target_object, "targetUser": None, "data": entry.data,
        "dateCreated": iso(entry.created),
    }
