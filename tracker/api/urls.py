from django.urls import path, register_converter

from tracker.api import releases, views


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
    path("projects/<slug:org_slug>/<slug:project_slug>/issues/", views.project_issues,
         name="api-project-issues"),
    path("projects/<slug:org_slug>/<slug:project_slug>/events/<str:event_id>/",
         views.project_event, name="api-project-event"),
    path("projects/<slug:org_slug>/<slug:project_slug>/events/<str:event_id>/attachments/",
         views.event_attachments, name="api-event-attachments"),
    path("projects/<slug:org_slug>/<slug:project_slug>/events/<str:event_id>/attachments/"
         "<int:attachment_id>/", views.event_attachment, name="api-event-attachment"),
]
