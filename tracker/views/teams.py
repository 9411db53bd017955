"""Teams of an organization: the list (with a form to create one) and a team's page, where
owners and admins add and remove members and projects. Thin views over tracker.teams."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker import teams
from tracker.access import organization_access, project_access
from tracker.audit import client_ip
from tracker.members import MemberError
from tracker.models import Member, Project, Team


class TeamForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="E.g. “Backend”; its handle is made from it.")


@login_required
def team_list(request, org_slug: str):
    member = organization_access(request.user, org_slug, manage=request.method == "POST",
                                 denied="Only owners and admins can create teams.")
    org = member.organization
    form = TeamForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            team = teams.create_team(member, form.cleaned_data["name"], ip=client_ip(request))
        except MemberError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Team #{team.slug} created.")
            return redirect("org-team", org_slug=org_slug, team_slug=team.slug)
    return render(request, "teams/list.html", {
        "org": org, "tab": "teams", "can_manage": member.can_manage, "form": form,
        "teams": org.teams.prefetch_related("members__user", "projects"),
    }, status=400 if form.is_bound else 200)


@login_required
def team_detail(request, org_slug: str, team_slug: str):
    member = organization_access(request.user, org_slug)
    org = member.organization
    team = get_object_or_404(Team, organization=org, slug=team_slug)
    team_members = list(team.members.select_related("user").order_by("user__username"))
    team_projects = list(team.projects.order_by("name"))
    return render(request, "teams/detail.html", {
        "org": org, "tab": "teams", "can_manage": member.can_manage, "team": team,
        "team_members": team_members, "team_projects": team_projects,
        "other_members": Member.objects.filter(organization=org).exclude(
            pk__in=[m.pk for m in team_members]).select_related("user").order_by("user__username"),
        "other_projects": org.projects.exclude(
            pk__in=[p.pk for p in team_projects]).order_by("name"),
    })


@login_required
@require_POST
def team_change(request, org_slug: str, team_slug: str):
    """One form per change: `add_member`, `remove_member`, `add_project`, `remove_project` (an
    id each), or `delete`; removals and deleting the team ask first."""
    actor = organization_access(request.user, org_slug, manage=True,
                                denied="Only owners and admins can change teams.")
    org = actor.organization
    team = get_object_or_404(Team, organization=org, slug=team_slug)
    back = redirect("org-team", org_slug=org_slug, team_slug=team.slug)
    post, ip = request.POST, client_ip(request)

    def pick(model, field):
        value = post.get(field, "")
        if not value.isdigit():
            return None
        return get_object_or_404(model, organization=org, pk=int(value))

    try:
        if "delete" in post:
            if not post.get("confirmed"):
                return _confirm(request, org, team, f"Delete the team #{team.slug}?",
                                "Its members stay in the organization.", "Delete team",
                                [("delete", "1")])
            teams.delete_team(actor, team, ip=ip)
            messages.success(request, f"Team #{team.slug} deleted.")
            return redirect("org-teams", org_slug=org_slug)
        if (m := pick(Member, "add_member")) is not None:
            teams.add_member(actor, team, m, ip=ip)
            messages.success(request, f"{m.user.get_username()} joined #{team.slug}.")
        elif (m := pick(Member, "remove_member")) is not None:
            if not post.get("confirmed"):
                return _confirm(request, org, team,
                                f"Remove {m.user.get_username()} from #{team.slug}?",
                                "Without open membership they stop seeing the team's projects.",
                                "Remove from team", [("remove_member", m.pk)])
            teams.remove_member(actor, team, m, ip=ip)
            messages.success(request, f"{m.user.get_username()} left #{team.slug}.")
        elif (p := pick(Project, "add_project")) is not None:
            teams.add_project(actor, team, p, ip=ip)
            messages.success(request, f"#{team.slug} now has access to {p.name}.")
        elif (p := pick(Project, "remove_project")) is not None:
            if not post.get("confirmed"):
                return _confirm(request, org, team,
                                f"Take {p.name} away from #{team.slug}?",
                                "Without open membership the team's members stop seeing it.",
                                "Remove access", [("remove_project", p.pk)])
            teams.remove_project(actor, team, p, ip=ip)
            messages.success(request, f"#{team.slug} no longer has access to {p.name}.")
        else:
            messages.error(request, "Choose a member or a project first.")
    except MemberError as error:
        messages.error(request, str(error))
    return back


def _confirm(request, org, team, question, detail, button, fields):
    return render(request, "organizations/confirm.html", {
        "org": org, "tab": "teams", "question": question, "detail": detail, "button": button,
        "action": request.path, "fields": fields, "can_manage": True,
        "cancel": reverse("org-team", args=[org.slug, team.slug]),
    })


@login_required
@require_POST
def project_transfer(request, org_slug: str, project_slug: str):
    """Project settings: give the project to another team (it leaves its current ones); asks
    first, since members of the old teams may stop seeing it."""
    access = project_access(request.user, org_slug, project_slug, manage=True)
    project, org = access.project, access.project.organization
    team = Team.objects.filter(organization=org, slug=request.POST.get("team", "")).first()
    back = redirect("project-settings", org_slug=org_slug, project_slug=project.slug)
    if team is None:
        messages.error(request, "Choose a team of this organization.")
        return back
    if not request.POST.get("confirmed"):
        return render(request, "organizations/confirm.html", {
            "org": org, "tab": "teams", "can_manage": True,
            "question": f"Transfer {project.name} to #{team.slug}?",
            "detail": "It leaves its current teams; without open membership their members "
                      "stop seeing it.",
            "button": "Transfer project", "action": request.path, "fields": [("team", team.slug)],
            "cancel": reverse("project-settings", args=[org_slug, project.slug]),
        })
    teams.transfer_project(access.member, project, team, ip=client_ip(request))
    messages.success(request, f"{project.name} now belongs to #{team.slug}.")
    return back
