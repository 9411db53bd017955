"""API token scopes, named and nested as Sentry names them.

A token carries a list of scopes; an API route declares, per HTTP method, the scope it needs
(`tracker.api.scopes.scoped`). `X:admin` includes `X:write`, which includes `X:read`, for the
same resource, as in Sentry. `org:ci` is what Sentry gives organization auth tokens: enough for
CI to create releases and upload source maps, nothing else.

Scopes narrow a token; they never widen a user: a route that needs an owner or admin still
checks the membership role (tracker/access.py).
"""

from __future__ import annotations

from collections.abc import Iterable

RESOURCES = ("org", "project", "team", "member", "event", "alerts")
LEVELS = ("read", "write", "admin")

# Every scope a token may carry, in the order the token form shows them.
ALL = (*(f"{r}:{lvl}" for r in RESOURCES for lvl in LEVELS), "project:releases", "org:ci")

# What organization auth tokens carry (Sentry's "org:ci").
ORG_TOKEN_SCOPES = ("org:ci",)
_CI_GRANTS = frozenset({"org:ci", "org:read", "project:read", "project:releases"})


def expand(scopes: Iterable[str]) -> frozenset[str]:
    """The scopes a list grants, with the ones each includes."""
    granted: set[str] = set()
    for scope in scopes:
        if scope == "org:ci":
            granted |= _CI_GRANTS
            continue
        resource, _, level = scope.partition(":")
        if level in LEVELS:
            granted.update(f"{resource}:{lvl}" for lvl in LEVELS[: LEVELS.index(level) + 1])
        else:
            granted.add(scope)
        if scope in ("project:write", "project:admin"):
            granted.add("project:releases")
    return frozenset(granted)


def grants(scopes: Iterable[str], needed: str) -> bool:
    return needed in expand(scopes)


def unknown(scopes: Iterable[str]) -> list[str]:
    return [s for s in scopes if s not in ALL]
