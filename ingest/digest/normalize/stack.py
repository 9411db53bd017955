"""Exceptions, threads and stack traces: accepted forms, invalid values, frame limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from ingest.digest.normalize.databag import FRAME_VARS, limit_databag
from ingest.digest.normalize.meta import Notes, Path

# Longer frame lists are cut in the middle: the outermost frames (the entry point) and the
# innermost ones (the crash, which matters most for grouping and triage) are kept.
MAX_FRAMES = 250
KEEP_OUTER_FRAMES = 50
# Source context and vars are kept on this many frames per stack trace (as Relay does).
FRAME_DATA_ALLOWANCE = 50
MAX_EXCEPTION_VALUE_CHARS = 8192

# Old JavaScript SDKs send `value: "TypeError: x is undefined"` and no type. The space after the
# colon keeps URLs ("http://...") and `module:function` values from being split.
_TYPE_IN_VALUE = re.compile(r"([A-Za-z_$][\w$.]*): (.*)", re.DOTALL)
_FRAME_DATA_KEYS = ("vars", "pre_context", "post_context")


def normalize_exception(event: dict[str, Any], notes: Notes) -> None:
    """Bring `exception` to `{"values": [...]}` and drop values that have no type and no value.

    The key is removed when no valid value remains; the caller decides whether that leaves the
    event without a payload.
    """
    values = _values(event, "exception", notes)
    if values is None:
        return
    kept: list[dict[str, Any]] = []
    for index, exc in enumerate(values):
        name = f"exception.values.{index}"
        if not isinstance(exc, dict):
            notes.error("invalid_data", name, exc)
        elif _normalize_single_exception(exc, name, ("exception", "values", len(kept)), notes):
            kept.append(exc)
        else:
            notes.error("invalid_data", name, None, reason="type or value required")
    if kept:
        event["exception"]["values"] = kept
    else:
        del event["exception"]


def normalize_threads(event: dict[str, Any], notes: Notes) -> None:
    """Bring `threads` to `{"values": [...]}` and normalize each thread's stack trace."""
    values = _values(event, "threads", notes)
    if values is None:
        return
    kept: list[dict[str, Any]] = []
    for index, thread in enumerate(values):
        if not isinstance(thread, dict):
            notes.error("invalid_data", f"threads.values.{index}", thread)
            continue
        path = ("threads", "values", len(kept))
        for field in ("stacktrace", "raw_stacktrace"):
            _normalize_stacktrace_field(thread, field, path, notes)
        kept.append(thread)
    if kept:
        event["threads"]["values"] = kept
    else:
        del event["threads"]


def normalize_top_stacktrace(event: dict[str, Any], notes: Notes) -> None:
    _normalize_stacktrace_field(event, "stacktrace", (), notes)


