"""Junk in an event never makes grouping raise; rule caches do not leak between projects."""

import pytest

import grouping

JUNK = [None, 0, 1.5, True, "text", [], {}, [None, 3], {"x": None}, ["a", "b"]]

EVENT_SHAPES = [
    lambda junk: {"platform": junk},
    lambda junk: {"exception": junk},
    lambda junk: {"exception": {"values": junk}},
    lambda junk: {"exception": {"values": [junk, {"type": "E", "value": junk}]}},
    lambda junk: {"exception": {"values": [{"type": junk, "value": "v", "mechanism": junk}]}},
    lambda junk: {"exception": {"values": [{"type": "E", "stacktrace": junk}]}},
    lambda junk: {"exception": {"values": [{"type": "E", "stacktrace": {"frames": junk}}]}},
    lambda junk: {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [
        junk, {"function": junk, "module": junk, "filename": junk, "abs_path": junk,
               "in_app": junk, "data": junk, "context_line": junk, "lineno": junk,
               "platform": junk, "package": junk, "raw_function": junk}]}}]}},
    lambda junk: {"exception": {"values": [
        {"type": "E", "mechanism": {"exception_id": junk, "parent_id": junk,
                                    "is_exception_group": junk, "meta": junk}},
        {"type": "F", "mechanism": {"exception_id": 0, "meta": {"ns_error": junk}}},
    ]}},
    lambda junk: {"threads": junk},
    lambda junk: {"threads": {"values": [junk, {"crashed": junk, "stacktrace": junk}]}},
    lambda junk: {"stacktrace": junk},
    lambda junk: {"logentry": junk},
    lambda junk: {"logentry": {"message": junk, "formatted": junk}},
    lambda junk: {"template": {"filename": junk, "context_line": junk}},
    lambda junk: {"fingerprint": junk, "exception": {"values": [{"type": "E"}]}},
    lambda junk: {"fingerprint": [junk, "{{ tags.x }}", "{{ default }}"], "tags": junk},
    lambda junk: {"tags": [junk, ["k", junk], [junk, "v"]], "sdk": junk, "release": junk},
    lambda junk: {"checksum": junk, "culprit": junk, "transaction": junk, "request": junk},
]


@pytest.mark.parametrize("shape", EVENT_SHAPES)
@pytest.mark.parametrize("platform", ["python", "javascript", "native", "java", "csharp"])
def test_junk_never_raises(shape, platform):
    rules = 'error.type:* stack.function:* tags.x:* message:"*" -> {{ default }}, x'
    enhancements = "family:all app:no +app\n[ function:* ] | category:* -group"
    for junk in JUNK:
        event = shape(junk)
        if isinstance(event, dict):
            event.setdefault("platform", platform)
        result = grouping.compute(event, fingerprint_rules=rules, enhancement_rules=enhancements)
        assert result.hashes
        # A legacy raw checksum of up to 32 characters is kept as a hash as it is.
        assert all(isinstance(h, str) and 0 < len(h) <= 32 for h in result.hashes)


def test_project_rules_do_not_leak_between_projects():
    def event():
        return {"platform": "python", "exception": {"values": [{"type": "E", "stacktrace": {
            "frames": [{"function": "a", "module": "m", "in_app": True}]}}]}}

    plain = grouping.compute(event()).hashes
    grouped_out = grouping.compute(event(), enhancement_rules="function:a -group").hashes
    assert grouped_out != plain
    assert grouping.compute(event()).hashes == plain


def test_unknown_config_is_an_error():
    with pytest.raises(ValueError, match="unknown grouping config"):
        grouping.compute({}, config="v0")
    assert grouping.compute({}, config=grouping.DEFAULT_CONFIG).config == "v1"
    assert set(grouping.CONFIGS) == {"v1"}
