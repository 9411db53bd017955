"""Issues like this one, offered on the issue page to merge.

Two issues are alike when their events raised the same exception type in the same top in-app
frame: what grouping stores as the issue's metadata (`type`, `filename`, `function`, the frame
closest to the crash that is the app's own, docs/grouping.md). They are grouped apart when
something else differed (the message's parameters, a frame further down, a fingerprint).
Among the alike, those with the same message and culprit rank first, then the most frequent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from tracker.models import Issue

# Only issues seen recently are offered: an old twin is rarely worth merging, and the lookup
# reads issue metadata that no index covers, so it must stay bounded.
RECENT = timedelta(days=90)
CANDIDATES = 50


@dataclass(frozen=True)
class Similar:
    issue: Issue
    same_message: bool
    same_culprit: bool


def _frame_filter(metadata: dict) -> Q | None:
    exception_type, function = metadata.get("type"), metadata.get("function")
    if not isinstance(exception_type, str) or not isinstance(function, str):
        return None
    q = Q(data__metadata__type=exception_type, data__metadata__function=function)
    filename = metadata.get("filename")
    if isinstance(filename, str):
        q &= Q(data__metadata__filename=filename)
    else:
        q &= ~Q(data__metadata__has_key="filename")
    return q


def similar_issues(issue: Issue, limit: int = 5) -> list[Similar]:
    """Open issues of the same project alike `issue`, best first (never itself, nor issues
    merged into another)."""
    metadata = (issue.data or {}).get("metadata") or {}
    match = _frame_filter(metadata) if isinstance(metadata, dict) else None
    if match is None:
        return []
    candidates = list(
        Issue.objects.filter(match, project_id=issue.project_id,
                             last_seen__gte=timezone.now() - RECENT)
        .exclude(pk=issue.pk).exclude(status=Issue.Status.MERGED)
        .select_related("project").defer("search_text")
        .order_by("-last_seen", "-pk")[:CANDIDATES]
    )
    value = metadata.get("value")
    found = [
        Similar(candidate,
                same_message=bool(value) and (candidate.data.get("metadata") or {})
                .get("value") == value,
                same_culprit=bool(issue.culprit) and candidate.culprit == issue.culprit)
        for candidate in candidates
    ]
    found.sort(key=lambda s: (not s.same_message, not s.same_culprit, -s.issue.times_seen,
                              -s.issue.pk))
    return found[:limit]