def iter_stacktraces(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every normalized stack trace of the event: exceptions, threads, then the top-level one."""
    for key in ("exception", "threads"):
        container = event.get(key)
        if isinstance(container, dict):
            for value in container.get("values") or ():
                if not isinstance(value, dict):
                    continue
                for field in ("stacktrace", "raw_stacktrace"):
                    stacktrace = value.get(field)
                    if isinstance(stacktrace, dict):
                        yield stacktrace
    stacktrace = event.get("stacktrace")
    if isinstance(stacktrace, dict):
        yield stacktrace


def _values(event: dict[str, Any], key: str, notes: Notes) -> list[Any] | None:
    """The `values` list of an interface that SDKs send as an object, a bare list or one item."""
    container = event.get(key)
    if container is None:
        event.pop(key, None)
        return None
    if isinstance(container, list):
        container = event[key] = {"values": container}
    elif isinstance(container, dict) and "values" not in container and container:
        # A single value sent without the wrapper (old SDKs).
        container = event[key] = {"values": [container]}
    values = container.get("values") if isinstance(container, dict) else None
    if not isinstance(values, list):
        notes.error("invalid_data", key, container)
        del event[key]
        return None
    return values


def _normalize_single_exception(
    exc: dict[str, Any], name: str, path: Path, notes: Notes
) -> bool:
    """Normalize one exception in place; False when it has neither type nor value."""
    exc_type = exc.get("type")
    if exc_type is not None and not isinstance(exc_type, str):
        notes.error("invalid_data", f"{name}.type", exc_type)
        exc_type = None
    exc_type = exc_type.strip() if exc_type else None
    value = _lenient_text(exc.get("value"))
    if exc_type is None and value:
        match = _TYPE_IN_VALUE.fullmatch(value)
        if match:
            exc_type, value = match[1], match[2].strip()
    if exc_type is None and not value:
        return False
    _set_or_drop(exc, "type", exc_type)
    _set_or_drop(exc, "value", notes.trim(value, MAX_EXCEPTION_VALUE_CHARS, (*path, "value"))
                 if value else None)
    mechanism = exc.get("mechanism")
    if mechanism is not None:
        _normalize_mechanism(exc, mechanism, name, notes)
    for field in ("stacktrace", "raw_stacktrace"):
        _normalize_stacktrace_field(exc, field, path, notes)
    return True


def _normalize_mechanism(exc: dict[str, Any], mechanism: Any, name: str, notes: Notes) -> None:
    if not isinstance(mechanism, dict):
        notes.error("invalid_data", f"{name}.mechanism", mechanism)
        del exc["mechanism"]
        return
    if not isinstance(mechanism.get("type"), str) or not mechanism["type"]:
        # The protocol requires a type; "generic" is what SDKs use for explicit captures.
        mechanism["type"] = "generic"
    handled = mechanism.get("handled")
    if handled is not None and not isinstance(handled, bool):
        notes.error("invalid_data", f"{name}.mechanism.handled", handled)
        del mechanism["handled"]


def _normalize_stacktrace_field(
    owner: dict[str, Any], field: str, path: Path, notes: Notes
) -> None:
    stacktrace = owner.get(field)
    if stacktrace is None:
        owner.pop(field, None)
        return
    name = ".".join(str(part) for part in (*path, field))
    if not isinstance(stacktrace, dict) or not isinstance(stacktrace.get("frames"), list):
        notes.error("invalid_data", name, stacktrace)
        del owner[field]
        return
    frames = stacktrace["frames"]
    if not all(type(frame) is dict for frame in frames):
        frames = [frame for frame in frames if isinstance(frame, dict)]
        notes.error("invalid_data", f"{name}.frames", None, reason="frames must be objects")
    if not frames:
        del owner[field]
        return
    stacktrace["frames"] = frames = _limit_frames(stacktrace, frames, (*path, field), notes)
    if len(frames) > FRAME_DATA_ALLOWANCE:
        _slim_frames(frames)
    frames_path = (*path, field, "frames")
    for index, frame in enumerate(frames):
        variables = frame.get("vars")
        if variables:
            frame["vars"] = limit_databag(variables, FRAME_VARS, (*frames_path, index, "vars"),
                                          notes)


def _limit_frames(
    stacktrace: dict[str, Any], frames: list[dict[str, Any]], path: Path, notes: Notes
) -> list[dict[str, Any]]:
    count = len(frames)
    if count <= MAX_FRAMES:
        return frames
    inner = MAX_FRAMES - KEEP_OUTER_FRAMES
    # `frames_omitted` is the protocol's [start, end) range of removed frames.
    stacktrace["frames_omitted"] = [KEEP_OUTER_FRAMES, count - inner]
    notes.original_length((*path, "frames"), count)
    return frames[:KEEP_OUTER_FRAMES] + frames[count - inner :]


def _slim_frames(frames: list[dict[str, Any]]) -> None:
    """Strip vars and source context from all but FRAME_DATA_ALLOWANCE frames.

    In-app frames are preferred; within each kind, the frames nearest the crash (end of the
    list) and nearest the entry point (start) are kept.
    """
    app = [i for i, frame in enumerate(frames) if frame.get("in_app") is True]
    other = [i for i, frame in enumerate(frames) if frame.get("in_app") is not True]
    keep = _ends(app, FRAME_DATA_ALLOWANCE)
    keep.update(_ends(other, FRAME_DATA_ALLOWANCE - len(keep)))
    for index, frame in enumerate(frames):
        if index not in keep:
            for key in _FRAME_DATA_KEYS:
                frame.pop(key, None)


def _ends(indices: list[int], count: int) -> set[int]:
    """`count` items from both ends of `indices`, the extra one from the end."""
    if count <= 0:
        return set()
    if count >= len(indices):
        return set(indices)
    from_start = count // 2
    return set(indices[:from_start]) | set(indices[len(indices) - (count - from_start) :])


def _lenient_text(value: Any) -> str | None:
    """Exception values are text; SDKs sometimes send numbers or objects (Relay stringifies)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _set_or_drop(target: dict[str, Any], key: str, value: Any) -> None:
    if value is None:
        target.pop(key, None)
    else:
        target[key] = value
