"""The cap on the stored size of a normalized event.

Measuring means serializing, the most expensive step of normalization, so it happens at most
once for a normal event, and not at all when the caller passes the size of the JSON it parsed
and that size leaves a comfortable margin (normalization adds little: defaults, `errors`,
`_meta`, a formatted message). Only an event over the cap pays for more: optional parts are
dropped, heaviest-value-for-least-loss first, each drop recorded in `errors`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ingest.digest.normalize.meta import Notes
from ingest.digest.normalize.stack import iter_stacktraces

# Upper bound of what normalization can add to the parsed payload, beyond the measured
# `errors`/`_meta`: defaults and a formatted message (8192 characters, up to 4 bytes each).
_GROWTH_SLACK = 64 * 1024
# Structural growth (tags object -> pairs, stringified deep data bags, escapes) stays well
# below the payload's own size.
_GROWTH_FACTOR = 2

# Top-level keys that survive the last resort: what identifies, groups and titles the event.
_ESSENTIAL_KEYS = (
    "event_id", "timestamp", "received", "start_timestamp", "level", "platform", "logger",
    "type", "logentry", "exception", "environment", "release", "dist", "culprit",
    "transaction", "fingerprint", "tags", "user", "sdk",
)
_LAST_RESORT_FRAMES = 20
_LAST_RESORT_VALUES = 10
_LAST_RESORT_TAGS = 100
_LAST_RESORT_TEXT = 1024
_LAST_RESORT_FRAME_TEXT = 256
_LAST_RESORT_FRAME_KEYS = ("filename", "abs_path", "module", "function", "lineno", "in_app")


def json_size(value: Any) -> int:
    """Bytes of `value` as compact UTF-8 JSON (what we store)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), check_circular=False,
                      default=str)
    # Lone surrogates can come through `json.loads`; count them rather than fail here.
    return len(text.encode("utf-8", "surrogatepass"))


def enforce_size_cap(
    event: dict[str, Any], notes: Notes, max_bytes: int, raw_size: int | None
) -> None:
    """Drop optional parts until the event (with its pending `errors`/`_meta`) fits."""
    if raw_size is not None:
        bound = raw_size * _GROWTH_FACTOR + _GROWTH_SLACK + _notes_size(notes)
        if bound <= max_bytes:
            return
    size = json_size(event) + _notes_size(notes)
    if size <= max_bytes:
        return
    for name, drop in _DROPS:
        removed = drop(event)
        if removed:
            notes.error("too_large", name, removed)
            size -= removed
            if size <= max_bytes:
                break
    if size > max_bytes or json_size(event) + _notes_size(notes) > max_bytes:
        _last_resort(event, notes)


def _notes_size(notes: Notes) -> int:
    # Keys, separators and the bound on `errors` length make this a close upper estimate.
    return json_size(notes.errors) + json_size(notes.meta) + 32


def _drop_key(*keys: str) -> Callable[[dict[str, Any]], int]:
    """A drop step removing a (nested) key; it returns the bytes removed."""

    def drop(event: dict[str, Any]) -> int:
        parent: Any = event
        for key in keys[:-1]:
            parent = parent.get(key)
            if not isinstance(parent, dict):
                return 0
        if keys[-1] not in parent:
            return 0
        return json_size(parent.pop(keys[-1])) + len(keys[-1]) + 4

    return drop


def _drop_frame_keys(*keys: str) -> Callable[[dict[str, Any]], int]:
    def drop(event: dict[str, Any]) -> int:
        removed = 0
        for stacktrace in iter_stacktraces(event):
            for frame in stacktrace["frames"]:
                for key in keys:
                    if key in frame:
                        removed += json_size(frame.pop(key)) + len(key) + 4
        return removed

    return drop


def _drop_thread_stacks(event: dict[str, Any]) -> int:
    threads = event.get("threads")
    if not isinstance(threads, dict):
        return 0
    removed = 0
    for thread in threads.get("values", ()):
        if not thread.get("crashed") and "stacktrace" in thread:
            removed += json_size(thread.pop("stacktrace")) + 14
    return removed


# Order: the largest parts that matter least for triage go first.
_DROPS: tuple[tuple[str, Callable[[dict[str, Any]], int]], ...] = (
    ("frames.vars", _drop_frame_keys("vars")),
    ("breadcrumbs", _drop_key("breadcrumbs")),
    ("extra", _drop_key("extra")),
    ("request.data", _drop_key("request", "data")),
    ("modules", _drop_key("modules")),
    ("debug_meta", _drop_key("debug_meta")),
    ("frames.source_context", _drop_frame_keys("pre_context", "post_context")),
    ("threads.stacktrace", _drop_thread_stacks),
    ("contexts", _drop_key("contexts")),
    ("request", _drop_key("request")),
    ("threads", _drop_key("threads")),
    ("spans", _drop_key("spans")),
)


def _last_resort(event: dict[str, Any], notes: Notes) -> None:
    """Keep only what identifies, groups and titles the event, each part shortened."""
    for key in [key for key in event if key not in _ESSENTIAL_KEYS]:
        del event[key]
    notes.meta.clear()
    notes.error("too_large", "event", None, reason="only essential fields kept")
    exception = event.get("exception")
    if isinstance(exception, dict):
        values = exception["values"][-_LAST_RESORT_VALUES:]
        for exc in values:
            _shorten_exception(exc)
        exception["values"] = values
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        event["logentry"] = {"formatted": logentry["formatted"][:_LAST_RESORT_TEXT]}
    for key, count in (("tags", _LAST_RESORT_TAGS), ("fingerprint", _LAST_RESORT_VALUES)):
        if isinstance(event.get(key), list):
            event[key] = event[key][:count]
    if isinstance(event.get("fingerprint"), list):
        event["fingerprint"] = [part[:_LAST_RESORT_TEXT] for part in event["fingerprint"]]
    for key in ("user", "sdk"):
        if isinstance(event.get(key), dict):
            event[key] = _short_strings(event[key], _LAST_RESORT_TEXT)


def _shorten_exception(exc: dict[str, Any]) -> None:
    for key in ("type", "value"):
        if isinstance(exc.get(key), str):
            exc[key] = exc[key][:_LAST_RESORT_TEXT]
    exc.pop("raw_stacktrace", None)
    stacktrace = exc.get("stacktrace")
    if isinstance(stacktrace, dict):
        stacktrace.pop("frames_omitted", None)
        stacktrace["frames"] = [
            _short_strings({k: frame[k] for k in _LAST_RESORT_FRAME_KEYS if k in frame},
                           _LAST_RESORT_FRAME_TEXT)
            for frame in stacktrace["frames"][-_LAST_RESORT_FRAMES:]
        ]
    mechanism = exc.get("mechanism")
    if isinstance(mechanism, dict):
        exc["mechanism"] = {
            k: mechanism[k] for k in ("type", "handled", "synthetic") if k in mechanism
        }


def _short_strings(mapping: dict[str, Any], limit: int) -> dict[str, Any]:
    """The first 10 scalar entries of `mapping`, strings cut to `limit`."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, str):
            out[key] = value[:limit]
        elif value is None or isinstance(value, bool | int | float):
            out[key] = value
        if len(out) == 10:
            break
    return out
