from django.urls import path, register_converter

from tracker.api import admin, releases, rules, views


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
    path("organizations/", admin.organizations, name="api-organizations"),
    path("organizations/<slug:org_slug>/", admin.organization, name="api-organization"),
    path("organizations/<slug:org_slug>/audit-logs/", admin.audit_logs, name="api-audit-logs"),
    path("organizations/<slug:org_slug>/teams/", admin.organization_teams,
         name="api-organization-teams"),
    path("organizations/<slug:org_slug>/members/", admin.organization_members,
         name="api-organization-members"),
    path("organizations/<slug:org_slug>/members/<str:member_id>/", admin.organization_member,
         name="api-organization-member"),
    path("organizations/<slug:org_slug>/members/<str:member_id>/teams/<slug:team_slug>/",
         admin.member_team, name="api-member-team"),
    path("teams/<slug:org_slug>/<slug:team_slug>/projects/", admin.team_projects,
         name="api-team-projects"),
    path("projects/<slug:org_slug>/<slug:project_slug>/", admin.project_detail,
         name="api-project"),
    path("projects/<slug:org_slug>/<slug:project_slug>/keys/", admin.project_keys,
         name="api-project-keys"),
    path("projects/<slug:org_slug>/<slug:project_slug>/keys/<str:key_id>/", admin.project_key,
         name="api-project-key"),
    path("projects/<slug:org_slug>/<slug:project_slug>/rules/", rules.project_rules,
         name="api-project-rules"),
    path("projects/<slug:org_slug>/<slug:project_slug>/rules/<int:rule_id>/",
         rules.project_rule, name="api-project-rule"),
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
]
