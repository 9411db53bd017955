"""Shaping a stored event (normalized Sentry JSON) for the event templates.

Everything here returns plain data; the templates print it with autoescaping on, so event
content (messages, tags, variables, source lines) is always text, never markup.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from django import template

from tracker.models import Level
from tracker.trace import TraceView, arrange_chain, arrange_tree, raw_chain, raw_tree
from tracker.trace import arranged_frames as _arranged

register = template.Library()


def _frames(stacktrace: Any) -> list[dict]:
    frames = (stacktrace or {}).get("frames") if isinstance(stacktrace, dict) else None
    if not isinstance(frames, list):
        return []
    shaped = [_frame(f) for f in frames if isinstance(f, dict)]
    if shaped and not any(f["in_app"] for f in shaped):
        # No frame is the app's own: show the one that raised rather than hide everything.
        shaped[-1]["open"] = True
    return shaped


def _frame(frame: dict) -> dict:
    lineno = frame.get("lineno") if isinstance(frame.get("lineno"), int) else None
    pre = [str(line) for line in frame.get("pre_context") or []]
    post = [str(line) for line in frame.get("post_context") or []]
    lines = []
    if frame.get("context_line") is not None:
        start = (lineno - len(pre)) if lineno else None
        texts = [*pre, str(frame["context_line"]), *post]
        for offset, text in enumerate(texts):
            lines.append({
                "number": start + offset if start is not None else "",
                "text": text,
                "current": offset == len(pre),
            })
    in_app = frame.get("in_app") is True
    variables = frame.get("vars") if isinstance(frame.get("vars"), dict) else {}
    data = frame.get("data") if isinstance(frame.get("data"), dict) else {}
    minified = data.get("minified") if data.get("symbolicated") else None
    if isinstance(minified, dict):
        # The frame as the browser reported it, before the source map: shown on request.
        minified = {**minified, "filename": minified.get("filename")
                    or minified.get("abs_path") or "?"}
    return {
        "filename": frame.get("filename") or frame.get("abs_path") or frame.get("module") or "?",
        "module": frame.get("module") or "",
        "function": frame.get("function") or frame.get("raw_function") or "?",
        "lineno": lineno,
        "colno": frame.get("colno"),
        "in_app": in_app,
        "open": in_app,
        "lines": lines,
        "vars": sorted(variables.items()),
        "package": frame.get("package") or "",
        "minified": minified if isinstance(minified, dict) else None,
        "sourcemap": data.get("sourcemap") or "",
    }


def _mechanism(value: dict) -> dict:
    return value.get("mechanism") if isinstance(value.get("mechanism"), dict) else {}


def _exception(value: dict) -> dict:
    mechanism = _mechanism(value)
    return {
        "type": value.get("type") or "Error",
        "value": value.get("value") or "",
        "module": value.get("module") or "",
        "mechanism": mechanism.get("type") or "",
        "handled": mechanism.get("handled"),
        "frames": _frames(value.get("stacktrace")),
    }


def _values(data: dict) -> list[dict]:
    values = ((data or {}).get("exception") or {}).get("values") or []
    return [value for value in values if isinstance(value, dict)]


@register.simple_tag
def exceptions(data: dict, trace: TraceView | None = None) -> list[dict]:
    """The exception chain, cause first (SDKs send values oldest first, as Sentry shows
    them), arranged as `trace` asks."""
    chain = [_exception(value) for value in _values(data)]
    return arrange_chain(chain, trace) if trace else chain


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# How an exception that is not a member of a group relates to its parent (mechanism.source).
_LINKS = {"__cause__": "Caused by", "cause": "Caused by",
          "__context__": "Raised while handling"}


@register.simple_tag
def exception_group(data: dict, trace: TraceView | None = None) -> dict | None:
    """An exception group as a tree: the group with its members under it, each with its own
    members and causes (Sentry's mechanism: exception_id, parent_id, is_exception_group).

    None when no exception is a group, or when the ids do not make one tree: the exceptions
    are then shown as a chain, as they were sent.
    """
    values = _values(data)
    if not any(_mechanism(v).get("is_exception_group") is True for v in values):
        return None
    nodes: dict[int, dict] = {}
    parents: dict[int, int] = {}
    # Newest first: sentry-python sends a group's members in reverse, like the whole list.
    for value in reversed(values):
        mechanism = _mechanism(value)
        exception_id, parent_id = mechanism.get("exception_id"), mechanism.get("parent_id")
        if not _is_id(exception_id) or exception_id in nodes:
            return None
        if parent_id is not None:
            if not _is_id(parent_id):
                return None
            parents[exception_id] = parent_id
        nodes[exception_id] = {
            **_exception(value), "is_group": mechanism.get("is_exception_group") is True,
            "source": str(mechanism.get("source") or ""), "members": [], "causes": [],
        }
    roots = [i for i in nodes if i not in parents]
    if len(roots) != 1 or any(p not in nodes for p in parents.values()):
        return None
    for exception_id, node in nodes.items():
        if exception_id not in parents:
            continue
        parent = nodes[parents[exception_id]]
        link = _LINKS.get(node["source"])
        if parent["is_group"] and link is None:
            parent["members"].append(node)
        else:
            node["link"] = link or f"Linked ({node['source'] or 'no source'})"
            parent["causes"].append(node)
    # With one root and every parent known, an exception the root does not reach is in a cycle.
    reached, todo = 0, [nodes[roots[0]]]
    while todo:
        node = todo.pop()
        reached += 1
        todo += node["members"] + node["causes"]
    if reached != len(nodes):
        return None
    root = nodes[roots[0]]
    return arrange_tree(root, trace) if trace else root


@register.simple_tag
def threads(data: dict, trace: TraceView | None = None) -> list[dict]:
    """Thread stack traces, only when there is no exception to show (crash reports)."""
    if ((data or {}).get("exception") or {}).get("values"):
        return []
    result = []
    for thread in ((data or {}).get("threads") or {}).get("values") or []:
        if isinstance(thread, dict) and thread.get("stacktrace"):
            result.append({
                "name": thread.get("name") or f"Thread {thread.get('id', '')}",
                "crashed": bool(thread.get("crashed")),
                "frames": _frames(thread.get("stacktrace")),
            })
    if trace:
        for thread in result:
            thread["frames"], thread["hidden"] = _arranged(thread["frames"], trace)
    result.sort(key=lambda t: not t["crashed"])
    return result


@register.simple_tag
def raw_trace(group: dict | None, chain: list[dict] | None, trace: TraceView) -> str:
    """The shown exceptions as plain text (autoescaped when printed, like all event data)."""
    if group:
        return raw_tree(group, trace)
    return raw_chain(chain or [], trace)


@register.filter
def message(data: dict) -> str:
    logentry = (data or {}).get("logentry")
    if isinstance(logentry, dict):
        return str(logentry.get("formatted") or logentry.get("message") or "")
    return str((data or {}).get("message") or "")


@register.filter
def pairs(value: Any) -> list[tuple[str, Any]]:
    """Tags, headers and the like arrive as a dict or a list of [key, value] pairs."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, list):
        return [(str(item[0]), item[1]) for item in value
                if isinstance(item, list | tuple) and len(item) == 2]
    return []


@register.filter
def pretty(value: Any) -> str:
    """Strings as they are, everything else as indented JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def context_summary(context: Any) -> str:
    """What a context card's title adds: "CPython 3.12.1", "Linux 6.8"."""
    if not isinstance(context, dict):
        return ""
    name, version = context.get("name"), context.get("version")
    parts = [str(p) for p in (name, version) if isinstance(p, str | int | float) and p != ""]
    return " ".join(parts)


@register.filter
def extra_cards(extra: Any) -> list[dict]:
    """`extra` as cards: the plain values together in one, each structured value in its own
    card under its key."""
    plain, cards = [], []
    for key, value in pairs(extra):
        if isinstance(value, dict) and value:
            cards.append({"title": key, "rows": [(str(k), v) for k, v in value.items()]})
        else:
            plain.append((key, value))
    return ([{"title": "", "rows": plain}] if plain else []) + cards


@register.filter
def is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


@register.filter
def timestamp(value: Any) -> datetime | None:
    """Breadcrumb timestamps are epoch seconds once normalized; ISO strings are accepted."""
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    return None


@register.filter
def breadcrumbs(data: dict) -> list[dict]:
    crumbs = ((data or {}).get("breadcrumbs") or {})
    values = crumbs.get("values") if isinstance(crumbs, dict) else crumbs
    return [c for c in values or [] if isinstance(c, dict)]


@register.filter
def level_name(value: int) -> str:
    try:
        return Level(value).label
    except ValueError:
        return str(value)


@register.filter
def raw_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True, default=str)
