from django.urls import path

from tracker import url_converters  # noqa: F401 - registers <version:...>
from tracker.api import artifacts, releases, sessions, views

RELEASE = "organizations/<slug:org_slug>/releases/<version:version>/"

urlpatterns = [
    path("", releases.index, name="api-index"),
    path("organizations/<slug:org_slug>/projects/", views.organization_projects,
         name="api-organization-projects"),
    path("organizations/<slug:org_slug>/repos/", releases.organization_repositories,
         name="api-organization-repos"),
    path("organizations/<slug:org_slug>/chunk-upload/", artifacts.chunk_upload,
         name="api-chunk-upload"),
    path("organizations/<slug:org_slug>/artifactbundle/assemble/",
         artifacts.artifact_bundle_assemble, name="api-artifact-bundle-assemble"),
    path("organizations/<slug:org_slug>/sessions/", sessions.organization_sessions,
         name="api-organization-sessions"),
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
    path("projects/<slug:org_slug>/<slug:project_slug>/issues/", views.project_issues,
         name="api-project-issues"),
    path("projects/<slug:org_slug>/<slug:project_slug>/events/<str:event_id>/committers/",
         releases.event_committers, name="api-event-committers"),
    path("projects/<slug:org_slug>/<slug:project_slug>/events/<str:event_id>/",
         views.project_event, name="api-project-event"),
]
