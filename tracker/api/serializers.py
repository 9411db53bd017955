"""Sentry-shaped JSON for projects, issues and events.

Plain functions, not DRF serializer classes: the API is read-only, and building dicts
directly keeps a page of 100 issues cheap. Field names and types follow Sentry's API (ids
and counts as strings, camelCase, ISO 8601 times in UTC with a Z), so existing clients and
scripts read them unchanged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.urls import NoReverseMatch, reverse

from tracker.models import Attachment, Event, Handling, Issue, Level, Priority, Project


def iso(moment: datetime | float | None) -> str | None:
    if moment is None:
        return None
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def project_summary(project: Project) -> dict[str, Any]:
    return {"id": str(project.pk), "slug": project.slug, "name": project.name,
            "platform": project.platform or None}


def serialize_project(project: Project) -> dict[str, Any]:
    org = project.organization
    return {
        **project_summary(project),
        "dateCreated": iso(project.created),
        "isActive": project.is_active,
        "status": "active" if project.is_active else "disabled",
        "organization": {"id": str(org.pk), "slug": org.slug, "name": org.name},
    }


def issue_permalink(issue: Issue) -> str:
    try:
        path = reverse("issues:detail", kwargs={
            "org_slug": issue.project.organization.slug, "issue_id": issue.pk})
    except NoReverseMatch:
        path = f"/{issue.project.organization.slug}/issues/{issue.pk}/"
    return settings.PUBLIC_URL + path


def _assignee(issue: Issue) -> dict[str, Any] | None:
    if issue.assignee is not None:
        user = issue.assignee
        return {"type": "user", "id": str(user.pk), "name": user.get_username(),
                "email": user.email}
    if issue.assignee_team is not None:
        return {"type": "team", "id": str(issue.assignee_team.pk),
                "name": issue.assignee_team.slug}
    return None


def serialize_issue(issue: Issue, num_comments: int = 0, *, has_seen: bool = False,
                    is_bookmarked: bool = False,
                    stats: dict[str, list] | None = None) -> dict[str, Any]:
    metadata = issue.data.get("metadata") if isinstance(issue.data.get("metadata"), dict) else {}
    return {
        "id": str(issue.pk),
        "shortId": issue.qualified_short_id,
        "title": issue.title,
        "culprit": issue.culprit,
        "permalink": issue_permalink(issue),
        "logger": issue.data.get("logger") or None,
        "level": Level(issue.level).label,
        "status": issue.status,
        "substatus": issue.substatus or None,
        "statusDetails": _status_details(issue),
        "priority": Priority(issue.priority).label if issue.priority in Priority.values else None,
        "isPublic": False,
        "platform": issue.platform or issue.project.platform or None,
        "project": project_summary(issue.project),
        "type": issue.type,
        "issueType": issue.type,
        "issueCategory": "error",
        "metadata": metadata or {"title": issue.title},
        "numComments": num_comments,
        "assignedTo": _assignee(issue),
        "isBookmarked": is_bookmarked,
        "isSubscribed": False,
        "hasSeen": has_seen,
        "isUnhandled": issue.handling != Handling.HANDLED,
        "annotations": [],
        "count": str(issue.times_seen),
        "userCount": issue.users_seen,
        "firstSeen": iso(issue.first_seen),
        "lastSeen": iso(issue.last_seen),
        **({"stats": stats} if stats is not None else {}),
    }


def serialize_user(user) -> dict[str, Any] | None:
    if user is None:
        return None
    name = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return {"id": str(user.pk), "name": name or user.get_username(),
            "username": user.get_username(), "email": user.email, "avatarUrl": None,
            "isActive": user.is_active}


def _status_details(issue: Issue) -> dict[str, Any]:
    details: dict[str, Any] = {}
    if issue.status == Issue.Status.IGNORED:
        if issue.ignored_until is not None:
            details["ignoreUntil"] = iso(issue.ignored_until)
        if issue.ignored_until_times_seen is not None:
            details["ignoreCount"] = issue.ignored_until_times_seen
    if issue.status == Issue.Status.RESOLVED and issue.resolved_in_release_id is not None:
        if issue.resolved_in_next_release:
            details["inNextRelease"] = True
        else:
            details["inRelease"] = issue.resolved_in_release.version
    return details


# --- Events ------------------------------------------------------------------------------

def serialize_event(event: Event) -> dict[str, Any]:
    data = event.data or {}
    logentry = data.get("logentry") if isinstance(data.get("logentry"), dict) else {}
    return {
        "id": event.event_id.hex,
        "eventID": event.event_id.hex,
        "groupID": str(event.issue_id),
        "projectID": str(event.project_id),
        "title": data.get("title") or event.title,
        "message": logentry.get("formatted") or logentry.get("message") or "",
        "culprit": data.get("culprit") or "",
        "location": data.get("location") or data.get("transaction") or None,
        "type": data.get("type") or "error",
        "platform": data.get("platform") or "other",
        "dateCreated": iso(event.timestamp),
        "dateReceived": iso(data.get("received")) or iso(event.received),
        "size": None,
        "release": {"version": event.release} if event.release else None,
        "dist": data.get("dist"),
        "environment": event.environment or None,
        "tags": event_tags(event),
        "entries": entries(data),
        "contexts": data.get("contexts") or {},
        "context": data.get("extra") or {},
        "packages": data.get("modules") or {},
        "user": data.get("user") or None,
        "sdk": data.get("sdk") or None,
        "metadata": data.get("metadata") or {},
        "fingerprints": list(data.get("hashes") or []),
        "groupingConfig": data.get("grouping_config") or None,
        "errors": data.get("errors") or [],
        "_meta": data.get("_meta") or {},
        "crashFile": None,
        "userReport": None,
        "occurrence": None,
    }


def event_tags(event: Event) -> list[dict[str, str]]:
    """The event's own tags plus the ones Sentry derives from its fields."""
    tags: dict[str, str] = {}
    for pair in event.data.get("tags") or []:
        if isinstance(pair, list | tuple) and len(pair) == 2:
            tags.setdefault(str(pair[0]), str(pair[1]))
    derived = {
        "level": Level(event.level).label,
        "environment": event.environment,
        "release": event.release,
        "handled": "yes" if event.handling == Handling.HANDLED else "no",
        "user": event.user_key,
    }
    for key, value in derived.items():
        if value:
            tags.setdefault(key, value)
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def entries(data: dict[str, Any]) -> list[dict[str, Any]]:
    result = []
    exception = _values(data.get("exception"))
    if exception:
        result.append({"type": "exception", "data": {
            "values": [_exception(e) for e in exception], "excOmitted": None,
            "hasSystemFrames": _has_system_frames(exception),
        }})
    if isinstance(data.get("stacktrace"), dict):
        result.append({"type": "stacktrace", "data": _stacktrace(data["stacktrace"])})
    threads = _values(data.get("threads"))
    if threads:
        result.append({"type": "threads", "data": {"values": [_thread(t) for t in threads]}})
    logentry = data.get("logentry")
    if isinstance(logentry, dict):
        result.append({"type": "message", "data": {
            "formatted": logentry.get("formatted"), "message": logentry.get("message"),
            "params": logentry.get("params"),
        }})
    if isinstance(data.get("request"), dict):
        result.append({"type": "request", "data": _request(data["request"])})
    breadcrumbs = _values(data.get("breadcrumbs"))
    if breadcrumbs:
        result.append({"type": "breadcrumbs", "data": {"values": [
            {**crumb, "timestamp": iso(crumb.get("timestamp")) if isinstance(
                crumb.get("timestamp"), int | float) else crumb.get("timestamp"),
             "type": crumb.get("type") or "default", "level": crumb.get("level") or "info"}
            for crumb in breadcrumbs
        ]}})
    if isinstance(data.get("debug_meta"), dict):
        result.append({"type": "debugmeta", "data": data["debug_meta"]})
    return result


