"""Teams: who works on which projects. Owners and admins create teams, set their members
and the projects they reach; without open membership a member sees only their teams'
projects (tracker.access). Each change is in the audit log."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from tracker import audit
from tracker.members import MemberError
from tracker.models import Member, Project, Team
from tracker.provisioning import slug_for


def _require_manager(actor: Member) -> None:
    if not actor.can_manage:
        raise MemberError("Only owners and admins can change teams.")


def create_team(actor: Member, name: str, *, slug: str = "", ip: str | None = None) -> Team:
    _require_manager(actor)
    slug = slug or slug_for(name)
    if not slug:
        raise MemberError("Use at least one letter or digit in the team's name.")
    org = actor.organization
    try:
        with transaction.atomic():
            team = Team.objects.create(organization=org, name=name.strip() or slug, slug=slug)
    except IntegrityError:
        raise MemberError(f"{org.name} already has a team #{slug}.") from None
    audit.record(org, actor.user, "team.add", target=team, label=f"#{slug}", ip=ip)
    return team


def delete_team(actor: Member, team: Team, *, ip: str | None = None) -> None:
    _require_manager(actor)
    if team.projects.exists():
        raise MemberError(f"#{team.slug} still has projects: transfer them first.")
    audit.record(actor.organization, actor.user, "team.remove", target=team,
                 label=f"#{team.slug}", ip=ip)
    team.delete()


def add_member(actor: Member, team: Team, member: Member, *, ip: str | None = None) -> None:
    _require_manager(actor)
    team.members.add(member)
    audit.record(actor.organization, actor.user, "team.edit", target=team,
                 label=f"#{team.slug}", data={"added": member.user.get_username()}, ip=ip)


def remove_member(actor: Member, team: Team, member: Member, *, ip: str | None = None) -> None:
    _require_manager(actor)
    team.members.remove(member)
    audit.record(actor.organization, actor.user, "team.edit", target=team,
                 label=f"#{team.slug}", data={"removed": member.user.get_username()}, ip=ip)


def add_project(actor: Member, team: Team, project: Project, *, ip: str | None = None) -> None:
    _require_manager(actor)
    project.teams.add(team)
    audit.record(actor.organization, actor.user, "team.edit", target=team,
                 label=f"#{team.slug}", data={"project_added": project.slug}, ip=ip)


def remove_project(actor: Member, team: Team, project: Project, *,
                   ip: str | None = None) -> None:
    _require_manager(actor)
    project.teams.remove(team)
    audit.record(actor.organization, actor.user, "team.edit", target=team,
                 label=f"#{team.slug}", data={"project_removed": project.slug}, ip=ip)


@transaction.atomic
def transfer_project(actor: Member, project: Project, team: Team, *,
                     ip: str | None = None) -> None:
    """The project belongs to `team` alone from now on."""
    _require_manager(actor)
    if team.organization_id != project.organization_id:
        raise MemberError("No such team.")
    project.teams.set([team])
    audit.record(actor.organization, actor.user, "project.edit", target=project,
                 label=project.slug, data={"team": team.slug}, ip=ip)
