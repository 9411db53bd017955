"""normalize_event: length limits with `_meta`, data bag limits, breadcrumb count, total size."""

import json
from datetime import UTC, datetime

import pytest

from ingest.digest.normalize import size
from ingest.digest.normalize.databag import BagLimit, limit_databag
from ingest.digest.normalize.event import normalize_event
from ingest.digest.normalize.meta import MAX_ERRORS, Notes
from ingest.digest.normalize.size import json_size
from ingest.digest.normalize.time import MAX_BREADCRUMBS

RECEIVED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
ELLIPSIS = "\u2026"


def norm(data, **kwargs):
    return normalize_event(data, received=RECEIVED, **kwargs)


def errors(event):
    return [(e["type"], e["name"]) for e in event.get("errors", [])]


def meta_at(event, *path):
    node = event["_meta"]
    for part in path:
        node = node[str(part)]
    return node[""]


def get(event, *path):
    node = event
    for part in path:
        node = node[part]
    return node


# --- length limits --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "path", "limit"),
    [
        ({"message": "m" * 9000}, ("logentry", "formatted"), 8192),
        ({"culprit": "c" * 300}, ("culprit",), 200),
        ({"transaction": "t" * 300}, ("transaction",), 200),
        ({"tags": {"k" * 250: "v"}}, ("tags", 0, 0), 200),
        ({"tags": {"k": "v" * 250}}, ("tags", 0, 1), 200),
        ({"tags": {"a": "b", "k": "v" * 250}}, ("tags", 1, 1), 200),
        ({"user": {"email": "e" * 100 + "@example.com"}}, ("user", "email"), 75),
        ({"exception": [{"type": "E", "value": "v" * 9000}]},
         ("exception", "values", 0, "value"), 8192),
    ],
)
def test_length_limits_cut_and_annotate(data, path, limit):
    original = json.loads(json.dumps(data))
    event = norm(data)
    value = get(event, *path)
    assert len(value) == limit
    assert value.endswith(ELLIPSIS)
    assert meta_at(event, *path) == {"len": _original_length(original, path)}


def _original_length(original, path):
    if path[0] == "logentry":
        return len(original["message"])
    if path[0] == "tags":
        key, value = list(original["tags"].items())[path[1]]
        return len(key if path[2] == 0 else value)
    if path[0] == "exception":
        return len(original["exception"][0]["value"])
    return len(get(original, *path))


@pytest.mark.parametrize(
    ("data", "path", "length"),
    [
        ({"message": "m" * 8192}, ("logentry", "formatted"), 8192),
        ({"culprit": "c" * 200}, ("culprit",), 200),
        ({"tags": {"k" * 200: "v"}}, ("tags", 0, 0), 200),
        ({"tags": {"k": "v" * 200}}, ("tags", 0, 1), 200),
        ({"user": {"email": "e" * 75}}, ("user", "email"), 75),
    ],
)
def test_values_at_the_limit_are_untouched(data, path, length):
    event = norm(data)
    assert len(get(event, *path)) == length
    assert ELLIPSIS not in get(event, *path)
    assert "_meta" not in event


@pytest.mark.parametrize(("key", "limit"), [("environment", 64), ("dist", 64), ("release", 200)])
def test_identifiers_over_the_limit_are_removed_not_cut(key, limit):
    event = norm({"release": "1.0", key: "x" * (limit + 1)})
    assert key not in event
    assert ("invalid_data", key) in errors(event)


# --- data bags ------------------------------------------------------------------------------


def nested(depth):
    value = "leaf"
    for level in range(depth):
        value = {f"k{level}": value}
    return value


@pytest.mark.parametrize(
    ("value", "limit"),
    [
        ({"a": "b", "n": 1, "f": 1.5, "t": True, "z": None, "l": [1, "x"]}, BagLimit(5, 1000)),
        (nested(5), BagLimit(5, 1000)),
        (["x" * 10] * 10, BagLimit(2, 1000)),
        ("just a string", BagLimit(1, 100)),
    ],
)
def test_bags_within_limits_are_returned_as_is(value, limit):
    notes = Notes()
    assert limit_databag(value, limit, ("extra",), notes) is value
    assert notes.meta == {}


def test_containers_below_the_depth_limit_become_json_text():
    notes = Notes()
    result = limit_databag(nested(4), BagLimit(2, 1000), ("extra",), notes)
    assert result == {"k3": {"k2": '{"k1": {"k0": "leaf"}}'}}
    assert notes.meta == {}


