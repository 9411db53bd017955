from django.urls import path, register_converter

from tracker.api import events, issues, releases, stats, views


class ReleaseVersionConverter:
    """A release version in a URL: anything but empty, `/` included (clients percent-encode
    it, and the server decodes it before routing). The routes below a release come before
    its detail route, so `1.0/deploys/` is the deploys of `1.0`."""

    regex = ".+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReleaseVersionConverter, "version")

RELEASE = "organizations/<slug:org_slug>/releases/<version:version>/"
ISSUE = "issues/<str:issue_id>/"

urlpatterns = [
    path("", releases.index, name="api-index"),
    path("organizations/<slug:org_slug>/projects/", views.organization_projects,
         name="api-organization-projects"),
    path("organizations/<slug:org_slug>/repos/", releases.organization_repositories,
         name="api-organization-repos"),
    path("organizations/<slug:org_slug>/releases/", releases.organization_releases,
         name="api-organization-releases"),
    path(RELEASE + "commits/", releases.release_commits, name="api-release-commits"),
    path(RELEASE + "commitfiles/", releases.release_commit_files,
         name="api-release-commit-files"),
    path(RELEASE + "previous-with-commits/", releases.previous_release_with_commits,
         name="api-release-previous-with-commits"),
    path(RELEASE + "deploys/", releases.release_deploys, name="api-release-deploys"),
    path(RELEASE, releases.organization_release, name="api-organization-release"),
    path("projects/<slug:org_slug>/<slug:project_slug>/releases/", releases.project_releases,
         name="api-project-releases"),
    path("projects/<slug:org_slug>/<slug:project_slug>/issues/", issues.project_issues,
         name="api-project-issues"),
    path("projects/<slug:org_slug>/<slug:project_slug>/events/", events.project_events,
         name="api-project-events"),
    path("projects/<slug:org_slug>/<slug:project_slug>/events/<str:event_id>/",
         events.project_event, name="api-project-event"),
    path("organizations/<slug:org_slug>/stats_v2/", stats.organization_stats,
         name="api-organization-stats"),
    path("organizations/<slug:org_slug>/issues/", issues.organization_issues,
         name="api-organization-issues"),
    path("organizations/<slug:org_slug>/issues/<str:issue_id>/", issues.organization_issue,
         name="api-organization-issue"),
    path("organizations/<slug:org_slug>/issues/<str:issue_id>/events/",
         issues.organization_issue_events, name="api-organization-issue-events"),
    path("organizations/<slug:org_slug>/issues/<str:issue_id>/events/<str:event_id>/",
         issues.organization_issue_event, name="api-organization-issue-event"),
    path(ISSUE, issues.issue, name="api-issue"),
    path(ISSUE + "events/", issues.issue_events, name="api-issue-events"),
    path(ISSUE + "events/<str:event_id>/", issues.issue_event, name="api-issue-event"),
    path(ISSUE + "tags/", issues.issue_tags, name="api-issue-tags"),
    path(ISSUE + "tags/<str:key>/", issues.issue_tag, name="api-issue-tag"),
    path(ISSUE + "tags/<str:key>/values/", issues.issue_tag_values,
         name="api-issue-tag-values"),
    path(ISSUE + "hashes/", issues.issue_hashes, name="api-issue-hashes"),
    path(ISSUE + "activities/", issues.issue_activities, name="api-issue-activities"),
    path(ISSUE + "comments/", issues.issue_comments, name="api-issue-comments"),
    path(ISSUE + "comments/<str:note_id>/", issues.issue_comment, name="api-issue-comment"),
    path(ISSUE + "stats/", issues.issue_stats, name="api-issue-stats"),
]
