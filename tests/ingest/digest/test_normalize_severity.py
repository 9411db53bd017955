"""ingest.digest.severity: handled / unhandled / crash, severity score, initial priority."""

import pytest

from ingest.digest.severity import (
    PRIORITY_HIGH,
    PRIORITY_LOW,
    PRIORITY_MEDIUM,
    handling,
    has_stacktrace,
    is_handled,
    priority,
    severity,
)

STACK = {"frames": [{"function": "f"}]}


def event_with(*mechanisms, level="error", stacktrace=None):
    values = []
    for mechanism in mechanisms:
        value = {"type": "E"}
        if mechanism is not None:
            value["mechanism"] = mechanism
        if stacktrace is not None:
            value["stacktrace"] = stacktrace
        values.append(value)
    event = {"level": level, "type": "error" if values else "default"}
    if values:
        event["exception"] = {"values": values}
    return event


@pytest.mark.parametrize(
    ("mechanisms", "expected"),
    [
        ((), None),
        ((None,), None),
        (({"type": "generic"},), None),
        (({"type": "generic", "handled": True},), True),
        (({"type": "django", "handled": False},), False),
        (({"type": "chained", "handled": True}, {"type": "excepthook", "handled": False}), False),
        (({"type": "chained", "handled": False}, {"type": "generic", "handled": True}), False),
        (({"type": "a"}, {"type": "b", "handled": True}), True),
    ],
)
def test_is_handled(mechanisms, expected):
    assert is_handled(event_with(*mechanisms)) is expected


@pytest.mark.parametrize(
    ("mechanisms", "level", "expected"),
    [
        ((), "error", "handled"),
        ((), "fatal", "handled"),
        (({"type": "generic"},), "fatal", "handled"),
        (({"type": "generic", "handled": True},), "fatal", "handled"),
        (({"type": "minidump", "handled": True},), "fatal", "handled"),
        (({"type": "excepthook", "handled": False},), "error", "unhandled"),
        (({"type": "onerror", "handled": False},), "error", "unhandled"),
        (({"type": "onunhandledrejection", "handled": False},), "error", "unhandled"),
        (({"type": "excepthook", "handled": False},), "fatal", "crash"),
        (({"type": "UncaughtExceptionHandler", "handled": False},), "fatal", "crash"),
        (({"type": "minidump", "handled": False},), "error", "crash"),
        (({"type": "signalhandler", "handled": False},), "error", "crash"),
        (({"type": "mach", "handled": False},), "warning", "crash"),
        (({"type": "chained", "handled": True}, {"type": "signal", "handled": False}), "error",
         "crash"),
    ],
)
def test_handling(mechanisms, level, expected):
    assert handling(event_with(*mechanisms, level=level)) == expected


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({}, False),
        ({"stacktrace": STACK}, True),
        ({"stacktrace": {"frames": []}}, False),
        (event_with({"type": "generic"}), False),
        (event_with({"type": "generic"}, stacktrace=STACK), True),
        ({"threads": {"values": [{"id": 1}, {"id": 2, "stacktrace": STACK}]}}, True),
        ({"threads": {"values": [{"id": 1}]}}, False),
    ],
)
def test_has_stacktrace(event, expected):
    assert has_stacktrace(event) is expected


UNHANDLED = {"type": "excepthook", "handled": False}
HANDLED = {"type": "generic", "handled": True}


@pytest.mark.parametrize(
    ("event", "title", "expected"),
    [
        (event_with(UNHANDLED, level="fatal"), "E: boom", (1.0, "log_level_fatal")),
        (event_with(HANDLED, level="fatal"), "<unknown>", (1.0, "log_level_fatal")),
        (event_with(UNHANDLED, level="info"), "E: boom", (0.0, "log_level_info")),
        (event_with(UNHANDLED, level="debug"), "E: boom", (0.0, "log_level_info")),
        (event_with(UNHANDLED), "<unlabeled event>", (0.0, "bad_title")),
        (event_with(UNHANDLED), "<untitled>", (0.0, "bad_title")),
        (event_with(UNHANDLED), "<unknown>", (0.0, "bad_title")),
        (event_with(UNHANDLED), "Error", (0.0, "bad_title")),
        (event_with(UNHANDLED), "", (0.0, "bad_title")),
        (event_with(UNHANDLED), "E: boom", (0.9, "heuristic")),
        (event_with(UNHANDLED, level="warning"), "E: boom", (0.9, "heuristic")),
        (event_with(HANDLED, stacktrace=STACK), "E: boom", (0.3, "heuristic")),
        (event_with(None, stacktrace=STACK), "E: boom", (0.3, "heuristic")),
        (event_with(HANDLED), "E: boom", (0.05, "heuristic")),
        ({"level": "error", "type": "default", "stacktrace": STACK}, "msg", (0.3, "heuristic")),
        ({"level": "error", "type": "default"}, "msg", (0.05, "heuristic")),
        ({"level": "info", "type": "transaction"}, "GET /", (None, "")),
    ],
)
def test_severity(event, title, expected):
    assert severity(event, title) == expected


@pytest.mark.parametrize(
    ("level", "score", "expected"),
    [
        ("debug", None, PRIORITY_LOW),
        ("info", 1.0, PRIORITY_LOW),
        ("fatal", 0.0, PRIORITY_HIGH),
        ("fatal", None, PRIORITY_HIGH),
        ("warning", None, PRIORITY_MEDIUM),
        ("warning", 0.05, PRIORITY_MEDIUM),
        ("warning", 0.1, PRIORITY_HIGH),
        ("warning", 0.9, PRIORITY_HIGH),
        ("error", None, PRIORITY_HIGH),
        ("error", 0.1, PRIORITY_HIGH),
        ("error", 0.09, PRIORITY_MEDIUM),
        ("error", 0.0, PRIORITY_MEDIUM),
        ("sample", 0.5, PRIORITY_MEDIUM),
        (None, None, PRIORITY_MEDIUM),
    ],
)
def test_priority(level, score, expected):
    assert priority(level, score) == expected


def test_priority_values():
    assert (PRIORITY_LOW, PRIORITY_MEDIUM, PRIORITY_HIGH) == (25, 50, 75)


@pytest.mark.parametrize(
    ("mechanisms", "level", "expected_priority"),
    [
        ((HANDLED,), "error", PRIORITY_MEDIUM),
        ((UNHANDLED,), "error", PRIORITY_HIGH),
        ((HANDLED,), "warning", PRIORITY_MEDIUM),
        ((UNHANDLED,), "warning", PRIORITY_HIGH),
    ],
)
def test_severity_feeds_priority(mechanisms, level, expected_priority):
    event = event_with(*mechanisms, level=level)
    score, _ = severity(event, "E: boom")
    assert priority(event["level"], score) == expected_priority
