from django.urls import path

from tracker.api import views

urlpatterns = [
    path("organizations/<slug:org_slug>/projects/", views.organization_projects,
         name="api-organization-projects"),
    path("projects/<slug:org_slug>/<slug:project_slug>/issues/", views.project_issues,
         name="api-project-issues"),
    path("projects/<slug:org_slug>/<slug:project_slug>/events/<str:event_id>/",
         views.project_event, name="api-project-event"),
]
