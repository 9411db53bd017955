"""Saving attachments after their event (docs/pipeline.md §8.2-§8.3), and the crash-report limit.

Ingest wrote large attachments to the file store under a staging key and carried small
ones inside the inbox row; `materialize` writes the latter to the file store too, under a
name derived from the row, so a retry writes the same file. Saving one then means checking
the bytes are there and creating the Attachment row that points at them. Rows are keyed by
file name, so a redelivered event saves each attachment once and emits one outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ingest.inbox import claim
from ingest.protocol.categories import DataCategory
from ingest.protocol.outcomes import OutcomeKind
from tracker.models import CRASH_REPORTS_ALL, Attachment, Project
from tracker.models.events import event_id_hex

logger = logging.getLogger(__name__)

CRASH_REPORT_TYPES = frozenset({"event.minidump", "event.applecrashreport"})


@dataclass(frozen=True, slots=True)
class AttachmentOutcome:
    outcome: OutcomeKind
    reason: str
    quantity: int
    category: DataCategory = DataCategory.ATTACHMENT


def crash_report_limit(project: Project) -> int:
    if project.crash_report_limit is not None:
        return project.crash_report_limit
    return project.organization.crash_report_limit


def materialize(item, descriptors: list[dict]) -> list[dict]:
    """Descriptors with a storage key each: inline bytes written to the file store."""
    if not any("inline" in a for a in descriptors):
        return descriptors
    data = claim.attachment_data(item)  # deferred by claim.claim: read here
    event_id = event_id_hex(item.event_id) if item.event_id else None
    result = []
    for index, a in enumerate(descriptors):
        if "inline" not in a:
            result.append(a)
            continue
        offset, size = a["inline"]
        key = f"staging/{item.project_id}/{event_id or 'none'}/inline-{item.pk}-{index}"
        if not default_storage.exists(key):
            key = default_storage.save(key, ContentFile(data[offset:offset + size]))
        result.append({k: v for k, v in a.items() if k != "inline"} | {"key": key})
    return result


def save_attachments(
    project: Project, event_id: str, issue_id: int | None, staged: list[dict], *,
    already: set[str], crash_reports: CrashReportAllowance,
) -> tuple[list[Attachment], list[AttachmentOutcome], list[str]]:
    """Decide what to store for one event: the rows to create (with their outcomes, in one
    transaction, by the caller), and the staged keys to delete afterwards. `already` holds
    the keys saved by an earlier delivery; `crash_reports` is shared by the batch's events."""
    outcomes: list[AttachmentOutcome] = []
    doomed: list[str] = []
    rows = []
    for a in staged:
        if a["key"] in already:
            continue  # saved by an earlier delivery of this event
        size = max(1, int(a.get("size") or 0))
        crash_report = a["attachment_type"] in CRASH_REPORT_TYPES
        if crash_report and not crash_reports.take(project, issue_id):
            outcomes.append(AttachmentOutcome(OutcomeKind.FILTERED, "crash-report-limit", size))
            doomed.append(a["key"])
            continue
        if not default_storage.exists(a["key"]):
            outcomes.append(AttachmentOutcome(OutcomeKind.INVALID, "missing_chunks", 1))
            continue
        rows.append(Attachment(
            project=project, event_id=event_id, issue_id=issue_id, name=a["name"],
            content_type=a["content_type"], attachment_type=a["attachment_type"],
            size=a["size"], file=a["key"],
        ))
        outcomes.append(AttachmentOutcome(OutcomeKind.ACCEPTED, "", size))
    return rows, outcomes, doomed


def saved_keys(staged: list[dict]) -> set[str]:
    """The staged keys that already have their Attachment row (one query for a batch)."""
    keys = [a["key"] for a in staged]
    return set(Attachment.objects.filter(file__in=keys).values_list("file", flat=True))


class CrashReportAllowance:
    """How many more crash reports each issue may keep, across the events of one batch: the
    limit minus those stored, counted once per issue, minus those this batch keeps."""

    def __init__(self) -> None:
        self._left: dict[int, int] = {}

    def take(self, project: Project, issue_id: int | None) -> bool:
        limit = crash_report_limit(project)
        if limit == CRASH_REPORTS_ALL:
            return True
        if limit <= 0:
            return False
        if issue_id is None:
            return True  # sent apart from an event not stored yet: nothing to count against
        if issue_id not in self._left:
            stored = Attachment.objects.filter(
                issue_id=issue_id, attachment_type__in=CRASH_REPORT_TYPES
            ).count()
            self._left[issue_id] = max(0, limit - stored)
        if self._left[issue_id] <= 0:
            return False
        self._left[issue_id] -= 1
        return True


def delete_staged(keys: list[str]) -> None:
    for key in keys:
        try:
            default_storage.delete(key)
        except Exception:
            # A leftover staged file costs disk, not correctness; the cleanup task retries.
            logger.warning("could not delete staged attachment %s", key, exc_info=True)
