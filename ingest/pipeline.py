"""The save pipeline: claimed inbox rows in, stored and grouped events out (pipeline.md §4).

A batch goes through these steps, each over all of its events at once:
  1. prepare: parse, normalize, group (pure functions), derive level, handling, severity, tags;
  2. drop events already stored (redelivery) and look up releases;
  3. assign issues (ingest.assign: short locked transactions only where an issue is created);
  4. one transaction: insert events (ON CONFLICT DO NOTHING), update issue aggregates, hourly
     counts, tags and users, regressions, discarded hashes, sessions and feedback, outcomes,
     and delete the digested inbox rows;
  5. after commit: refunds, attachments, alert evaluation.
If a batch fails as a whole, its rows are retried one by one so that one bad event cannot
hold back the others; an event that keeps failing is kept in the inbox with its error.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime

from django.db import transaction
from django.db.models import DateTimeField, F, Value
from django.db.models.functions import Coalesce, Greatest

import grouping
from ingest import (
    assign,
    inbox,
    nul,
    quotas,
    regressions,
    severity,
    side_items,
    store_events,
)
from ingest.attachments import (
    CrashReportAllowance,
    delete_staged,
    materialize,
    save_attachments,
    saved_keys,
)
from ingest.categories import DataCategory
from ingest.keys import get_key_by_id
from ingest.models import InboxItem
from ingest.normalize import InvalidEvent, normalize_event
from ingest.outcome_codes import Outcome
from ingest.prepared import Prepared
from ingest.releases import ensure_environments, ensure_releases
from tracker import alerts, fastjson
from tracker.models import Attachment, DiscardedFingerprint, Event, Level, Project
from tracker.outcomes import OutcomeRecord, record_outcomes

logger = logging.getLogger(__name__)

BATCH_SIZE = 100


def digest_batch(batch_size: int = BATCH_SIZE) -> int:
    """Claim and digest one batch; return how many rows it claimed."""
    items = inbox.claim(batch_size)
    if not items:
        return 0
    try:
        _digest(items)
    except Exception:
        if len(items) == 1:
            _failed(items[0])
        else:
            logger.exception("batch of %d failed; digesting its items one by one", len(items))
            for item in items:
                try:
                    _digest([item])
                except Exception:
                    _failed(item)
    return len(items)


def _failed(item: InboxItem) -> None:
    logger.exception("could not digest inbox item %s (attempt %s)", item.pk, item.attempts)
    if item.attempts >= inbox.MAX_ATTEMPTS:
        import traceback

        inbox.give_up(item, traceback.format_exc())


def _digest(items: list[InboxItem]) -> None:
    projects = Project.objects.select_related("organization").in_bulk(
        {i.project_id for i in items}
    )
    outcomes: list[OutcomeRecord] = []
    prepared: list[Prepared] = []
    for item in items:
        project = projects.get(item.project_id)
        if project is None or item.kind != InboxItem.Kind.EVENT:
            continue
        try:
            prepared.append(_prepare(item, project))
        except InvalidEvent as e:
            outcomes.append(_outcome(item, project, Outcome.INVALID, e.reason, 1))

    fresh, duplicates = _split_duplicates(prepared)
    _link_releases(fresh)
    assign.assign_all(fresh)
    stored = [p for p in fresh if p.issue_id is not None]
    discarded = [p for p in fresh if p.discarded_id is not None]

    with transaction.atomic():
        inserted = store_events.insert_events(stored)
        store_events.update_issues(inserted)
        store_events.count_hours(inserted)
        store_events.count_tags(inserted)
        changes = {c.issue_id: c.kind for c in regressions.handle(inserted)}
        outcomes += _discard(discarded)
        for item in items:
            project = projects.get(item.project_id)
            if project is not None:
                outcomes += side_items.digest_side_items(item, project.organization_id)
        outcomes += [
            _outcome(p.item, p.project, Outcome.ACCEPTED, "", 1) for p in inserted
        ]
        record_outcomes(outcomes)
        with_attachments = [p for p in [*inserted, *duplicates] if p.item.attachments]
        waiting = {p.item.pk for p in with_attachments}
        InboxItem.objects.filter(pk__in=[i.pk for i in items if i.pk not in waiting]).delete()

    _after_discard(discarded)
    if with_attachments:
        _save_attachments(with_attachments)
    if inserted:
        alerts.events_stored(
            [_alert_payload(p, changes.get(store_events.issue_of(p))) for p in inserted]
        )
    for p in inserted:
        if p.is_sample:
            logger.info("sample event stored: event %s, project %s", p.event_id, p.project.pk)


def _alert_payload(p: Prepared, state_change: str | None) -> dict:
    return {
        "project_id": p.project.pk, "issue_id": p.issue_id, "event_id": p.event_id,
        "is_new_issue": p.is_new_issue, "state_change": state_change,
        "level": p.data.get("level") or "error", "handling": p.handling,
        "priority": p.priority, "release": p.release, "environment": p.environment,
        "user_key": p.user_key, "tags": [list(t) for t in p.tags],
        "timestamp": p.timestamp.timestamp(),
    }


def _prepare(item: InboxItem, project: Project) -> Prepared:
    raw = bytes(item.payload)
    try:
        data = fastjson.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidEvent("invalid_json", "stored event is not JSON") from None
    if nul.may_contain(raw):
        data = nul.strip(data)
    meta = item.meta or {}
    event = normalize_event(
        data, received=item.received,
        envelope_event_id=item.event_id.hex if item.event_id else None,
        sent_at=_datetime(meta.get("sent_at")), client_ip=meta.get("client_ip"),
        raw_size=len(raw),
    )
    tags = event.get("tags") or []
    is_sample = ["sample_event", "yes"] in tags
    if is_sample:
        # Onboarding's sample event: say in the log that it went through, step by step.
        logger.info("processing sample event %s of project %s", event["event_id"], project.pk)
    result = _group(event, project)
    event.update(
        hashes=result.hashes, fingerprint=result.fingerprint, title=result.title,
        culprit=result.culprit, metadata=result.metadata, grouping_config={"id": result.config},
        main_exception_id=result.main_exception_id,
    )
    if result.fingerprint_info:
        event["_fingerprint_info"] = result.fingerprint_info
    level_name = event.get("level") or "error"
    sev, sev_reason = severity.severity(event, result.title)
    metadata = dict(result.metadata)
    if sev is not None:
        metadata.update(severity=sev, severity_reason=sev_reason)
    handling = severity.handling(event)
    user_key = _user_key(event.get("user"))
    release = event.get("release") or ""
    environment = event.get("environment") or ""
    prepared = Prepared(
        item=item, project=project, event_id=event["event_id"], data=event,
        hashes=result.hashes, title=result.title, culprit=result.culprit, metadata=metadata,
        timestamp=datetime.fromtimestamp(event["timestamp"], UTC),
        level=Level.from_name(level_name), handling=handling,
        priority=severity.priority(level_name, sev), release=release,
        environment=environment, user_key=user_key,
        tags=_tags(event, tags, user_key, handling, level_name),
        search_text=_search_text(event, result),
        attachments=list(item.attachments or ()),
        is_sample=is_sample,
    )
    return prepared


def _group(event: dict, project: Project):
    try:
        return grouping.compute(
            event, config=project.grouping_config, fingerprint_rules=project.fingerprint_rules,
            enhancement_rules=project.enhancement_rules,
        )
    except grouping.RuleSyntaxError:
        # Rules are validated when saved; if bad ones slipped in, group without them rather
        # than stall the project's events.
        logger.exception("bad grouping rules on project %s; ignoring them", project.pk)
        return grouping.compute(event, config=project.grouping_config)


def _datetime(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _user_key(user) -> str:
    if not isinstance(user, dict):
        return ""
    for field, prefix in (("id", "id"), ("username", "username"), ("email", "email"),
                          ("ip_address", "ip")):
        if user.get(field):
            return f"{prefix}:{user[field]}"[:200]
    return ""


_CONTEXT_TAGS = (("os", "os"), ("browser", "browser"), ("runtime", "runtime"),
                 ("device", "device"))


def _tags(event, tags, user_key, handling, level_name) -> list[tuple[str, str]]:
    """The event's tags plus the ones Sentry derives, as (key, value) for search and stats."""
    derived = [("level", level_name), ("handled", "no" if handling != "handled" else "yes")]
    for key in ("environment", "release", "logger", "transaction"):
        if event.get(key):
            derived.append((key, str(event[key])))
    if user_key:
        derived.append(("user", user_key))
    user = event.get("user")
    if isinstance(user, dict) and user.get("email"):
        derived.append(("user.email", str(user["email"])))  # searchable as user.email:…
    request = event.get("request")
    if isinstance(request, dict) and request.get("url"):
        derived.append(("url", str(request["url"]).split("?", 1)[0]))
    contexts = event.get("contexts") if isinstance(event.get("contexts"), dict) else {}
    for context, key in _CONTEXT_TAGS:
        ctx = contexts.get(context)
        if isinstance(ctx, dict) and ctx.get("name"):
            version = ctx.get("version")
            derived.append((key, f"{ctx['name']} {version}" if version else str(ctx["name"])))
    mechanism = _first_mechanism(event)
    if mechanism:
        derived.append(("mechanism", mechanism))
    seen = set()
    result = []
    for key, value in [*((k, v) for k, v in tags if isinstance(k, str)), *derived]:
        key, value = str(key)[:200], str(value)[:200]
        if key not in seen and value:
            seen.add(key)
            result.append((key, value))
    return result


def _first_mechanism(event) -> str:
    values = (event.get("exception") or {}).get("values") or []
    for value in values:
        mechanism = value.get("mechanism") if isinstance(value, dict) else None
        if isinstance(mechanism, dict) and mechanism.get("type"):
            return str(mechanism["type"])
    return ""


def _search_text(event: dict, result) -> str:
    words = [result.title, result.culprit]
    for value in (event.get("exception") or {}).get("values") or []:
        frames = ((value or {}).get("stacktrace") or {}).get("frames") or []
        for frame in frames:
            if isinstance(frame, dict) and frame.get("in_app"):
                words += [str(frame.get("module") or ""), str(frame.get("function") or "")]
    return " ".join(dict.fromkeys(w for w in words if w))[:4000]


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
        outcomes.append(_outcome(p.item, p.project, Outcome.FILTERED, "discarded-hash", 1))
        outcomes += [
            _outcome(p.item, p.project, Outcome.FILTERED, "discarded-hash",
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


def _save_attachments(events: list[Prepared]) -> None:
    """Attachments of the batch's stored events, in one transaction with their outcomes and
    the deletion of their inbox rows; then refunds and the removal of rejected files."""
    for p in events:
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
