"""Accepting an envelope: sort its items, apply quotas, stage attachments, plan the inbox row.

Called by `ingest.endpoint` once the request is authenticated and parsed; it stores the row
(one INSERT per accepted envelope, shared with concurrent requests). Outcomes decided here
travel in the inbox row to the pipeline, which records them, so an accepted event costs no
extra statement.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ingest import quotas
from ingest.inbox.row import Row
from ingest.keys import KeyInfo
from ingest.models import InboxItem
from ingest.protocol import storable
from ingest.protocol.categories import DROPPED_CATEGORIES, DataCategory, is_kept, item_quantities
from ingest.protocol.envelope import Envelope, Item
from ingest.protocol.errors import BadRequest, WouldBlock
from ingest.protocol.outcomes import OutcomeKind
from ingest.protocol.rate_limits import RateLimit, feature_disabled_limit
from ingest.protocol.validate import parse_event
from tracker.outcomes import OutcomeRecord, record_outcomes

logger = logging.getLogger(__name__)

SMALL_ITEM_TYPES = {"client_report", "session", "sessions", "user_report", "user_feedback",
                    "feedback"}
MAX_SESSIONS = 100


@dataclass
class Verdict:
    event_id: str | None
    rate_limits: list[RateLimit] = field(default_factory=list)
    everything_limited: bool = False


# Attachments up to this size (together, per envelope) travel inside the inbox row; the
# pipeline writes them to the file store. Larger ones are written there before we answer.
INLINE_ATTACHMENTS_MAX = 1024 * 1024


@dataclass
class Keep:
    """What an accepted envelope leaves to store: the inbox row and its attachments.

    `inline` (no I/O) puts small attachments into the row itself; `stage` (blocks) writes
    what remains to the file store. Both before the row is stored.
    """

    item: Row
    attachments: list[Item]

    def inline(self) -> None:
        data = bytearray()
        rest = []
        for a in self.attachments:
            if len(data) + len(a.payload) > INLINE_ATTACHMENTS_MAX:
                rest.append(a)
                continue
            self.item.attachments.append({**_descriptor(a), "inline": [len(data), len(a.payload)]})
            data += a.payload
        self.item.attachment_data = bytes(data)
        self.attachments = rest

    def stage(self) -> None:
        event_id = str(self.item.event_id or "none")
        self.item.attachments += [
            _stage(self.item.project_id, event_id, a) for a in self.attachments
        ]
        self.attachments = []


@dataclass
class _Sorted:
    event: Item | None = None
    attachments: list[Item] = field(default_factory=list)
    small: list[Item] = field(default_factory=list)
    dropped: list[Item] = field(default_factory=list)
    outcomes: list[tuple[int, str, int, int]] = field(default_factory=list)  # o, reason, cat, q


def plan_envelope(
    envelope: Envelope,
    info: KeyInfo,
    *,
    received: datetime,
    meta: dict[str, Any],
    io: bool = True,
) -> tuple[Verdict, Keep | None]:
    """Decide what to keep: the verdict for the answer, and what to store (if anything).

    With `io=False` (on the event loop) nothing may block: quotas and recording outcomes
    raise WouldBlock instead, and the caller starts over in a thread.
    """
    items = _sort(envelope)
    event_id = None
    if items.event is not None:
        _, event_id = parse_event(items.event.payload, envelope.event_id)
    elif items.attachments:
        event_id = envelope.event_id
        if event_id is None:
            raise BadRequest(
                "attachments without an event need an event_id envelope header",
                outcome_reason="invalid_envelope",
            )
    event_id = event_id or envelope.event_id
    verdict = Verdict(event_id=event_id)
    if items.dropped:
        verdict.rate_limits.append(feature_disabled_limit(DROPPED_CATEGORIES))
    if not io and info.has_quotas:
        raise WouldBlock("quotas")
    if info.has_quotas:
        _apply_quotas(items, info, received, verdict)

    if items.event is None and not items.attachments and not items.small:
        # Nothing to keep (only dropped or limited items): no inbox row, record right away.
        if not io:
            raise WouldBlock("outcomes")
        record_now(info, received, items.outcomes)
        verdict.everything_limited = bool(verdict.rate_limits) and _all_rate_limited(items)
        return verdict, None

    meta = dict(meta)
    if envelope.sent_at is not None:
        meta["sent_at"] = envelope.sent_at.isoformat()
    if isinstance(envelope.headers.get("sdk"), dict):
        meta["sdk"] = envelope.headers["sdk"]
    if items.small:
        meta["items"] = [
            {"type": i.type, "payload": i.payload.decode("utf-8", "replace")} for i in items.small
        ]
    if items.outcomes:
        meta["outcomes"] = items.outcomes
    meta = storable.clean(meta)  # client strings go into a JSON column
    item = Row(
        project_id=info.project_id,
        key_id=info.key_id,
        kind=InboxItem.Kind.EVENT if items.event is not None else InboxItem.Kind.OTHER,
        event_id=event_id,
        received=received,
        meta=meta,
        payload=items.event.payload if items.event is not None else b"",
    )
    return verdict, Keep(item, items.attachments)


def _sort(envelope: Envelope) -> _Sorted:
    items = _Sorted()
    sessions = 0
    for item in envelope.items:
        kind = item.type
        if kind == "event":
            items.event = item
        elif kind == "attachment":
            items.attachments.append(item)
        elif kind in SMALL_ITEM_TYPES:
            if kind in ("session", "sessions"):
                sessions += 1
                if sessions > MAX_SESSIONS:
                    continue
            items.small.append(item)
        elif not is_kept(kind) and item_quantities(item):
            # Transactions, spans, profiles, replays, check-ins, logs: accepted and dropped.
            items.dropped.append(item)
            items.outcomes += outcomes_for(item, OutcomeKind.INVALID, "feature_disabled")
        # Anything else is an unknown type: skipped without an outcome (docs/protocol.md §5.5).
    return items


def _apply_quotas(items: _Sorted, info: KeyInfo, received: datetime, verdict: Verdict) -> None:
    if items.event is not None:
        refused = quotas.consume(quotas.quotas_for(info, DataCategory.ERROR, received), 1)
        if refused is not None:
            verdict.rate_limits.append(_limit(refused))
            # The event's attachments go with it: without the event they mean nothing.
            for item in [items.event, *items.attachments]:
                items.outcomes += outcomes_for(item, OutcomeKind.RATE_LIMITED, refused.reason)
            items.event = None
            items.attachments = []
    kept = []
    attachment_quotas = quotas.quotas_for(info, DataCategory.ATTACHMENT, received)
    for item in items.attachments:
        refused = quotas.consume(attachment_quotas, max(1, len(item.payload)))
        if refused is None:
            kept.append(item)
        else:
            verdict.rate_limits.append(_limit(refused))
            items.outcomes += outcomes_for(item, OutcomeKind.RATE_LIMITED, refused.reason)
    items.attachments = kept


def _all_rate_limited(items: _Sorted) -> bool:
    return any(outcome == OutcomeKind.RATE_LIMITED for outcome, *_ in items.outcomes)


def _limit(quota: quotas.Quota) -> RateLimit:
    return RateLimit(quota.retry_after, quota.header_categories, quota.scope, quota.reason)


def outcomes_for(item: Item, outcome: OutcomeKind, reason: str) -> list[tuple[int, str, int, int]]:
    """(outcome, reason, category, quantity) for every category the item counts in."""
    return [(int(outcome), reason, int(cat), qty) for cat, qty in item_quantities(item)]


def record_now(info: KeyInfo, received: datetime, rows) -> None:
    """Record ingest-side outcomes at once (when no inbox row will carry them)."""
    try:
        record_outcomes(
            OutcomeRecord(received, info.organization_id, info.project_id, info.key_id,
                          int(o), r, int(c), q)
            for o, r, c, q in rows
        )
    except Exception:
        # Accounting must never turn an answer into a 500.
        logger.exception("could not record outcomes")


def _stage(project_id: int, event_id: str, item: Item) -> dict[str, Any]:
    """Write an attachment's bytes to the file store; the pipeline moves it to its event."""
    name = default_storage.save(
        f"staging/{project_id}/{event_id}/{uuid.uuid4().hex}", ContentFile(item.payload)
    )
    return {**_descriptor(item), "key": name}


def _descriptor(item: Item) -> dict[str, Any]:
    return {
        "name": (item.filename or "attachment")[:256],
        "content_type": (item.content_type or "application/octet-stream")[:128],
        "attachment_type": item.attachment_type[:64],
        "size": len(item.payload),
    }
