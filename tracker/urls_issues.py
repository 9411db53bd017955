"""Issues and events: the lists, the issue page, actions, events and attachments."""

from django.urls import path

from tracker.views import events, issues, saved_searches, similar

app_name = "issues"

urlpatterns = [
    path("<slug:org_slug>/issues/", issues.org_issues, name="org"),
    path("<slug:org_slug>/issues/actions/", issues.issue_actions, name="actions"),
    path("<slug:org_slug>/issues/searches/", saved_searches.create, name="search-create"),
    path("<slug:org_slug>/issues/searches/<int:search_id>/delete/", saved_searches.delete,
         name="search-delete"),
    path("<slug:org_slug>/issues/<int:issue_id>/", issues.issue_detail, name="detail"),
    path("<slug:org_slug>/issues/<int:issue_id>/comment/", issues.add_comment, name="comment"),
    path("<slug:org_slug>/issues/<int:issue_id>/unmerge/", issues.unmerge, name="unmerge"),
    path("<slug:org_slug>/issues/<int:issue_id>/similar/", similar.similar, name="similar"),
    path("<slug:org_slug>/issues/<int:issue_id>/events/", events.event_list, name="events"),
    path("<slug:org_slug>/issues/<int:issue_id>/events/<str:event_ref>/",
         issues.event_detail, name="event"),
    path("<slug:org_slug>/issues/<int:issue_id>/events/<str:event_ref>/json/",
         events.event_json, name="event_json"),
    path("<slug:org_slug>/attachments/<int:attachment_id>/", events.attachment_download,
         name="attachment"),
    path("<slug:org_slug>/attachments/<int:attachment_id>/view/", events.attachment_view,
         name="attachment_view"),
    path("<slug:org_slug>/<slug:project_slug>/issues/", issues.project_issues, name="project"),
]
