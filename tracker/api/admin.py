"""The administration API, on Sentry's routes and JSON shapes so scripts written for Sentry
work: organizations, teams, projects, client keys, members and the audit log.

Thin views: each route declares its scopes (`@scoped`, as Sentry's permission classes do),
finds objects through tracker.access (another organization's are 404s) and changes them
through the same domain functions as the pages (tracker.provisioning, tracker.members,
tracker.teams, tracker.dsn_keys), so the rules and the audit log are the same whoever asks.
A rule that refuses a change answers 400 with `{"detail": ...}`; a member who may look but
not change gets 403.
"""

from __future__ import annotations

import contextlib

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from rest_framework.decorators import api_view
from rest_framework.exceptions import ParseError, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import audit, dsn_keys, members, platforms, provisioning, teams
from tracker.access import get_membership, organization_access, organizations_for, project_access
from tracker.api import admin_serializers as out
from tracker.api.scopes import scoped
from tracker.models import Invitation, Member, ProjectKey, Team
from tracker.provisioning import slug_for

MANAGE = "Only owners and admins can do this."


def _ip(request: Request) -> str | None:
    return audit.client_ip(request)


def _text(request: Request, field: str, *, required: bool = False, limit: int = 100) -> str:
    value = request.data.get(field, "")
    if not isinstance(value, str):
        raise ParseError(f"{field} must be a string")
    value = value.strip()
    if required and not value:
        raise ParseError(f"{field} is required")
    if len(value) > limit:
        raise ParseError(f"{field} is longer than {limit} characters")
    return value


def _refused(error: Exception) -> Response:
    return Response({"detail": str(error)}, status=400)


# --- organizations -------------------------------------------------------------------------


@api_view(["GET"])
@scoped(GET="org:read")
def organizations(request: Request) -> Response:
    orgs = organizations_for(request.user).order_by("slug")
    token = request.auth
    if getattr(token, "organization_id", None) is not None:
        orgs = orgs.filter(pk=token.organization_id)
    return Response([out.serialize_organization(o) for o in orgs])


@api_view(["GET"])
@scoped(GET="org:read")
def organization(request: Request, org_slug: str) -> Response:
    return Response(out.serialize_organization(get_membership(request.user, org_slug)
                                               .organization))


@api_view(["GET"])
@scoped(GET="org:write")
def audit_logs(request: Request, org_slug: str) -> Response:
    org = organization_access(request.user, org_slug, manage=True, denied=MANAGE).organization
    rows = org.audit_log.select_related("actor")
    if event := request.query_params.get("event"):
        rows = rows.filter(event=event)
    entries = list(rows[:100])
    return Response({"rows": [out.serialize_audit_entry(e) for e in entries],
                     "options": sorted({e.event for e in entries})})


# --- teams ---------------------------------------------------------------------------------


@api_view(["GET", "POST"])
@scoped(GET="team:read", POST="team:write")
def organization_teams(request: Request, org_slug: str) -> Response:
    member = organization_access(request.user, org_slug, manage=request.method == "POST",
                                 denied=MANAGE)
    if request.method == "POST":
        name = _text(request, "name") or _text(request, "slug", required=True)
        try:
            team = teams.create_team(member, name, slug=_text(request, "slug", limit=50),
                                     ip=_ip(request))
        except members.MemberError as error:
            return Response({"detail": str(error)}, status=409)
        return Response(out.serialize_team(team, member), status=201)
    rows = member.organization.teams.prefetch_related("members").order_by("slug")
    return Response([out.serialize_team(t, member) for t in rows])


@api_view(["POST", "DELETE"])
@scoped(POST=("team:write", "member:write"), DELETE=("team:write", "member:write"))
def member_team(request: Request, org_slug: str, member_id: str, team_slug: str) -> Response:
    actor = organization_access(request.user, org_slug, manage=True, denied=MANAGE)
    target = _member(actor, member_id)
    team = get_object_or_404(Team, organization=actor.organization, slug=team_slug)
    if request.method == "POST":
        teams.add_member(actor, team, target, ip=_ip(request))
        return Response(out.serialize_team(team, target), status=201)
    teams.remove_member(actor, team, target, ip=_ip(request))
    return Response(out.serialize_team(team, target))


