"""The small items that travel with or without an event: client reports, sessions, feedback."""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from ingest.models import InboxItem
from ingest.protocol import storable
from ingest.protocol.categories import DataCategory
from ingest.protocol.client_reports import parse_client_report
from ingest.protocol.envelope import normalize_event_id
from ingest.protocol.outcomes import OutcomeKind
from tracker.models import Event, SessionStatus, UserReport
from tracker.outcomes import OutcomeRecord
from tracker.release_health import SessionUpdate
from tracker.timeutil import floor_hour

logger = logging.getLogger(__name__)

# Session statuses that mean the same to every SDK; `ok`, `exited` and `crashed` depend on
# the errors and the SDK (`_status`).
SESSION_STATUSES = {
    "errored": SessionStatus.ERRORED,
    "unhandled": SessionStatus.UNHANDLED,
    "abnormal": SessionStatus.ABNORMAL,
}
# Aggregates come from request-mode sessions: a server's requests. An unhandled error in a
# request (`crashed`) did not end the server, which answered the next request.
AGGREGATE_STATUSES = {
    "exited": SessionStatus.HEALTHY,
    "errored": SessionStatus.ERRORED,
    "unhandled": SessionStatus.UNHANDLED,
    "crashed": SessionStatus.UNHANDLED,
    "abnormal": SessionStatus.ABNORMAL,
}
# The JavaScript SDKs that run in a web page: the page lives on after an unhandled error
# reaches the global handlers, which these SDKs still report as `crashed`.
PAGE_SDKS = frozenset(
    f"sentry.javascript.{name}" for name in (
        "browser", "react", "vue", "angular", "angular-ivy", "svelte", "sveltekit", "ember",
        "gatsby", "solid", "solidstart", "nuxt", "astro", "remix", "nextjs", "tanstackstart-react",
        "wasm",
    )
)


def digest_side_items(item: InboxItem, org_id: int,
                      sessions: list[SessionUpdate]) -> list[OutcomeRecord]:
    """Store the item's feedback and collect its session updates into `sessions` (folded
    once for the whole batch: release_health.fold); return the outcomes it carries."""
    outcomes = [
        OutcomeRecord(item.received, org_id, item.project_id, item.key_id, o, r, c, q)
        for o, r, c, q in item.meta.get("outcomes", ())
    ]
    sdk = item.meta.get("sdk")
    sdk_name = str(sdk.get("name") or "") if isinstance(sdk, dict) else ""
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
            updates = _session_updates(kind, _json(raw), item.project_id, item.received,
                                       sdk_name)
            sessions += updates
            counted = sum(u.count for u in updates)
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


def _session_updates(kind: str, payload: Any, project_id: int, received: datetime,
                     sdk: str) -> list[SessionUpdate]:
    """The item's session updates, statuses mapped to ours (docs/release-health.md)."""
    if not isinstance(payload, dict):
        return []
    attrs = payload["attrs"] if isinstance(payload.get("attrs"), dict) else {}
    release = str(attrs.get("release") or "")[:200]
    environment = str(attrs.get("environment") or "")[:64]
    if kind == "session":
        sid = _uuid(payload.get("sid"))
        errors = payload.get("errors")
        status = _status(payload.get("status"), errors if type(errors) is int else 0,
                         survives_unhandled=sdk in PAGE_SDKS)
        if sid is None or status is None:
            return []
        return [SessionUpdate(
            project_id, _hour(payload.get("started"), received), release, environment, status,
            sid, payload.get("init") is True, str(payload.get("did") or "")[:128])]
    updates = []
    for aggregate in payload.get("aggregates") or ():
        if not isinstance(aggregate, dict):
            continue
        hour = _hour(aggregate.get("started"), received)
        for name, status in AGGREGATE_STATUSES.items():
            n = aggregate.get(name)
            if type(n) is int and n > 0:
                updates.append(SessionUpdate(project_id, hour, release, environment, status,
                                             count=n))
    return updates


def _status(status: Any, errors: int, *, survives_unhandled: bool) -> SessionStatus | None:
    """Our status for an SDK's session status. SDKs say `crashed` for any unhandled error;
    where the process cannot have ended (a web page), that is an unhandled error."""
    if status in ("ok", "exited"):
        return SessionStatus.ERRORED if errors > 0 else SessionStatus.HEALTHY
    if status == "crashed":
        return SessionStatus.UNHANDLED if survives_unhandled else SessionStatus.CRASHED
    return SESSION_STATUSES.get(status)


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


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
