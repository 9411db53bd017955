"""The organization and project switcher in the top bar."""

from __future__ import annotations

from itertools import groupby

from django import template

from tracker.access import projects_for

register = template.Library()


@register.inclusion_tag("issues/_switcher.html", takes_context=True)
def switcher(context) -> dict:
    """The user's projects grouped by organization, and which one the page is about.

    One query per page; pages pass `org` and `project` in their context, other pages are
    recognized by their URL's `org_slug` and `project_slug`.
    """
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"groups": [], "current_org": None, "current_project": None}
    kwargs = getattr(getattr(request, "resolver_match", None), "kwargs", {}) or {}
    org = context.get("org")
    project = context.get("project")
    org_slug = getattr(org, "slug", None) or kwargs.get("org_slug", "")
    project_slug = getattr(project, "slug", None) or kwargs.get("project_slug", "")
    projects = projects_for(request.user).select_related("organization").order_by(
        "organization__name", "name"
    )
    groups = [
        (organization, list(items))
        for organization, items in groupby(projects, key=lambda p: p.organization)
    ]
    current_org = next((o for o, _ in groups if o.slug == org_slug), None)
    current_project = next(
        (p for _, items in groups for p in items
         if current_org and p.organization_id == current_org.pk and p.slug == project_slug),
        None,
    )
    return {"groups": groups, "current_org": current_org, "current_project": current_project}
