"""Organization-level API routes that belong to no other concept (the organization's
projects). Issues are in tracker.api.issues, events in tracker.api.events, outcome stats in
tracker.api.stats.

Objects of other organizations are 404s, exactly like objects that don't exist.
"""

from __future__ import annotations

from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from tracker.access import get_membership
from tracker.api import schema as S
from tracker.api import serializers
from tracker.api.schema import array, documented
from tracker.api.scopes import scoped
from tracker.models import Project


@documented("GET", "List an Organization's Projects", "org:read", array(S.PROJECT),
            tag="Organizations")
@api_view(["GET"])
@scoped(GET="org:read")
def organization_projects(request: Request, org_slug: str) -> Response:
    membership = get_membership(request.user, org_slug)
    projects = (
        Project.objects.filter(organization=membership.organization)
        .select_related("organization")
        .order_by("slug")
    )
    return Response([serializers.serialize_project(p) for p in projects])