# --- projects ------------------------------------------------------------------------------


@api_view(["POST"])
@scoped(POST="project:write")
def team_projects(request: Request, org_slug: str, team_slug: str) -> Response:
    member = organization_access(request.user, org_slug, manage=True, denied=MANAGE)
    org = member.organization
    team = get_object_or_404(Team, organization=org, slug=team_slug)
    name = _text(request, "name", required=True)
    slug = _text(request, "slug", limit=50) or slug_for(name)
    if not slug or slug != slug_for(slug):
        raise ParseError("slug may contain only lowercase letters, digits, - and _")
    platform = _text(request, "platform", limit=32)
    if platform and platform not in platforms.PLATFORMS:
        raise ParseError(f"unknown platform {platform!r}")
    try:
        with transaction.atomic():
            project = provisioning.create_project(org, name, platform, team, slug=slug,
                                                  actor=request.user, ip=_ip(request))
    except IntegrityError:
        return Response({"detail": "A project with this slug already exists."}, status=409)
    return Response(out.serialize_project_detail(project), status=201)


@api_view(["GET", "PUT", "DELETE"])
@scoped(GET="project:read", PUT="project:write", DELETE="project:admin")
def project_detail(request: Request, org_slug: str, project_slug: str) -> Response:
    access = project_access(request.user, org_slug, project_slug,
                            manage=request.method != "GET", denied=MANAGE)
    project = access.project
    if request.method == "DELETE":
        provisioning.delete_project(project, request.user, ip=_ip(request))
        return Response(status=204)
    if request.method == "PUT":
        changed = {}
        if "name" in request.data:
            project.name = changed["name"] = _text(request, "name", required=True)
        if "slug" in request.data:
            slug = _text(request, "slug", required=True, limit=50)
            if slug != slug_for(slug):
                raise ParseError("slug may contain only lowercase letters, digits, - and _")
            project.slug = changed["slug"] = slug
        if "platform" in request.data:
            platform = _text(request, "platform", limit=32)
            if platform and platform not in platforms.PLATFORMS:
                raise ParseError(f"unknown platform {platform!r}")
            project.platform = changed["platform"] = platform
        try:
            with transaction.atomic():
                project.save()
        except IntegrityError:
            return Response({"detail": "A project with this slug already exists."},
                            status=409)
        if changed:
            audit.record(project.organization, request.user, "project.edit", target=project,
                         label=project.slug, data=changed, ip=_ip(request))
    return Response(out.serialize_project_detail(project))


# --- client keys ---------------------------------------------------------------------------


