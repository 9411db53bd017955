"""The issue page's "similar issues" card, loaded after the page (htmx) so that looking
for look-alikes never slows the page itself down."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from tracker.models import Issue
from tracker.similar import similar_issues
from tracker.views.events import scoped_issue


@require_GET
@login_required
def similar(request: HttpRequest, org_slug: str, issue_id: int) -> HttpResponse:
    membership, issue = scoped_issue(request, org_slug, issue_id)
    found = similar_issues(issue) if issue.status != Issue.Status.MERGED else []
    return render(request, "issues/_similar.html", {
        "org": membership.organization, "issue": issue, "similar": found,
    })
