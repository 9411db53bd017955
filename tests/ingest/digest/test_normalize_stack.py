"""normalize_event: exception and thread forms, invalid exceptions, frame limits."""

import copy
from datetime import UTC, datetime

import pytest

from ingest.digest.normalize.event import normalize_event
from ingest.digest.normalize.stack import FRAME_DATA_ALLOWANCE, KEEP_OUTER_FRAMES, MAX_FRAMES

RECEIVED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def norm(data):
    return normalize_event(data, received=RECEIVED)


def errors(event):
    return [(e["type"], e["name"]) for e in event.get("errors", [])]


def frames(count, **extra):
    return [{"function": f"f{i}", "lineno": i, **extra} for i in range(count)]


# --- exception forms ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "exception",
    [
        {"values": [{"type": "ValueError", "value": "bad"}]},
        [{"type": "ValueError", "value": "bad"}],
        {"type": "ValueError", "value": "bad"},
    ],
)
def test_exception_forms(exception):
    event = norm({"exception": exception})
    assert event["exception"] == {"values": [{"type": "ValueError", "value": "bad"}]}
    assert event["type"] == "error"


def test_exception_values_keep_their_order_and_extra_keys():
    values = [
        {"type": "KeyError", "value": "root", "module": "builtins"},
        {"type": "ValueError", "value": "raised", "thread_id": 1},
    ]
    event = norm({"exception": {"values": copy.deepcopy(values)}})
    assert event["exception"]["values"] == values


@pytest.mark.parametrize(
    ("values", "kept_types", "error_names"),
    [
        ([{"type": "A"}, {"module": "m"}, {"value": "only value"}], ["A", None],
         ["exception.values.1"]),
        ([{"type": "", "value": ""}, {"type": "B"}], ["B"], ["exception.values.0"]),
        ([{"type": None, "value": None}, {"type": "C"}], ["C"], ["exception.values.0"]),
        (["not an object", {"type": "D"}], ["D"], ["exception.values.0"]),
    ],
)
def test_values_without_type_and_value_are_dropped(values, kept_types, error_names):
    event = norm({"exception": {"values": values}})
    assert [v.get("type") for v in event["exception"]["values"]] == kept_types
    assert errors(event) == [("invalid_data", name) for name in error_names]


def test_invalid_exception_container_is_recorded():
    event = norm({"exception": {"values": "nope"}, "message": "m"})
    assert "exception" not in event
    assert errors(event) == [("invalid_data", "exception")]


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        ({"value": "TypeError: x is undefined"}, {"type": "TypeError", "value": "x is undefined"}),
        ({"value": "Error: multi\nline"}, {"type": "Error", "value": "multi\nline"}),
        ({"value": "java.lang.IllegalStateException: boom"},
         {"type": "java.lang.IllegalStateException", "value": "boom"}),
        ({"value": "Error: "}, {"type": "Error"}),
        ({"value": "http://example.com/x"}, {"value": "http://example.com/x"}),
        ({"value": "module:function failed"}, {"value": "module:function failed"}),
        ({"value": "Uncaught TypeError: x"}, {"value": "Uncaught TypeError: x"}),
        ({"type": "Mine", "value": "Other: text"}, {"type": "Mine", "value": "Other: text"}),
        ({"type": "  Padded  ", "value": "v"}, {"type": "Padded", "value": "v"}),
        ({"type": "E", "value": 42}, {"type": "E", "value": "42"}),
        ({"type": "E", "value": {"a": 1}}, {"type": "E", "value": '{"a": 1}'}),
        ({"type": "E", "value": ""}, {"type": "E"}),
    ],
)
def test_type_and_value(exc, expected):
    event = norm({"exception": [exc]})
    assert event["exception"]["values"] == [expected]


def test_non_string_type_is_dropped_with_error():
    event = norm({"exception": [{"type": 5, "value": "v"}]})
    assert event["exception"]["values"] == [{"value": "v"}]
    assert errors(event) == [("invalid_data", "exception.values.0.type")]


@pytest.mark.parametrize(
    ("mechanism", "expected", "error_names"),
    [
        ({"type": "django", "handled": False}, {"type": "django", "handled": False}, []),
        ({"handled": True}, {"type": "generic", "handled": True}, []),
        ({"type": "", "synthetic": True}, {"type": "generic", "synthetic": True}, []),
        ({"type": "x", "handled": "no"}, {"type": "x"}, ["exception.values.0.mechanism.handled"]),
        ("onerror", None, ["exception.values.0.mechanism"]),
    ],
)
def test_mechanism(mechanism, expected, error_names):
    event = norm({"exception": [{"type": "E", "mechanism": mechanism}]})
    assert event["exception"]["values"][0].get("mechanism") == expected
    assert errors(event) == [("invalid_data", name) for name in error_names]


def test_long_exception_value_is_cut_with_meta():
    event = norm({"exception": [{"module": "m"}, {"type": "E", "value": "v" * 9000}]})
    value = event["exception"]["values"][0]["value"]
    assert len(value) == 8192
    # The path is the value's position after invalid values were dropped.
    assert event["_meta"]["exception"]["values"]["0"]["value"][""] == {"len": 9000}


# --- threads and stack traces ---------------------------------------------------------------


