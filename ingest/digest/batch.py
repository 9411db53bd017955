"""The save pipeline: claimed inbox rows in, stored and grouped events out
(docs/pipeline.md §1, §7).

A batch goes through these steps, each over all of its events at once:
  1. prepare: parse, normalize, group (pure functions), derive level, handling, severity, tags;
  2. drop events already stored (redelivery) and look up releases;
  3. assign issues (ingest.digest.assign: short locked transactions only where an issue is created);
  4. one transaction: insert events (ON CONFLICT DO NOTHING), update issue aggregates, hourly
     counts, tags and users, regressions, discarded hashes, sessions and feedback, outcomes,
     and delete the digested inbox rows;
  5. after commit: refunds, attachments, alert evaluation.
An event that cannot be prepared fails alone: the batch goes on without it. If a batch fails
as a whole, its rows are retried one by one so that one bad event cannot hold back the
others; an event that keeps failing is kept in the inbox with its error. Before each step the
batch renews its lease on its rows (`claim.renew`), so no other worker takes them meanwhile.
"""

from __future__ import annotations

import logging
import traceback
from collections import defaultdict

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from ingest import quotas
from ingest.digest import apart, assign, side_items, store
from ingest.digest.attachments import (
    CrashReportAllowance,
    delete_staged,
    materialize,
    save_attachments,
    saved_keys,
)
from ingest.digest.normalize.event import InvalidEvent
from ingest.digest.prepare import Prepared, prepare
from ingest.digest.releases import ensure_environments, ensure_releases
from ingest.inbox import claim
from ingest.keys import get_key_by_id
from ingest.models import InboxItem
from ingest.protocol.categories import DataCategory
from ingest.protocol.outcomes import OutcomeKind
from tracker import actions, release_health
from tracker.alerts import tasks as alert_tasks
from tracker.models import Attachment, DiscardedFingerprint, Event, Project
from tracker.outcomes import OutcomeRecord, record_outcomes

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


def digest_batch(batch_size: int = BATCH_SIZE) -> int:
    """Claim and digest one batch; return how many rows it claimed."""
    items = claim.claim(batch_size)
    if not items:
        return 0
    try:
        _digest(items)
    except Exception:
        if len(items) == 1:
            _failed(items[0])
        else:
            logger.exception("batch of %d failed; digesting its items one by one", len(items))
            for index, item in enumerate(items):
                claim.renew(items[index:])  # the rows still waiting their turn, too
                try:
                    _digest([item])
                except Exception:
                    _failed(item)
    return len(items)


def _failed(item: InboxItem) -> None:
    """Called while handling the exception that failed the item: it keeps its row, and its
    lease until it is tried again; after MAX_ATTEMPTS it is kept for an operator."""
    logger.exception("could not digest inbox item %s (attempt %s)", item.pk, item.attempts)
    if item.attempts >= claim.MAX_ATTEMPTS:
        claim.give_up(item, traceback.format_exc())


