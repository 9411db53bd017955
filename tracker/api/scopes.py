"""Scope enforcement for API routes: each view declares what each method needs.

    @api_view(["GET", "PUT"])
    @scoped(GET="event:read", PUT="event:write")
    def issue(request, ...): ...

`scoped` sets the view's DRF permission class, so the check runs before the view, for every
method. A token missing the scope gets 403 naming it; a browser session (cookie) is not a
token and is bounded by the membership role alone. An organization token only reaches its own
organization: any other `org_slug` is a 404, like an organization that does not exist.
Views that declare no scope refuse tokens (the default permission below), so a new route cannot
silently be open to every token.
"""

from __future__ import annotations

from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated

from tracker import scopes
from tracker.models import ApiToken


def _check_organization(request, view) -> None:
    token = request.auth
    org_slug = getattr(view, "kwargs", {}).get("org_slug")
    if token.organization_id is not None and org_slug not in (None, token.organization.slug):
        raise NotFound("The requested resource does not exist")


def scoped(**by_method: str | tuple[str, ...]):
    """Declare the scope each HTTP method of a view needs (`GET="org:read"`, ...); a tuple
    means any one of them, as Sentry's scope maps do."""
    needs = {
        method.upper(): (wanted,) if isinstance(wanted, str) else tuple(wanted)
        for method, wanted in by_method.items()
    }
    for wanted in needs.values():
        for scope in wanted:
            if scope not in scopes.ALL:
                raise ValueError(f"unknown scope {scope!r}")

    class HasScope(IsAuthenticated):
        required = needs

        def has_permission(self, request, view) -> bool:
            if not super().has_permission(request, view):
                return False
            if not isinstance(request.auth, ApiToken):
                return True
            _check_organization(request, view)
            method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
            wanted = needs.get(method, ())
            granted = scopes.expand(request.auth.scopes)
            if not any(scope in granted for scope in wanted):
                raise PermissionDenied(
                    f"This token lacks the scope {' or '.join(wanted) or 'for ' + method}."
                )
            return True

    def decorate(view):
        view.permission_classes = [HasScope]
        return view

    return decorate


class SessionOnly(IsAuthenticated):
    """The default: signed-in browser sessions pass; tokens need a route that declares a
    scope."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied("This route does not accept API tokens.")
        return True
