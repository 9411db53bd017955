from django.urls import re_path

from ingest import views

# The trailing slash is optional: some proxies strip it (protocol.md §3). The project id is
# matched loosely so that a non-numeric one gets a clear 400 instead of a 404.
urlpatterns = [
    re_path(r"^api/(?P<project_id>[^/]+)/envelope/?$", views.envelope, name="ingest-envelope"),
    re_path(r"^api/(?P<project_id>[^/]+)/store/?$", views.store, name="ingest-store"),
    re_path(r"^api/store/?$", views.store, name="ingest-store-legacy"),
]