def _values(container) -> list[dict[str, Any]]:
    values = container.get("values") if isinstance(container, dict) else container
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def _exception(value: dict[str, Any]) -> dict[str, Any]:
    stacktrace = value.get("stacktrace")
    raw = value.get("raw_stacktrace")
    return {
        "type": value.get("type"), "value": value.get("value"), "module": value.get("module"),
        "mechanism": value.get("mechanism"), "threadId": value.get("thread_id"),
        "stacktrace": _stacktrace(stacktrace) if isinstance(stacktrace, dict) else None,
        "rawStacktrace": _stacktrace(raw) if isinstance(raw, dict) else None,
    }


def _thread(thread: dict[str, Any]) -> dict[str, Any]:
    stacktrace = thread.get("stacktrace")
    return {
        "id": thread.get("id"), "name": thread.get("name"), "crashed": thread.get("crashed"),
        "current": thread.get("current"), "main": thread.get("main"),
        "stacktrace": _stacktrace(stacktrace) if isinstance(stacktrace, dict) else None,
        "rawStacktrace": None,
    }


def _has_system_frames(values: list[dict[str, Any]]) -> bool:
    for value in values:
        frames = (value.get("stacktrace") or {}).get("frames") or []
        if any(isinstance(f, dict) and not f.get("in_app") for f in frames):
            return True
    return False


