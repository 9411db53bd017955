"""Handled / unhandled / crash, severity score and initial priority of an error event.

Pure functions over a normalized event (see `ingest.digest.normalize.event`). The severity
values are ours: Sentry asks an ML service, we apply the deterministic rule of
docs/pipeline.md §4.2 and keep Sentry's field names (`severity`, `severity_reason`)
so alert filters work unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# Group.priority values (Sentry's PriorityLevel).
PRIORITY_LOW = 25
PRIORITY_MEDIUM = 50
PRIORITY_HIGH = 75

HIGH_SEVERITY_THRESHOLD = 0.1

# Titles that say nothing about the error (Sentry's placeholder list).
PLACEHOLDER_TITLES = frozenset({"<untitled>", "<unknown>", "<unlabeled event>", "Error", ""})

# Capture paths that only exist when the process died: native crash reports and the signal /
# Mach exception handlers of the native and Apple SDKs. Browser `onerror` and
# `onunhandledrejection` are deliberately absent: the page keeps running.
CRASH_MECHANISMS = frozenset(
    {"minidump", "applecrashreport", "signalhandler", "signal", "mach", "mach_exception"}
)

_SEVERITY_FATAL = (1.0, "log_level_fatal")
_SEVERITY_INFO = (0.0, "log_level_info")
_SEVERITY_BAD_TITLE = (0.0, "bad_title")
_SEVERITY_UNHANDLED = 0.9
_SEVERITY_HANDLED_WITH_STACK = 0.3
_SEVERITY_HANDLED_NO_STACK = 0.05
_REASON_HEURISTIC = "heuristic"


def is_handled(event: dict[str, Any]) -> bool | None:
    """Sentry's tri-state: False if any exception has `mechanism.handled` false, else True if
    any has it true, else None (unknown)."""
    seen_handled = False
    for mechanism in _mechanisms(event):
        handled = mechanism.get("handled")
        if handled is False:
            return False
        if handled is True:
            seen_handled = True
    return True if seen_handled else None


def handling(event: dict[str, Any]) -> str:
    """`"crash"`, `"unhandled"` or `"handled"`.

    - unhandled: some exception has `mechanism.handled == false` (docs/pipeline.md §4.1);
    - crash: unhandled, and either the level is `fatal` (the usual signature of a crash that
      ended the process) or a mechanism is a native crash path (CRASH_MECHANISMS). `fatal`
      alone is not enough: SDKs let applications send fatal messages on purpose;
    - handled: everything else, including an unknown `handled` (shown as handled, like Sentry).
    """
    if is_handled(event) is not False:
        return "handled"
    if event.get("level") == "fatal":
        return "crash"
    if any(m.get("type") in CRASH_MECHANISMS for m in _mechanisms(event)):
        return "crash"
    return "unhandled"


def severity(event: dict[str, Any], title: str) -> tuple[float | None, str]:
    """Severity score (0..1) and `severity_reason` for a new error group.

    Rule (ours, in this order): `fatal` -> 1.0 `log_level_fatal`; `info`/`debug` -> 0.0
    `log_level_info`; placeholder title -> 0.0 `bad_title`; then reason `heuristic` with 0.9 if
    unhandled, 0.3 if handled (or unknown) with a stack trace, 0.05 without one.
    Transactions get `(None, "")`: severity only exists for error groups.
    """
    if event.get("type") == "transaction":
        return None, ""
    level = event.get("level")
    if level == "fatal":
        return _SEVERITY_FATAL
    if level in ("info", "debug"):
        return _SEVERITY_INFO
    if title.strip() in PLACEHOLDER_TITLES:
        return _SEVERITY_BAD_TITLE
    if is_handled(event) is False:
        return _SEVERITY_UNHANDLED, _REASON_HEURISTIC
    if has_stacktrace(event):
        return _SEVERITY_HANDLED_WITH_STACK, _REASON_HEURISTIC
    return _SEVERITY_HANDLED_NO_STACK, _REASON_HEURISTIC


def priority(level: str | None, severity: float | None) -> int:
    """Initial group priority (docs/pipeline.md §4.3); a missing severity counts high."""
    if level in ("debug", "info"):
        return PRIORITY_LOW
    if level == "fatal":
        return PRIORITY_HIGH
    if level == "warning":
        high = severity is not None and severity >= HIGH_SEVERITY_THRESHOLD
        return PRIORITY_HIGH if high else PRIORITY_MEDIUM
    if level == "error":
        low = severity is not None and severity < HIGH_SEVERITY_THRESHOLD
        return PRIORITY_MEDIUM if low else PRIORITY_HIGH
    return PRIORITY_MEDIUM


def has_stacktrace(event: dict[str, Any]) -> bool:
    """Whether any frame exists in the top-level stack trace, the exceptions or the threads."""
    stacktrace = event.get("stacktrace")
    if isinstance(stacktrace, dict) and stacktrace.get("frames"):
        return True
    for key in ("exception", "threads"):
        for value in _values(event, key):
            stacktrace = value.get("stacktrace")
            if isinstance(stacktrace, dict) and stacktrace.get("frames"):
                return True
    return False


def _mechanisms(event: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for exc in _values(event, "exception"):
        mechanism = exc.get("mechanism")
        if isinstance(mechanism, dict):
            yield mechanism


def _values(event: dict[str, Any], key: str) -> Iterator[dict[str, Any]]:
    container = event.get(key)
    values = container.get("values") if isinstance(container, dict) else None
    for value in values or ():
        if isinstance(value, dict):
            yield value
