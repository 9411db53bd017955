"""The small items that travel with or without an event: client reports, sessions, feedback."""

from __future__ import annotations

import contextlib
import json
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from ingest.models import InboxItem
from ingest.protocol import storable
from ingest.protocol.categories import DataCategory
from ingest.protocol.client_reports import parse_client_report
from ingest.protocol.envelope import normalize_event_id
from ingest.protocol.outcomes import OutcomeKind
from tracker import sql
from tracker.models import Event, SessionBucket, UserReport
from tracker.outcomes import OutcomeRecord
from tracker.timeutil import floor_hour

logger = logging.getLogger(__name__)

SESSION_STATUSES = ("ok", "exited", "errored", "crashed", "abnormal")


def digest_side_items(item: InboxItem, org_id: int) -> list[OutcomeRecord]:
    """Store the item's sessions and feedback; return the outcomes it carries."""
    outcomes = [
        OutcomeRecord(item.received, org_id, item.project_id, item.key_id, o, r, c, q)
        for o, r, c, q in item.meta.get("outcomes", ())
    ]
    sessions: Counter[tuple] = Counter()
    for side in item.meta.get("items", ()):
        kind, raw = side.get("type"), side.get("payload", "")
        if kind == "client_report":
            outcomes += [
                OutcomeRecord(c.timestamp, org_id, item.project_id, item.key_id, int(c.outcome),
                              c.reason, int(c.category), c.quantity)
                for c in parse_client_report(
                    raw.encode(), item.received,
                    max_age=timedelta(days=settings.ERRATA["OUTCOME_RETENTION_DAYS"]),
                )
            ]
        elif kind in ("session", "sessions"):
            counted = _count_sessions(kind, _json(raw), item.received, sessions)
            if counted:
                outcomes.append(OutcomeRecord(item.received, org_id, item.project_id,
                                              item.key_id, OutcomeKind.ACCEPTED, "",
                                              DataCategory.SESSION, counted))
        elif kind in ("user_report", "user_feedback", "feedback") and _save_feedback(
            item, kind, _json(raw)
        ):
            outcomes.append(OutcomeRecord(item.received, org_id, item.project_id,
                                              item.key_id, OutcomeKind.ACCEPTED, "",
                                              DataCategory.FEEDBACK, 1))
    _store_sessions(item.project_id, sessions)
    return outcomes


def _json(raw: str) -> Any:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    return storable.clean(value) if storable.may_contain(raw) else value


def _hour(value: Any, fallback: datetime) -> datetime:
    moment = fallback
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return floor_hour(moment.astimezone(UTC))


def _count_sessions(kind: str, payload: Any, received: datetime, into: Counter) -> int:
    if not isinstance(payload, dict):
        return 0
    attrs = payload["attrs"] if isinstance(payload.get("attrs"), dict) else {}
    release = str(attrs.get("release") or "")[:200]
    environment = str(attrs.get("environment") or "")[:64]
    if kind == "session":
        status = payload.get("status") if payload.get("status") in SESSION_STATUSES else "ok"
        into[(_hour(payload.get("started"), received), release, environment, status)] += 1
        return 1
    total = 0
    for aggregate in payload.get("aggregates") or ():
        if not isinstance(aggregate, dict):
            continue
        hour = _hour(aggregate.get("started"), received)
        for status in SESSION_STATUSES:
            n = aggregate.get(status)
            if type(n) is int and n > 0:
                into[(hour, release, environment, status)] += n
                total += n
    return total


def _store_sessions(project_id: int, counts: Counter) -> None:
    key = ("project_id", "hour", "release", "environment", "status")
    sql.add(SessionBucket, (*key, "count"),
            [(project_id, *k, n) for k, n in sorted(counts.items())], key=key, sums=("count",))


def _save_feedback(item: InboxItem, kind: str, payload: Any) -> bool:
    if not isinstance(payload, dict):
        return False
    if kind == "feedback":  # a full event whose contexts.feedback holds the report
        contexts = payload.get("contexts")
        feedback = contexts.get("feedback") if isinstance(contexts, dict) else None
        if not isinstance(feedback, dict):
            return False
        event_id = feedback.get("associated_event_id")
        name, email, comments = (
            feedback.get("name"), feedback.get("contact_email"), feedback.get("message")
        )
    else:
        event_id = payload.get("event_id")
        name, email, comments = payload.get("name"), payload.get("email"), payload.get("comments")
    event_id = normalize_event_id(event_id) if event_id else None
    issue_id = None
    if event_id:
        issue_id = (
            Event.objects.filter(project_id=item.project_id, event_id=event_id)
            .values_list("issue_id", flat=True).first()
        )
    UserReport.objects.create(
        project_id=item.project_id, event_id=event_id, issue_id=issue_id,
        name=str(name or "")[:128], email=str(email or "")[:128],
        comments=str(comments or "")[:4096],
    )
    return True
