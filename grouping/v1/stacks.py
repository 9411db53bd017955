"""Defensive access to the parts of an event that grouping reads.

The event is normalized upstream, but junk (None, wrong types) must never raise here, so
every read goes through these helpers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_EMPTY: dict[str, Any] = {}


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else _EMPTY


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def exceptions(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Exception values, oldest first."""
    container = event.get("exception")
    values = container if isinstance(container, list) else as_dict(container).get("values")
    return [e for e in as_list(values) if isinstance(e, dict)]


def threads(event: dict[str, Any]) -> list[dict[str, Any]]:
    container = event.get("threads")
    values = container if isinstance(container, list) else as_dict(container).get("values")
    return [t for t in as_list(values) if isinstance(t, dict)]


def frames_of(stacktrace: Any) -> list[dict[str, Any]]:
    return [f for f in as_list(as_dict(stacktrace).get("frames")) if isinstance(f, dict)]


def has_frames(stacktrace: Any) -> bool:
    return any(isinstance(f, dict) for f in as_list(as_dict(stacktrace).get("frames")))


def mechanism(exception: dict[str, Any]) -> dict[str, Any]:
    return as_dict(exception.get("mechanism"))


def is_synthetic(exception: dict[str, Any]) -> bool:
    return mechanism(exception).get("synthetic") is True


@dataclass(slots=True)
class StackRef:
    """One stack trace of the event and the exception that owns it, if any."""

    stacktrace: dict[str, Any]
    frames: list[dict[str, Any]]
    exception: dict[str, Any] | None


def find_stacks(event: dict[str, Any]) -> list[StackRef]:
    """Every stack trace: exceptions', the top-level one, threads'."""
    found: list[StackRef] = []
    for exception in exceptions(event):
        stacktrace = exception.get("stacktrace")
        if isinstance(stacktrace, dict):
            found.append(StackRef(stacktrace, frames_of(stacktrace), exception))
    stacktrace = event.get("stacktrace")
    if isinstance(stacktrace, dict):
        found.append(StackRef(stacktrace, frames_of(stacktrace), None))
    for thread in threads(event):
        stacktrace = thread.get("stacktrace")
        if isinstance(stacktrace, dict):
            found.append(StackRef(stacktrace, frames_of(stacktrace), None))
    return found


def crash_frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    """Frames of the last exception, else of the top-level stack, else of the only thread."""
    values = exceptions(event)
    frames = frames_of(values[-1].get("stacktrace")) if values else []
    if not frames:
        frames = frames_of(event.get("stacktrace"))
    if not frames:
        all_threads = threads(event)
        if len(all_threads) == 1:
            frames = frames_of(all_threads[0].get("stacktrace"))
    return frames


def crash_frame(
    frames: list[dict[str, Any]], accept: Callable[[dict[str, Any]], bool] | None = None
) -> dict[str, Any] | None:
    """The last in-app frame (closest to the crash), else the last frame."""
    fallback: dict[str, Any] | None = None
    for frame in frames[::-1]:
        if accept is not None and not accept(frame):
            continue
        if frame.get("in_app"):
            return frame
        if fallback is None:
            fallback = frame
    return fallback


def tag_pairs(event: dict[str, Any]) -> list[tuple[str, Any]]:
    """Tags as (key, value) pairs, accepting the object form too."""
    tags = event.get("tags")
    if isinstance(tags, dict):
        return [(k, v) for k, v in tags.items() if isinstance(k, str)]
    pairs = []
    for pair in as_list(tags):
        if isinstance(pair, list | tuple) and len(pair) == 2 and isinstance(pair[0], str):
            pairs.append((pair[0], pair[1]))
    return pairs
