"""The SDK-facing URLs: the one table, served by Django's views here and by ingest/rsgi.py
on granian's event loop."""

from django.urls import re_path

from ingest import endpoint, views

# (pattern, endpoint kind, URL name). The trailing slash is optional: some proxies strip it
# (docs/protocol.md §3.1). The project id is matched loosely so that a non-numeric one gets a clear
# 400 instead of a 404.
ROUTES = (
    (r"^api/(?P<project_id>[^/]+)/envelope/?$", endpoint.ENVELOPE, "ingest-envelope"),
    (r"^api/(?P<project_id>[^/]+)/store/?$", endpoint.STORE, "ingest-store"),
    (r"^api/store/?$", endpoint.STORE, "ingest-store-legacy"),
)

urlpatterns = [re_path(pattern, views.VIEWS[kind], name=name) for pattern, kind, name in ROUTES]