@pytest.mark.parametrize(
    "threads",
    [
        [{"id": 1, "crashed": True, "stacktrace": {"frames": frames(2)}}],
        {"values": [{"id": 1, "crashed": True, "stacktrace": {"frames": frames(2)}}]},
    ],
)
def test_threads_forms(threads):
    event = norm({"message": "m", "threads": threads})
    assert event["threads"] == {
        "values": [{"id": 1, "crashed": True, "stacktrace": {"frames": frames(2)}}]
    }


def test_invalid_threads_are_dropped():
    event = norm({"message": "m", "threads": [5, {"id": 2}]})
    assert event["threads"] == {"values": [{"id": 2}]}
    assert errors(event) == [("invalid_data", "threads.values.0")]


@pytest.mark.parametrize(
    ("stacktrace", "kept", "error_names"),
    [
        ({"frames": frames(3)}, {"frames": frames(3)}, []),
        ({"frames": [*frames(1), "junk"]}, {"frames": frames(1)}, ["stacktrace.frames"]),
        ({"frames": []}, None, []),
        ({"frames": "nope"}, None, ["stacktrace"]),
        ({"registers": {}}, None, ["stacktrace"]),
        ([{"function": "f"}], None, ["stacktrace"]),
    ],
)
def test_top_level_stacktrace(stacktrace, kept, error_names):
    event = norm({"message": "m", "stacktrace": stacktrace})
    assert event.get("stacktrace") == kept
    assert errors(event) == [("invalid_data", name) for name in error_names]


def test_exception_stacktrace_and_raw_stacktrace_are_both_normalized():
    exc = {"type": "E", "stacktrace": {"frames": "x"}, "raw_stacktrace": {"frames": frames(1)}}
    event = norm({"exception": [exc]})
    assert event["exception"]["values"][0] == {"type": "E", "raw_stacktrace": {"frames": frames(1)}}
    assert errors(event) == [("invalid_data", "exception.values.0.stacktrace")]


# --- frame limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "kept", "omitted"),
    [
        (10, 10, None),
        (MAX_FRAMES, MAX_FRAMES, None),
        (MAX_FRAMES + 1, MAX_FRAMES, [KEEP_OUTER_FRAMES, KEEP_OUTER_FRAMES + 1]),
        (1000, MAX_FRAMES, [KEEP_OUTER_FRAMES, 1000 - (MAX_FRAMES - KEEP_OUTER_FRAMES)]),
    ],
)
def test_long_frame_lists_are_trimmed_in_the_middle(count, kept, omitted):
    event = norm({"exception": [{"type": "E", "stacktrace": {"frames": frames(count)}}]})
    stacktrace = event["exception"]["values"][0]["stacktrace"]
    linenos = [f["lineno"] for f in stacktrace["frames"]]
    assert len(linenos) == kept
    assert stacktrace.get("frames_omitted") == omitted
    if omitted:
        start, end = omitted
        assert linenos == list(range(start)) + list(range(end, count))
        meta = event["_meta"]["exception"]["values"]["0"]["stacktrace"]["frames"]
        assert meta[""] == {"len": count}


def test_client_frames_omitted_is_kept_when_we_do_not_trim():
    stacktrace = {"frames": frames(3), "frames_omitted": [1, 40]}
    event = norm({"message": "m", "stacktrace": stacktrace})
    assert event["stacktrace"]["frames_omitted"] == [1, 40]


def with_data(frame):
    return "vars" in frame and "pre_context" in frame and "post_context" in frame


def data_frames(count, in_app=None):
    in_app = in_app or set()
    return [
        {"function": f"f{i}", "lineno": i, "in_app": i in in_app, "context_line": "x",
         "pre_context": ["a"], "post_context": ["b"], "vars": {"i": str(i)}}
        for i in range(count)
    ]


@pytest.mark.parametrize("count", [1, FRAME_DATA_ALLOWANCE])
def test_frames_within_the_allowance_keep_their_data(count):
    event = norm({"message": "m", "stacktrace": {"frames": data_frames(count)}})
    assert all(with_data(f) for f in event["stacktrace"]["frames"])


def test_data_is_kept_on_the_frames_nearest_both_ends():
    event = norm({"message": "m", "stacktrace": {"frames": data_frames(80)}})
    result = event["stacktrace"]["frames"]
    kept = [f["lineno"] for f in result if with_data(f)]
    assert kept == list(range(25)) + list(range(55, 80))
    # Stripping data never removes a frame or its context line.
    assert len(result) == 80
    assert all(f["context_line"] == "x" for f in result)


def test_in_app_frames_are_preferred_for_data():
    in_app = set(range(30, 40))
    event = norm({"message": "m", "stacktrace": {"frames": data_frames(100, in_app)}})
    kept = {f["lineno"] for f in event["stacktrace"]["frames"] if with_data(f)}
    assert in_app <= kept
    assert len(kept) == FRAME_DATA_ALLOWANCE
    assert kept - in_app == set(range(20)) | set(range(80, 100))


def test_frame_vars_are_limited_per_frame():
    big = {"blob": "z" * 20_000, "small": "ok"}
    event = norm({"message": "m", "stacktrace": {"frames": [{"function": "f", "vars": big}]}})
    variables = event["stacktrace"]["frames"][0]["vars"]
    assert len(variables["blob"]) < 8192
    meta = event["_meta"]["stacktrace"]["frames"]["0"]["vars"]
    assert meta["blob"][""] == {"len": 20_000}
