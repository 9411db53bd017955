from django.urls import path

from tracker.alerts import views

app_name = "alerts"

_project = "<slug:org_slug>/<slug:project_slug>/alerts/"

urlpatterns = [
    path(_project, views.rule_list, name="list"),
    path(_project + "new/", views.rule_create, name="create"),
    path(_project + "log/", views.firing_log, name="log"),
    path(_project + "row/", views.rule_row, name="row"),
    path(_project + "<int:rule_id>/", views.rule_edit, name="edit"),
    path(_project + "<int:rule_id>/toggle/", views.rule_toggle, name="toggle"),
    path(_project + "<int:rule_id>/delete/", views.rule_delete, name="delete"),
    path(_project + "actions/<int:action_id>/test/", views.action_test, name="test"),
    path(_project + "notifications/<int:notification_id>/", views.notification_status,
         name="notification"),
]
