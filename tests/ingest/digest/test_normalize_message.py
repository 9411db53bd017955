"""normalize_event: `message` / `logentry` forms and printf formatting."""

from datetime import UTC, datetime

import pytest

from ingest.digest.normalize.event import normalize_event
from ingest.digest.normalize.message import MAX_MESSAGE_CHARS, format_message

RECEIVED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


def norm(data):
    return normalize_event(data, received=RECEIVED)


@pytest.mark.parametrize(
    ("data", "logentry"),
    [
        ({"message": "hello"}, {"formatted": "hello"}),
        ({"message": {"message": "hello %s", "params": ["you"]}},
         {"message": "hello %s", "params": ["you"], "formatted": "hello you"}),
        ({"logentry": "plain string"}, {"formatted": "plain string"}),
        ({"logentry": {"formatted": "done"}}, {"formatted": "done"}),
        ({"logentry": {"message": "no params"}}, {"formatted": "no params"}),
        ({"logentry": {"message": "%s items", "params": [3]}},
         {"message": "%s items", "params": [3], "formatted": "3 items"}),
        ({"logentry": {"message": "tpl %s", "params": ["x"], "formatted": "client wins"}},
         {"message": "tpl %s", "params": ["x"], "formatted": "client wins"}),
        ({"logentry": {"message": "same", "formatted": "same"}}, {"formatted": "same"}),
        ({"logentry": {"formatted": "from logentry"}, "message": "legacy"},
         {"formatted": "from logentry"}),
        ({"logentry": {"message": 42}}, {"formatted": "42"}),
        ({"logentry": {"formatted": {"a": 1}}}, {"formatted": '{"a": 1}'}),
    ],
)
def test_message_forms(data, logentry):
    event = norm(data)
    assert event["logentry"] == logentry
    assert "message" not in event


@pytest.mark.parametrize(
    "data",
    [{}, {"message": ""}, {"message": None}, {"logentry": {}}, {"logentry": {"formatted": ""}}],
)
def test_empty_message_leaves_no_logentry(data):
    event = norm(data)
    assert "logentry" not in event
    assert "errors" not in event


@pytest.mark.parametrize(
    "data",
    [{"logentry": ["a list"]}, {"logentry": 5}, {"logentry": {"params": ["x"]}}, {"message": 42}],
)
def test_unusable_logentry_is_dropped_and_recorded(data):
    event = norm(data)
    assert "logentry" not in event
    assert [(e["type"], e["name"]) for e in event["errors"]] == [("invalid_data", "logentry")]


@pytest.mark.parametrize(
    ("template", "params", "expected"),
    [
        ("%s", ["x"], "x"),
        ("%s and %s", ["a", "b"], "a and b"),
        ("%d items", [3], "3 items"),
        ("%i items", [3], "3 items"),
        ("%d items", ["3"], "3 items"),
        ("%r", ["x"], "'x'"),
        ("%f", [1.5], "1.500000"),
        ("%.2f", [3.14159], "3.14"),
        ("%.1f", ["2.25"], "2.2"),
        ("%5s|", ["ab"], "   ab|"),
        ("%-5s|", ["ab"], "ab   |"),
        ("%05d", [42], "00042"),
        ("%x", [255], "ff"),
        ("100%% done %s", ["now"], "100% done now"),
        ("%(user)s logged in", {"user": "alice"}, "alice logged in"),
        ("%(n)d of %(total)d", {"n": 1, "total": 2}, "1 of 2"),
        ("single %s", "scalar", "single scalar"),
        ("single %s", 7, "single 7"),
        ("%s", [None], "None"),
        ("%s", [[1, 2]], "[1, 2]"),
        ("unused %s", ["a", "b", "c"], "unused a"),
        ("no placeholders", ["x"], "no placeholders"),
        ("braces {0} {} stay", ["x"], "braces {0} {} stay"),
        ("odd %y stays %s", ["x"], "odd %y stays x"),
    ],
)
def test_format_message(template, params, expected):
    assert format_message(template, params) == expected


@pytest.mark.parametrize(
    ("template", "params"),
    [
        ("%s %s", ["only one"]),
        ("%d", ["abc"]),
        ("%f", ["NaN-ish"]),
        ("%d", [{"a": 1}]),
        ("%(missing)s", {"other": 1}),
        ("%(named)s", ["positional"]),
        ("%s", []),
        ("%c", ["too long"]),
    ],
)
def test_bad_format_returns_none(template, params):
    assert format_message(template, params) is None


@pytest.mark.parametrize(
    ("template", "params"), [("%s %s", ["only one"]), ("%d", ["abc"]), ("%(k)s", {"x": 1})]
)
def test_bad_format_keeps_the_template(template, params):
    event = norm({"logentry": {"message": template, "params": params}})
    assert event["logentry"]["formatted"] == template
    assert "errors" not in event


@pytest.mark.parametrize("key", ["formatted", "message"])
def test_long_messages_are_cut_with_meta(key):
    text = "m" * (MAX_MESSAGE_CHARS + 10) + " %s"
    logentry = {key: text, "params": ["x"]} if key == "message" else {key: text}
    event = norm({"logentry": logentry})
    assert len(event["logentry"][key]) == MAX_MESSAGE_CHARS
    assert event["logentry"][key].endswith("\u2026")
    assert event["_meta"]["logentry"][key][""] == {"len": len(text)}


def test_message_at_the_limit_is_untouched():
    text = "m" * MAX_MESSAGE_CHARS
    event = norm({"message": text})
    assert event["logentry"]["formatted"] == text
    assert "_meta" not in event
