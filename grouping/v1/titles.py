"""Title, culprit and metadata of an event (docs/grouping.md §8)."""

from __future__ import annotations

from typing import Any

from .stacks import (
    as_dict,
    as_str,
    crash_frame,
    exceptions,
    frames_of,
    is_synthetic,
    mechanism,
    threads,
)

MAX_CULPRIT_LENGTH = 200
MAX_TITLE_VALUE_LENGTH = 100
MAX_TYPE_LENGTH = 128
MAX_VALUE_LENGTH = 1024
_CULPRIT_FUNCTION_ONLY = frozenset({"native", "cocoa", "objc"})
_JAVASCRIPT = frozenset({"javascript", "node"})
_NO_CRASH_FUNCTIONS = (None, "<redacted>", "<unknown>")


def truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: max(0, length - 3)] + "..."


def title_and_metadata(
    event: dict[str, Any], main_exception_id: int | None, custom_title: str | None
) -> tuple[str, dict[str, Any]]:
    values = exceptions(event)
    if values:
        main = _main_exception(values, main_exception_id)
        metadata = _error_metadata(event, main)
        title = _error_title(metadata, _first_line(event) if is_synthetic(main) else "")
    else:
        logentry = as_dict(event.get("logentry"))
        message = (as_str(logentry.get("formatted")) or as_str(logentry.get("message")) or "")
        message = message.strip()
        title = truncate(message.splitlines()[0], MAX_TITLE_VALUE_LENGTH) if message else ""
        title = title or "<unlabeled event>"
        metadata = {"title": title}
    if custom_title:
        title = metadata["title"] = custom_title
    return title, metadata


def _main_exception(values: list[dict[str, Any]], main_id: int | None) -> dict[str, Any]:
    # Id 0 is the root of an exception group; like Sentry, it does not override the default.
    if main_id:
        for exception in values:
            if mechanism(exception).get("exception_id") == main_id:
                return exception
    return values[-1]


def _error_metadata(event: dict[str, Any], exception: dict[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {
        "value": truncate(as_str(exception.get("value")) or "", MAX_VALUE_LENGTH),
    }
    if not is_synthetic(exception):
        metadata["type"] = truncate(as_str(exception.get("type")) or "Error", MAX_TYPE_LENGTH)
    frames = frames_of(exception.get("stacktrace")) or _fallback_frames(event)
    frame = crash_frame(frames, lambda f: f.get("function") not in _NO_CRASH_FUNCTIONS)
    if frame is not None:
        filename = as_str(frame.get("filename")) or as_str(frame.get("abs_path"))
        function = as_str(frame.get("function"))
        if filename:
            metadata["filename"] = filename
        if function:
            metadata["function"] = function
    metadata["display_title_with_tree_label"] = False
    return metadata


def _fallback_frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    frames = frames_of(event.get("stacktrace"))
    if not frames:
        all_threads = threads(event)
        if len(all_threads) == 1:
            frames = frames_of(all_threads[0].get("stacktrace"))
    return frames


# Function names that say nothing: a synthetic exception titled "?" helps nobody.
_ANONYMOUS_FUNCTIONS = frozenset({"?", "<anonymous>", "<anonymous function>", "Anonymous function"})


def _first_line(event: dict[str, Any]) -> str:
    logentry = as_dict(event.get("logentry"))
    message = (as_str(logentry.get("formatted")) or as_str(logentry.get("message")) or "").strip()
    return truncate(message.splitlines()[0], MAX_TITLE_VALUE_LENGTH) if message else ""


def _error_title(metadata: dict[str, Any], message: str = "") -> str:
    type_ = metadata.get("type")
    if type_ is None:
        # A synthetic exception only carries a stack for a message (captureMessage with a
        # stack trace, as @sentry/node 11 sends it): the message is the title. Errata's
        # choice over Sentry, which falls back to the crash function even when it is "?".
        if message:
            return message
        function = metadata.get("function")
        if function and function not in _ANONYMOUS_FUNCTIONS:
            return str(function)
        value = metadata.get("value")
        return truncate(value.splitlines()[0], MAX_TITLE_VALUE_LENGTH) if value else "<unknown>"
    value = metadata.get("value")
    if value:
        return f"{type_}: {truncate(value.splitlines()[0], MAX_TITLE_VALUE_LENGTH)}"
    return str(type_)


def culprit(event: dict[str, Any]) -> str:
    """The given culprit, else the transaction, else the most relevant frame's location."""
    text = as_str(event.get("culprit")) or as_str(event.get("transaction"))
    if not text:
        text = _generated_culprit(event) or as_str(as_dict(event.get("request")).get("url"))
    return truncate(text or "", MAX_CULPRIT_LENGTH)


def _generated_culprit(event: dict[str, Any]) -> str:
    platform = as_str(event.get("platform"))
    values = exceptions(event)
    if values:
        if is_synthetic(values[-1]):
            return ""
        stacks = [frames for e in values if (frames := frames_of(e.get("stacktrace")))]
        frames = stacks[-1] if stacks else []
    else:
        frames = frames_of(event.get("stacktrace")) or _thread_frames(event)
    fallback = None
    for frame in reversed(frames):
        if frame.get("in_app"):
            location = _frame_culprit(frame, platform)
            if location:
                return location
        elif fallback is None:
            fallback = _frame_culprit(frame, platform)
    return fallback or ""


def _thread_frames(event: dict[str, Any]) -> list[dict[str, Any]]:
    all_threads = threads(event)
    crashed = [t for t in all_threads if t.get("crashed")]
    chosen = crashed if len(crashed) == 1 else all_threads
    return frames_of(chosen[0].get("stacktrace")) if len(chosen) == 1 else []


def _frame_culprit(frame: dict[str, Any], platform: str | None) -> str:
    platform = as_str(frame.get("platform")) or platform
    function = as_str(frame.get("function")) or "?"
    if platform in _CULPRIT_FUNCTION_ONLY:
        return function
    location = as_str(frame.get("module")) or as_str(frame.get("filename"))
    if not location:
        return ""
    if platform in _JAVASCRIPT:
        return f"{function}({location})"
    return f"{location} in {function}"