def _digest(items: list[InboxItem]) -> None:
    projects = Project.objects.select_related("organization").in_bulk(
        {i.project_id for i in items}
    )
    outcomes: list[OutcomeRecord] = []
    prepared: list[Prepared] = []
    failed: set[int] = set()
    for item in items:
        project = projects.get(item.project_id)
        if project is None or item.kind != InboxItem.Kind.EVENT:
            continue
        claim.renew(items)
        try:
            prepared.append(prepare(item, project))
        except InvalidEvent as e:
            outcomes.append(_outcome(item, project, OutcomeKind.INVALID, e.reason, 1))
        except Exception:
            # Input normalization did not foresee, or a bug: only this event waits (its
            # row stays, to be tried again), the rest of the batch goes on.
            _failed(item)
            failed.add(item.pk)

    claim.renew(items)
    fresh, duplicates = _split_duplicates(prepared)
    _link_releases(fresh)
    claim.renew(items)
    assign.assign_all(fresh)
    stored = [p for p in fresh if p.issue_id is not None]
    discarded = [p for p in fresh if p.discarded_id is not None]

    claim.renew(items)
    with transaction.atomic():
        inserted = store.insert_events(stored)
        store.update_issues(inserted)
        store.count_hours(inserted)
        store.count_tags(inserted)
        changes = {c.issue_id: c.kind for c in actions.events_arrived(_arrived(inserted))}
        # Attachments and feedback that came before their event join its issue now.
        apart.link_arrived({(p.project.pk, p.event_id): store.issue_of(p) for p in inserted})
        outcomes += _discard(discarded)
        sessions: list[release_health.SessionUpdate] = []
        for item in items:
            project = projects.get(item.project_id)
            if project is not None and item.pk not in failed:
                outcomes += side_items.digest_side_items(item, project.organization_id,
                                                         sessions)
        release_health.fold(sessions)
        outcomes += [
            _outcome(p.item, p.project, OutcomeKind.ACCEPTED, "", 1) for p in inserted
        ]
        record_outcomes(outcomes)
        with_attachments = [p for p in [*inserted, *duplicates] if p.item.attachments]
        waiting = failed | {p.item.pk for p in with_attachments} | {
            i.pk for i in items if apart.carries_standalone_attachments(i)}
        InboxItem.objects.filter(pk__in=[i.pk for i in items if i.pk not in waiting]).delete()

    _after_discard(discarded)
    # Envelopes of attachments alone: looked up after the commit, so an event digested in
    # this very batch is found.
    standalone = apart.standalone([i for i in items if i.pk not in failed], projects)
    if with_attachments or standalone:
        _save_attachments([*with_attachments, *standalone])
    if any(s.issue_id is None for s in standalone):
        # Their event may have been committed by another worker meanwhile.
        apart.link_stragglers(timezone.now(), since=min(i.received for i in items))
    if inserted:
        alert_tasks.events_stored(
            [_alert_payload(p, changes.get(store.issue_of(p))) for p in inserted]
        )
    for p in inserted:
        if p.is_sample:
            logger.info("sample event stored: event %s, project %s", p.event_id, p.project.pk)


def _arrived(events: list[Prepared]) -> dict[int, list[actions.NewEvent]]:
    by_issue: dict[int, list[actions.NewEvent]] = defaultdict(list)
    for p in events:
        by_issue[store.issue_of(p)].append(
            actions.NewEvent(p.event_id, p.timestamp, p.release_id, p.release))
    return by_issue


def _alert_payload(p: Prepared, state_change: str | None) -> dict:
    return {
        "project_id": p.project.pk, "issue_id": p.issue_id, "event_id": p.event_id,
        "is_new_issue": p.is_new_issue, "state_change": state_change,
        "level": p.data.get("level") or "error", "handling": p.handling,
        "priority": p.priority, "release": p.release, "environment": p.environment,
        "user_key": p.user_key, "tags": [list(t) for t in p.tags],
        "timestamp": p.timestamp.timestamp(),
    }


















def _split_duplicates(prepared: list[Prepared]) -> tuple[list[Prepared], list[Prepared]]:
    """Events already stored (a redelivered batch) are not digested again; their attachments
    still are, idempotently, in case the earlier run died before saving them."""
    if not prepared:
        return [], []
    stored = {
        (pid, eid.hex): issue_id
        for pid, eid, issue_id in Event.objects.filter(
            project_id__in={p.project.pk for p in prepared},
            event_id__in=[p.event_id for p in prepared],
        ).values_list("project_id", "event_id", "issue_id")
    }
    fresh, duplicates = [], []
    for p in prepared:
        issue_id = stored.get((p.project.pk, p.event_id))
        if issue_id is None:
            fresh.append(p)
        else:
            p.issue_id = issue_id
            duplicates.append(p)
    return fresh, duplicates


