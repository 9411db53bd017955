"""Organizations: creating one, its projects overview and adding a project."""

from django.urls import path

from tracker.views import organizations

urlpatterns = [
    # "organizations" is a reserved slug (tracker.provisioning), so no organization's own
    # pages can shadow this one.
    path("organizations/new/", organizations.new_organization, name="new-organization"),
    path("<slug:org_slug>/projects/", organizations.projects_overview, name="org-projects"),
    path("<slug:org_slug>/projects/new/", organizations.new_project, name="org-new-project"),
]