def test_items_beyond_the_size_budget_are_dropped_with_meta():
    notes = Notes()
    value = {f"key{i}": "x" * 40 for i in range(10)}
    result = limit_databag(value, BagLimit(5, 200), ("extra",), notes)
    assert 0 < len(result) < 10
    assert list(result) == [f"key{i}" for i in range(len(result))]
    assert notes.meta["extra"][""] == {"len": 10}


def test_a_string_straddling_the_budget_is_cut_with_meta():
    notes = Notes()
    result = limit_databag({"big": "y" * 500}, BagLimit(5, 100), ("extra",), notes)
    assert result["big"].endswith(ELLIPSIS)
    assert len(result["big"]) < 100
    assert notes.meta == {"extra": {"big": {"": {"len": 500}}}}


def test_list_items_beyond_the_budget_are_dropped_with_meta():
    notes = Notes()
    result = limit_databag({"l": list(range(100))}, BagLimit(5, 120), ("request", "data"), notes)
    assert 0 < len(result["l"]) < 100
    assert result["l"] == list(range(len(result["l"])))
    assert notes.meta["request"]["data"]["l"][""] == {"len": 100}


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ({"extra": {"blob": "x" * 300_000}}, ("extra", "blob")),
        ({"contexts": {"app": {"blob": "x" * 100_000}}}, ("contexts", "app", "blob")),
        ({"request": {"data": {"blob": "x" * 100_000}}}, ("request", "data", "blob")),
        ({"request": {"data": "x" * 100_000}}, ("request", "data")),
        ({"breadcrumbs": [{"data": {"blob": "x" * 10_000}}]},
         ("breadcrumbs", "values", 0, "data", "blob")),
    ],
)
def test_event_databags_are_limited(data, path):
    event = norm(data)
    assert get(event, *path).endswith(ELLIPSIS)
    assert meta_at(event, *path)["len"] in (300_000, 100_000, 10_000)


def test_deep_extra_is_flattened_to_text():
    event = norm({"extra": {"deep": nested(10)}})
    text = event["extra"]["deep"]
    # extra, deep and five more levels are objects (7 levels); the eighth became text.
    for _ in range(6):
        text = next(iter(text.values()))
    assert isinstance(text, str)
    assert json.loads(text) == nested(4)


@pytest.mark.parametrize("key", ["extra", "contexts"])
def test_bags_must_be_objects(key):
    event = norm({key: ["not", "an", "object"]})
    assert key not in event
    assert errors(event) == [("invalid_data", key)]


def test_contexts_must_be_objects():
    event = norm({"contexts": {"os": {"name": "Linux"}, "bad": "string"}})
    assert event["contexts"] == {"os": {"name": "Linux"}}
    assert errors(event) == [("invalid_data", "contexts.bad")]


# --- breadcrumbs ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("crumbs", "kept"),
    [
        ([{"message": "a"}], [{"message": "a"}]),
        ({"values": [{"message": "a"}]}, [{"message": "a"}]),
        ({"values": []}, None),
        ([], None),
    ],
)
def test_breadcrumb_forms(crumbs, kept):
    event = norm({"breadcrumbs": crumbs})
    assert (event["breadcrumbs"]["values"] if kept else event.get("breadcrumbs")) == kept


def test_only_the_newest_breadcrumbs_are_kept():
    crumbs = [{"message": str(i)} for i in range(MAX_BREADCRUMBS + 20)]
    event = norm({"breadcrumbs": crumbs})
    values = event["breadcrumbs"]["values"]
    assert [c["message"] for c in values] == [str(i) for i in range(20, MAX_BREADCRUMBS + 20)]
    assert meta_at(event, "breadcrumbs", "values") == {"len": MAX_BREADCRUMBS + 20}


def test_invalid_breadcrumbs_are_dropped():
    event = norm({"breadcrumbs": [{"message": "a"}, "b", 3]})
    assert event["breadcrumbs"]["values"] == [{"message": "a"}]
    assert errors(event) == [("invalid_data", "breadcrumbs.values")]


# --- errors cap -----------------------------------------------------------------------------