def _stacktrace(stacktrace: dict[str, Any]) -> dict[str, Any]:
    frames = [_frame(f) for f in stacktrace.get("frames") or [] if isinstance(f, dict)]
    return {
        "frames": frames, "framesOmitted": stacktrace.get("frames_omitted"),
        "registers": stacktrace.get("registers"),
        "hasSystemFrames": any(not f["inApp"] for f in frames),
    }


def _frame(frame: dict[str, Any]) -> dict[str, Any]:
    lineno = frame.get("lineno")
    context = []
    if frame.get("context_line") is not None and isinstance(lineno, int):
        pre = frame.get("pre_context") or []
        post = frame.get("post_context") or []
        first = lineno - len(pre)
        lines = [*pre, frame["context_line"], *post]
        context = [[first + i, line] for i, line in enumerate(lines)]
    return {
        "filename": frame.get("filename"), "absPath": frame.get("abs_path"),
        "module": frame.get("module"), "package": frame.get("package"),
        "platform": frame.get("platform"), "instructionAddr": frame.get("instruction_addr"),
        "symbolAddr": frame.get("symbol_addr"), "function": frame.get("function"),
        "rawFunction": frame.get("raw_function"), "symbol": frame.get("symbol"),
        "context": context, "lineNo": lineno, "colNo": frame.get("colno"),
        "inApp": bool(frame.get("in_app")), "trust": frame.get("trust"),
        "errors": None, "vars": frame.get("vars"),
    }


def _pairs(value) -> list | None:
    if isinstance(value, dict):
        return [[k, v] for k, v in value.items()]
    return value


def _request(request: dict[str, Any]) -> dict[str, Any]:
    return {
        "url": request.get("url"), "method": request.get("method"),
        "data": request.get("data"), "query": _pairs(request.get("query_string")),
        "fragment": request.get("fragment"), "cookies": _pairs(request.get("cookies")),
        "headers": _pairs(request.get("headers")), "env": request.get("env"),
        "inferredContentType": request.get("inferred_content_type"),
    }


# --- Attachments -------------------------------------------------------------------------

def serialize_attachment(attachment: Attachment) -> dict[str, Any]:
    """Sentry's event-attachment shape (GET .../events/{event_id}/attachments/)."""
    mimetype = attachment.content_type or "application/octet-stream"
    return {
        "id": str(attachment.pk),
        "event_id": attachment.event_id.hex,
        "type": attachment.attachment_type,
        "name": attachment.name,
        "mimetype": mimetype,
        "dateCreated": iso(attachment.created),
        "size": attachment.size,
        "headers": {"Content-Type": mimetype},
        "sha1": attachment.sha1 or None,
    }
