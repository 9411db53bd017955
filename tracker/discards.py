"""Discarded fingerprints: "delete and discard" an issue, and undo it.

Discarding keeps the issue's hash rows but points them at a DiscardedFingerprint instead of
the issue; the pipeline then drops every future event with one of those hashes (and counts
it on the fingerprint). Undoing deletes the fingerprint and, through the foreign key, its
hash rows, so the next such event simply creates a new issue.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import connection, transaction

from tracker.models import DiscardedFingerprint, Issue, IssueHash

logger = logging.getLogger(__name__)


def discard_issues(issues: Iterable[Issue], user) -> list[DiscardedFingerprint]:
    """Delete the issues and discard their hashes; return one fingerprint per issue.

    Callers have checked that `user` may act on every issue (tracker.access). All or
    nothing: one transaction for the whole selection.
    """
    ids = [issue.pk for issue in issues]
    if not ids:
        return []
    fingerprints = []
    with transaction.atomic():
        locked = Issue.objects.select_related("project").filter(pk__in=ids).order_by("pk")
        if connection.features.has_select_for_update:
            # Ordered locks: a concurrent discard of an overlapping selection waits instead of
            # deadlocking, and the pipeline cannot bump counters on a half-deleted issue.
            locked = locked.select_for_update(of=("self",))
        for issue in locked:
            fingerprints.append(_discard_one(issue, user))
    for fp in fingerprints:
        logger.info(
            "issue %s of project %s discarded by user %s",
            fp.previous_issue_id, fp.project_id, getattr(user, "pk", None),
        )
    return fingerprints


def _discard_one(issue: Issue, user) -> DiscardedFingerprint:
    fingerprint = DiscardedFingerprint.objects.create(
        project=issue.project,
        previous_issue_id=issue.pk,
        previous_short_id=issue.qualified_short_id,
        title=issue.title[:512],
        culprit=issue.culprit[:256],
        level=issue.level,
        data={
            **(issue.data or {}),
            # What the settings page shows about the issue that was: it no longer exists.
            "previous": {
                "times_seen": issue.times_seen,
                "first_seen": issue.first_seen.isoformat(),
                "last_seen": issue.last_seen.isoformat(),
            },
        },
        actor=user if getattr(user, "pk", None) else None,
        # Start from the issue's last event: the pipeline moves it forward with GREATEST,
        # which on SQLite yields NULL when either side is NULL.
        last_seen=issue.last_seen,
    )
    # Before the delete: hash rows cascade with their issue, and they must survive it.
    IssueHash.objects.filter(issue=issue).update(issue=None, discarded=fingerprint)
    issue.delete()
    return fingerprint


def undiscard(fingerprint: DiscardedFingerprint, user) -> None:
    """Stop discarding: forget the fingerprint and its hashes; new events make a new issue."""
    with transaction.atomic():
        IssueHash.objects.filter(discarded=fingerprint).delete()
        fingerprint.delete()
    logger.info(
        "discarded fingerprint of issue %s (project %s) restored by user %s",
        fingerprint.previous_issue_id, fingerprint.project_id, getattr(user, "pk", None),
    )