def test_errors_are_capped_and_the_total_is_annotated():
    event = norm({"tags": [["k", {"bad": i}] for i in range(MAX_ERRORS + 10)]})
    assert len(event["errors"]) == MAX_ERRORS
    assert event["_meta"]["errors"][""] == {"len": MAX_ERRORS + 10}


def test_error_values_are_kept_small():
    event = norm({"platform": "p" * 1000})
    assert len(event["errors"][0]["value"]) == 200


# --- total size -----------------------------------------------------------------------------


def frame(i, vars_size=0, context=0):
    result = {"function": f"f{i}", "lineno": i, "in_app": True}
    if vars_size:
        result["vars"] = {"v": "x" * vars_size}
    if context:
        result["pre_context"] = ["p" * context]
        result["post_context"] = ["q" * context]
    return result


def error_event(frame_list, **extra):
    return {"exception": [{"type": "E", "value": "v", "stacktrace": {"frames": frame_list}}],
            **extra}


def test_small_events_are_not_trimmed():
    event = norm(error_event([frame(i, 100, 50) for i in range(20)]), max_json_bytes=100_000)
    assert "errors" not in event
    assert all("vars" in f for f in event["exception"]["values"][0]["stacktrace"]["frames"])


@pytest.mark.parametrize(
    ("data", "dropped"),
    [
        (error_event([frame(i, 5000) for i in range(40)]), ["frames.vars"]),
        (error_event([frame(1)], breadcrumbs=[{"message": "b" * 1000}] * 100), ["breadcrumbs"]),
        (error_event([frame(1, 5000)], breadcrumbs=[{"message": "b" * 1000}] * 100),
         ["frames.vars", "breadcrumbs"]),
        (error_event([frame(1)], extra={f"k{i}": "e" * 1000 for i in range(200)}), ["extra"]),
        (error_event([frame(1)], request={"data": {f"k{i}": "d" * 1000 for i in range(60)}}),
         ["request.data"]),
        (error_event([frame(i, 0, 5000) for i in range(40)]), ["frames.source_context"]),
    ],
)
def test_oversized_events_lose_optional_parts_in_order(data, dropped):
    cap = 50_000
    event = norm(data, max_json_bytes=cap)
    assert [name for kind, name in errors(event) if kind == "too_large"] == dropped
    assert json_size(event) <= cap
    # What identifies and groups the event survives.
    assert event["exception"]["values"][0]["type"] == "E"


def test_the_size_error_records_the_bytes_removed():
    event = norm(error_event([frame(1)], extra={f"k{i}": "e" * 1000 for i in range(200)}),
                 max_json_bytes=50_000)
    (too_large,) = [e for e in event["errors"] if e["type"] == "too_large"]
    assert too_large["value"] > 100_000


def test_last_resort_keeps_only_essentials():
    huge_values = [{"type": f"E{i}", "value": "v" * 8000} for i in range(40)]
    event = norm({"exception": huge_values, "extra": {"a": 1}, "modules": {"m": "1"}},
                 max_json_bytes=100_000)
    assert ("too_large", "event") in errors(event)
    assert "extra" not in event
    assert "modules" not in event
    values = event["exception"]["values"]
    assert [v["type"] for v in values] == [f"E{i}" for i in range(30, 40)]
    assert all(len(v["value"]) <= 1024 for v in values)
    assert json_size(event) <= 100_000


@pytest.mark.parametrize("hint", ["none", "exact", "too_big"])
def test_raw_size_hint_never_lets_an_oversized_event_through(hint):
    data = error_event([frame(i, 5000) for i in range(40)])
    raw_size = {"none": None, "exact": len(json.dumps(data)), "too_big": 10_000_000}[hint]
    event = norm(data, max_json_bytes=50_000, raw_size=raw_size)
    assert json_size(event) <= 50_000
    assert ("too_large", "frames.vars") in errors(event)


@pytest.mark.parametrize(("hint", "measured"), [(False, 1), (True, 0)])
def test_raw_size_hint_skips_serializing_small_events(monkeypatch, hint, measured):
    calls = []
    real_json_size = size.json_size

    def spy(value):
        calls.append(value)
        return real_json_size(value)

    monkeypatch.setattr(size, "json_size", spy)
    data = error_event([frame(i, 100) for i in range(5)])
    raw_size = len(json.dumps(data)) if hint else None
    event = norm(data, raw_size=raw_size)
    assert "errors" not in event
    assert sum(1 for value in calls if value is event) == measured
