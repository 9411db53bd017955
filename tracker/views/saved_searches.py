"""Saved searches of the issue list: save the list as it is, for oneself or for everyone in
the organization; delete one (after asking). Applying one is a plain link to the list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker.access import get_membership, get_project
from tracker.models import Member, Project, SavedSearch


def visible(membership: Member, project: Project | None, user) -> list[SavedSearch]:
    """The saved searches of one list that `user` sees: theirs and the shared ones."""
    return list(
        SavedSearch.objects.filter(organization=membership.organization, project=project)
        .filter(Q(owner=user) | Q(visibility=SavedSearch.Visibility.ORGANIZATION))
        .order_by("name", "pk")
    )


def _list_url(org_slug: str, project: Project | None) -> str:
    if project is None:
        return reverse("issues:org", args=[org_slug])
    return reverse("issues:project", args=[org_slug, project.slug])


def _query(text: str) -> str:
    """The list's query string as posted, without paging (a saved search starts at page 1)."""
    data = QueryDict(text[:2000], mutable=True)
    for key in ("cursor", "before", "page"):
        data.pop(key, None)
    return data.urlencode()


@require_POST
@login_required
def create(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = get_membership(request.user, org_slug)
    slug = request.POST.get("project_slug", "")
    project = get_project(request.user, org_slug, slug) if slug else None
    query = _query(request.POST.get("list_query", ""))
    back = _list_url(org_slug, project) + (f"?{query}" if query else "")
    name = request.POST.get("name", "").strip()
    if not name:
        messages.error(request, "Give the search a name to save it.")
        return HttpResponseRedirect(back, status=303)
    shared = bool(request.POST.get("shared"))
    SavedSearch.objects.create(
        organization=membership.organization, project=project, owner=request.user,
        name=name[:128], query=query,
        visibility=SavedSearch.Visibility.ORGANIZATION if shared
        else SavedSearch.Visibility.OWNER,
    )
    messages.success(request, f"Saved “{name[:128]}”{' for everyone' if shared else ''}.")
    return HttpResponseRedirect(back, status=303)


@require_POST
@login_required
def delete(request: HttpRequest, org_slug: str, search_id: int) -> HttpResponse:
    """Delete after asking: htmx asks (hx-confirm) and sends `confirmed`; without it, this
    answers with a page that asks."""
    membership = get_membership(request.user, org_slug)
    # Another user's personal search is not there at all (404); a shared one may be deleted
    # by its owner and by the organization's owners and admins.
    search = get_object_or_404(
        SavedSearch.objects.filter(organization=membership.organization).filter(
            Q(owner=request.user) | Q(visibility=SavedSearch.Visibility.ORGANIZATION)),
        pk=search_id,
    )
    if search.owner_id != request.user.pk and not membership.can_manage:
        messages.error(request, "Only its owner, owners and admins delete a shared search.")
        return _back(request, org_slug, search)
    if not request.POST.get("confirmed"):
        return render(request, "issues/saved_search_confirm.html", {
            "org": membership.organization, "search": search,
            "next": _list_url(org_slug, search.project),
        })
    search.delete()
    messages.success(request, f"Deleted the saved search “{search.name}”.")
    return _back(request, org_slug, search)


def _back(request: HttpRequest, org_slug: str, search: SavedSearch) -> HttpResponse:
    url = _list_url(org_slug, search.project)
    if getattr(request, "htmx", False):
        # The saved searches sit outside the rows htmx swaps: reload the page.
        return HttpResponse(status=204, headers={"HX-Redirect": url})
    return HttpResponseRedirect(url, status=303)
