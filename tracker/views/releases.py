"""The releases of a project, and a release's page: commits, deploys, issues and health.

The health numbers come from tracker/release_health.py, the commits from tracker/releases.py;
each page runs a fixed number of queries, whatever the number of releases, sessions,
commits or issues (the long lists are capped).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, prefetch_related_objects
from django.http import Http404, HttpRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from tracker import release_health, releases
from tracker.access import project_access
from tracker.models import CommitFileChange, Deploy, Issue, IssueActivity, Release
from tracker.timeutil import floor_hour

RELEASES_PER_PAGE = 25
HEALTH_DAYS = 14
COMMITS_SHOWN = 100
FILES_SHOWN = 20
ISSUES_SHOWN = 50


@login_required
@require_GET
def release_list(request: HttpRequest, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug)
    project = access.project
    page = Paginator(project.releases.order_by("-created", "-pk"), RELEASES_PER_PAGE).get_page(
        request.GET.get("page"))
    page_releases = list(page.object_list)
    health = release_health.release_health(
        project.pk, [r.version for r in page_releases], days=HEALTH_DAYS)
    new_issues = dict(
        Issue.objects.filter(project=project, first_release__in=page_releases)
        .values("first_release_id").annotate(n=Count("id")).values_list("first_release_id", "n")
    )
    prefetch_related_objects(page_releases, Prefetch(
        "deploys", queryset=Deploy.objects.select_related("environment")))
    rows = [
        {"release": r, "health": health[r.version], "new_issues": new_issues.get(r.pk, 0),
         "new_issues_query": new_issues_query(r.version), "deploys": _last_deploys(r)}
        for r in page_releases
    ]
    return render(request, "releases/list.html", {
        "org": project.organization, "project": project, "page": page, "rows": rows,
        "days": HEALTH_DAYS, "spark_label": f"sessions in {HEALTH_DAYS} days",
    })


def new_issues_query(version: str) -> str:
    """The issue list's query string for the issues a release introduced."""
    return urlencode({"status": "all", "query": f'first-release:"{version}"'})


def _last_deploys(release: Release) -> list[Deploy]:
    """The latest deploy to each environment (prefetched, newest first)."""
    latest: dict[int, Deploy] = {}
    for deploy in release.deploys.all():
        latest.setdefault(deploy.environment_id, deploy)
    return sorted(latest.values(), key=lambda d: d.environment.name)


@login_required
@require_GET
def release_detail(request: HttpRequest, org_slug: str, project_slug: str, version: str):
    access = project_access(request.user, org_slug, project_slug)
    project = access.project
    release = Release.objects.filter(organization=project.organization, projects=project,
                                     version=version).first()
    if release is None:
        raise Http404("No such release in this project.")
    commits = list(
        releases.release_commits(release).annotate(file_count=Count("file_changes"))
        .prefetch_related(Prefetch("file_changes",
                                   queryset=CommitFileChange.objects.order_by("filename")))
        [:COMMITS_SHOWN]
    )
    for commit in commits:
        commit.files_shown = list(commit.file_changes.all())[:FILES_SHOWN]
    facts = releases.facts_for([release])[release.pk]
    issues = Issue.objects.filter(project=project).select_related("project__organization")
    regressed_ids = (
        IssueActivity.objects.filter(issue__project=project, kind=IssueActivity.Kind.REGRESSION,
                                     data__version=release.version)
        .values_list("issue_id", flat=True)
    )
    health = release_health.release_health(project.pk, [release.version],
                                           days=HEALTH_DAYS)[release.version]
    now = timezone.now()
    end = floor_hour(now) + timedelta(hours=1)
    start, end = release_health.aligned(end - timedelta(days=HEALTH_DAYS), end,
                                        timedelta(days=1))
    over_time = release_health.query(release_health.SessionQuery(
        project_ids=(project.pk,), start=start, end=end, interval=timedelta(days=1),
        fields=("sum(session)", "crash_free_rate(session)", "crash_free_rate(user)",
                "unhandled_free_rate(session)"),
        releases=(release.version,),
    ))
    series = over_time["groups"][0]["series"] if over_time["groups"] else {}
    days = [
        {"day": day, "sessions": series["sum(session)"][i],
         "crash_free_sessions": series["crash_free_rate(session)"][i],
         "crash_free_users": series["crash_free_rate(user)"][i],
         "unhandled_free_sessions": series["unhandled_free_rate(session)"][i]}
        for i, day in enumerate(start + timedelta(days=n)
                                for n in range(len(over_time["intervals"])))
    ]
    return render(request, "releases/detail.html", {
        "org": project.organization, "project": project, "release": release, "facts": facts,
        "commits": commits, "commits_more": max(0, facts.commit_count - len(commits)),
        "deploys": list(release.deploys.select_related("environment")),
        "issue_sections": [
            ("New issues", list(issues.filter(first_release=release)
                                .order_by("-last_seen")[:ISSUES_SHOWN]),
             "No issue was first seen in this release."),
            ("Regressed issues", list(issues.filter(pk__in=regressed_ids)
                                      .order_by("-last_seen")[:ISSUES_SHOWN]),
             "No resolved issue came back in this release."),
            ("Resolved in the next release", list(issues.filter(resolved_in_release=release)
                                                  .order_by("-last_seen")[:ISSUES_SHOWN]),
             "No issue was marked resolved in the release after this one."),
        ],
        "health": health, "days": days, "health_days": HEALTH_DAYS,
        "chart": [(d["day"].strftime("%b %-d"), d["sessions"]) for d in days],
    })
