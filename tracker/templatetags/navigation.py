"""The organization and project switcher in the top bar."""

from __future__ import annotations

from django import template

from tracker.access import organizations_for, projects_for
from tracker.models import Organization, Project

register = template.Library()


@register.inclusion_tag("issues/_switcher.html", takes_context=True)
def switcher(context) -> dict:
    """The user's organizations with their projects, and which one the page is about.

    Two queries per page; pages pass `org` and `project` in their context, other pages are
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
    groups = _groups(request.user)
    current_org = next((o for o, _ in groups if o.slug == org_slug), None)
    current_project = next(
        (p for _, items in groups for p in items
         if current_org and p.organization_id == current_org.pk and p.slug == project_slug),
        None,
    )
    return {"groups": groups, "current_org": current_org, "current_project": current_project,
            "section": section(getattr(request, "resolver_match", None))}


# URL names (or namespaces) -> the navigation item they belong to.
_SECTIONS = {
    "issues": "issues", "alerts": "alerts", "project-stats": "stats",
    "project-settings": "settings", "project-sample-event": "settings",
    "project-sample-status": "settings", "project-keys": "settings",
    "project-key-active": "settings", "project-key-rate-limit": "settings",
    "project-key-rotate": "settings", "project-rules": "settings",
    "project-discarded": "settings", "project-undiscard": "settings",
    "org-projects": "projects", "org-new-project": "projects",
    "project-releases": "releases", "release-detail": "releases",
}


def section(match) -> str:
    """Which navigation item the page is under: the URL's namespace, else its name."""
    if match is None:
        return ""
    return _SECTIONS.get(match.namespace) or _SECTIONS.get(match.url_name or "", "")


def _groups(user) -> list[tuple[Organization, list[Project]]]:
    """Organizations by name, each with the projects the user sees by name, from two queries
    (the rows, and the visible project ids). The join from organizations lists those without
    projects too (a new organization's overview must be reachable); the rows carry only what
    the menu shows."""
    rows = organizations_for(user).order_by("name", "pk", "projects__name").values_list(
        "pk", "name", "slug", "projects__pk", "projects__name", "projects__slug"
    )
    # Without open membership a member sees only their teams' projects.
    visible = set(projects_for(user).values_list("pk", flat=True))
    groups: list[tuple[Organization, list[Project]]] = []
    for org_id, org_name, org_slug, project_id, project_name, project_slug in rows:
        if not groups or groups[-1][0].pk != org_id:
            groups.append((Organization(pk=org_id, name=org_name, slug=org_slug), []))
        if project_id is not None and project_id in visible:
            groups[-1][1].append(Project(pk=project_id, name=project_name, slug=project_slug,
                                         organization_id=org_id))
    return groups
