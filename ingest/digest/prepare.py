"""Preparing an event: parse, normalize, group (pure functions); derive level, handling,
severity, priority, tags and search text. The result, `Prepared`, goes through the rest of
the batch: normalized, grouped, not yet stored."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import grouping
from ingest.digest import severity, symbolicate
from ingest.digest.normalize.event import InvalidEvent, normalize_event
from ingest.digest.normalize.meta import Notes
from ingest.models import InboxItem
from ingest.protocol import storable
from tracker import fastjson
from tracker.models import Level, Project

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class Prepared:
    item: InboxItem
    project: Project
    event_id: str  # 32 lowercase hex
    data: dict[str, Any]  # the normalized event, with grouping results added
    hashes: list[str]
    title: str
    culprit: str
    metadata: dict[str, Any]
    timestamp: datetime
    level: int
    handling: str
    priority: int
    release: str
    environment: str
    user_key: str
    tags: list[tuple[str, str]]
    search_text: str
    release_id: int | None = None
    issue_id: int | None = None
    is_new_issue: bool = False
    discarded_id: int | None = None
    is_sample: bool = False  # the onboarding sample event: logged step by step
    attachments: list[dict[str, Any]] = field(default_factory=list)


def prepare(item: InboxItem, project: Project) -> Prepared:
    raw = bytes(item.payload)
    try:
        data = fastjson.loads(raw)
    except (ValueError, RecursionError):
        raise InvalidEvent("invalid_json", "stored event is not JSON") from None
    notes = Notes()
    if storable.may_contain(raw):
        data = storable.clean(data, notes.changed)
    if storable.may_nest_too_deep(raw):
        data = storable.limit_depth(data, notes.changed)
    meta = item.meta or {}
    event = normalize_event(
        data, received=item.received,
        envelope_event_id=item.event_id.hex if item.event_id else None,
        sent_at=_datetime(meta.get("sent_at")), client_ip=meta.get("client_ip"),
        raw_size=len(raw), notes=notes,
    )
    tags = event.get("tags") or []
    is_sample = ["sample_event", "yes"] in tags
    if is_sample:
        # Onboarding's sample event: say in the log that it went through, step by step.
        logger.info("processing sample event %s of project %s", event["event_id"], project.pk)
    # Before grouping: JavaScript issues group on the original code, not on minified names.
    symbolicate.symbolicate(event, project)
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
    for name, prefix in (("id", "id"), ("username", "username"), ("email", "email"),
                         ("ip_address", "ip")):
        if user.get(name):
            return f"{prefix}:{user[name]}"[:200]
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