def _link_releases(events: list[Prepared]) -> None:
    by_project: dict[int, list[Prepared]] = defaultdict(list)
    for p in events:
        by_project[p.project.pk].append(p)
    for group in by_project.values():
        project = group[0].project
        releases = ensure_releases(project, (p.release for p in group))
        for p in group:
            p.release_id = releases[p.release].pk if p.release in releases else None
        ensure_environments(project, (p.environment for p in group))


def _outcome(item, project, outcome, reason, quantity, category=DataCategory.ERROR):
    return OutcomeRecord(item.received, project.organization_id, project.pk, item.key_id,
                         int(outcome), reason, int(category), quantity)


def _discard(events: list[Prepared]) -> list[OutcomeRecord]:
    """Events whose hash was discarded: count them on the fingerprint, emit FILTERED."""
    outcomes = []
    for p in events:
        assert p.discarded_id is not None
        # Coalesce: SQLite's MAX() of a NULL is NULL, PostgreSQL's GREATEST ignores it.
        seen = Value(p.timestamp, DateTimeField())
        DiscardedFingerprint.objects.filter(pk=p.discarded_id).update(
            times_seen=F("times_seen") + 1,
            last_seen=Greatest(Coalesce(F("last_seen"), seen), seen),
        )
        outcomes.append(_outcome(p.item, p.project, OutcomeKind.FILTERED, "discarded-hash", 1))
        outcomes += [
            _outcome(p.item, p.project, OutcomeKind.FILTERED, "discarded-hash",
                     max(1, a["size"]), DataCategory.ATTACHMENT)
            for a in p.attachments
        ]
    return outcomes


def _after_discard(events: list[Prepared]) -> None:
    """Refund what the discarded events consumed and delete their staged attachments."""
    for p in events:
        info = get_key_by_id(p.item.key_id)
        if info is not None and info.has_quotas:
            quotas.refund(quotas.quotas_for(info, DataCategory.ERROR, p.item.received), 1)
            size = sum(max(1, a["size"]) for a in p.attachments)
            quotas.refund(quotas.quotas_for(info, DataCategory.ATTACHMENT, p.item.received),
                          size)
        delete_staged([a["key"] for a in p.attachments if "key" in a])


def _save_attachments(events: list[Prepared | apart.Standalone]) -> None:
    """Attachments of the batch's stored events (and of envelopes that carry attachments for
    an event sent apart), in one transaction with their outcomes and the deletion of their
    inbox rows; then refunds and the removal of rejected files."""
    held = [p.item for p in events]
    for p in events:
        claim.renew(held)  # writing to the file store may take a while
        p.attachments = materialize(p.item, p.attachments)
    already = saved_keys([a for p in events for a in p.attachments])
    crash_reports = CrashReportAllowance()
    rows: list[Attachment] = []
    outcomes: list[OutcomeRecord] = []
    doomed: list[str] = []
    refunds: list[tuple[InboxItem, int]] = []
    for p in events:
        kept, results, rejected = save_attachments(
            p.project, p.event_id, p.issue_id, p.attachments,
            already=already, crash_reports=crash_reports)
        rows += kept
        doomed += rejected
        outcomes += [_outcome(p.item, p.project, r.outcome, r.reason, r.quantity, r.category)
                     for r in results]
        refund = sum(r.quantity for r in results if r.reason == "crash-report-limit")
        if refund:
            refunds.append((p.item, refund))
    with transaction.atomic():
        Attachment.objects.bulk_create(rows, ignore_conflicts=True)
        record_outcomes(outcomes)
        InboxItem.objects.filter(pk__in=[p.item.pk for p in events]).delete()
    for item, refund in refunds:
        info = get_key_by_id(item.key_id)
        if info is not None and info.has_quotas:
            quotas.refund(quotas.quotas_for(info, DataCategory.ATTACHMENT, item.received),
                          refund)
    delete_staged(doomed)