def _rate_limit(request: Request, key: ProjectKey | None = None) -> tuple[int | None, int]:
    limit = request.data.get("rateLimit")
    if limit is None:
        return None, key.rate_limit_window if key else 60
    if not isinstance(limit, dict):
        raise ParseError("rateLimit must be an object with window and count")
    count, window = limit.get("count"), limit.get("window", 60)
    for name, value in (("count", count), ("window", window)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ParseError(f"rateLimit.{name} must be a positive integer")
    return count, window or 60


@api_view(["GET", "POST"])
@scoped(GET="project:read", POST="project:write")
def project_keys(request: Request, org_slug: str, project_slug: str) -> Response:
    access = project_access(request.user, org_slug, project_slug,
                            manage=request.method == "POST", denied=MANAGE)
    project = access.project
    if request.method == "POST":
        count, window = _rate_limit(request)
        key = dsn_keys.create_key(project, _text(request, "name", limit=64),
                                  rate_limit_count=count, rate_limit_window=window)
        audit.record(project.organization, request.user, "projectkey.add", target=key,
                     label=f"{project.slug}: {key.label}", ip=_ip(request))
        return Response(out.serialize_key(key), status=201)
    return Response([out.serialize_key(k) for k in project.keys.all()])


@api_view(["GET", "PUT", "DELETE"])
@scoped(GET="project:read", PUT="project:write", DELETE="project:admin")
def project_key(request: Request, org_slug: str, project_slug: str, key_id: str) -> Response:
    access = project_access(request.user, org_slug, project_slug,
                            manage=request.method != "GET", denied=MANAGE)
    project = access.project
    key = get_object_or_404(ProjectKey, project=project, public_key=key_id)
    label = f"{project.slug}: {key.label}"
    if request.method == "DELETE":
        dsn_keys.delete_key(key)
        audit.record(project.organization, request.user, "projectkey.remove", label=label,
                     ip=_ip(request))
        return Response(status=204)
    if request.method == "PUT":
        if "name" in request.data:
            key.label = _text(request, "name", limit=64) or key.label
            key.save(update_fields=["label"])
        if "isActive" in request.data:
            if not isinstance(request.data["isActive"], bool):
                raise ParseError("isActive must be true or false")
            dsn_keys.set_key_active(key, request.data["isActive"])
        if "rateLimit" in request.data:
            dsn_keys.set_rate_limit(key, *_rate_limit(request, key))
        audit.record(project.organization, request.user, "projectkey.edit", target=key,
                     label=label, data={k: request.data[k] for k in ("name", "isActive")
                                        if k in request.data}, ip=_ip(request))
    return Response(out.serialize_key(key))


# --- members -------------------------------------------------------------------------------


def _member(actor: Member, member_id: str) -> Member:
    if member_id == "me":
        return actor
    if not member_id.isdigit():
        raise ParseError("member ids are numbers (or me)")
    return get_object_or_404(Member.objects.select_related("user", "organization"),
                             pk=int(member_id), organization=actor.organization)


@api_view(["GET", "POST"])
@scoped(GET="member:read", POST="member:write")
def organization_members(request: Request, org_slug: str) -> Response:
    actor = organization_access(request.user, org_slug, manage=request.method == "POST",
                                denied=MANAGE)
    org = actor.organization
    if request.method == "POST":
        email = _text(request, "email", required=True, limit=254)
        role = _text(request, "orgRole", limit=16) or _text(request, "role", limit=16) \
            or Member.Role.MEMBER
        team_slugs = request.data.get("teams") or []
        if not isinstance(team_slugs, list) or len(team_slugs) > 1:
            raise ParseError("teams must be a list of at most one team slug")
        team = (get_object_or_404(Team, organization=org, slug=team_slugs[0])
                if team_slugs else None)
        try:
            validate_email(email)
        except ValidationError:
            raise ParseError("email is not a valid address") from None
        try:
            invitation, url = members.invite(actor, email, role, team, ip=_ip(request))
        except members.MemberError as error:
            return _refused(error)
        # A mail server that fails leaves the invitation standing: it can be resent, or its
        # link copied from the members page.
        with contextlib.suppress(OSError):
            members.send_invitation(invitation, url)
        return Response(out.serialize_invitation(invitation), status=201)
    rows = members.organization_members(org).prefetch_related("teams")
    invitations = Invitation.objects.filter(organization=org).select_related("team")
    return Response([out.serialize_member(m) for m in rows]
                    + [out.serialize_invitation(i) for i in invitations])


@api_view(["GET", "PUT", "DELETE"])
@scoped(GET="member:read", PUT="member:write", DELETE="member:admin")
def organization_member(request: Request, org_slug: str, member_id: str) -> Response:
    actor = organization_access(request.user, org_slug)
    if member_id.startswith("invitation-") and request.method == "DELETE":
        invitation = get_object_or_404(Invitation, organization=actor.organization,
                                       pk=int(member_id[11:]) if member_id[11:].isdigit()
                                       else 0)
        try:
            members.revoke(actor, invitation, ip=_ip(request))
        except members.MemberError as error:
            return _refused(error)
        return Response(status=204)
    target = _member(actor, member_id)
    if request.method != "GET" and not actor.can_manage and target.pk != actor.pk:
        raise PermissionDenied(MANAGE)
    try:
        if request.method == "PUT":
            role = _text(request, "orgRole", limit=16) or _text(request, "role", limit=16)
            if role:
                members.change_role(actor, target, role, ip=_ip(request))
        elif request.method == "DELETE":
            members.remove(actor, target, ip=_ip(request))
            return Response(status=204)
    except members.MemberError as error:
        return _refused(error)
    return Response(out.serialize_member(target))

