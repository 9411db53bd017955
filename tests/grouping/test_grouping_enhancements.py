"""Stack-trace rules: in_app, categories, -group and ranges, frame limits (docs/grouping.md §4)."""

import pytest

import grouping
from grouping import RuleSyntaxError


def py_frame(function, module=None, in_app=None, **extra):
    frame = {"function": function, "module": module or f"app.{function}",
             "filename": f"app/{function}.py", **extra}
    if in_app is not None:
        frame["in_app"] = in_app
    return frame


def exception_event(frames, *, type_="RuntimeError", platform="python", **extra):
    return {"platform": platform, "exception": {"values": [
        {"type": type_, "value": "boom", "stacktrace": {"frames": frames}, **extra},
    ]}}


def frames_of(event):
    return event["exception"]["values"][0]["stacktrace"]["frames"]


def run(frames, rules="", **kwargs):
    event = exception_event(frames, **kwargs)
    result = grouping.compute(event, enhancement_rules=rules)
    return event, result


def stack_component(result, variant):
    exception = result.variants[variant]["component"]["values"][0]
    return exception["values"][0]


NAMES = ["main", "dispatch", "handle", "helper", "crash"]  # oldest first, crash last


@pytest.mark.parametrize(
    ("rules", "in_app"),
    [
        ("", [False] * 5),  # the default: None -> False
        ("stack.function:handle +app", [False, False, True, False, False]),
        ("function:handle ^+app", [False, False, False, True, True]),  # toward the crash
        ("function:handle v+app", [True, True, False, False, False]),  # toward main
        ("stack.module:app.* +app\nfunction:helper -app", [True, True, True, False, True]),
        ("[ function:dispatch ] | function:handle +app", [False, False, True, False, False]),
        ("function:handle | [ function:helper ] +app", [False, False, True, False, False]),
        ("[ function:main ] | function:handle +app", [False] * 5),
        ("!function:handle +app", [True, True, False, True, True]),
        ("app:no function:crash +app", [False, False, False, False, True]),
        ("error.type:RuntimeError function:crash +app", [False, False, False, False, True]),
        ("error.type:ValueError function:crash +app", [False] * 5),
        ("error.value:BOOM function:crash +app", [False, False, False, False, True]),
        ("family:javascript function:crash +app", [False] * 5),
        ("family:other,native function:crash +app", [False, False, False, False, True]),
        ("function:crash category=mine\ncategory:mine +app", [False, False, False, False, True]),
    ],
)
def test_in_app_rules(rules, in_app):
    event, _ = run([py_frame(n) for n in NAMES], rules)
    assert [f["in_app"] for f in frames_of(event)] == in_app


def test_rules_override_the_client_and_remember_it():
    frames = [py_frame("a", in_app=True), py_frame("b", in_app=False), py_frame("c")]
    event, _ = run(frames, "function:* -app\nfunction:b +app")
    a, b, c = frames_of(event)
    assert (a["in_app"], b["in_app"], c["in_app"]) == (False, True, False)
    assert a["data"]["orig_in_app"] == 1
    assert b["data"]["orig_in_app"] == 0
    assert c["data"]["orig_in_app"] == -1


def test_grouping_twice_is_stable():
    frames = [py_frame("a", in_app=True), py_frame("b")]
    event = exception_event(frames)
    first = grouping.compute(event, enhancement_rules="function:a -app")
    second = grouping.compute(event, enhancement_rules="function:a -app")
    assert first.hashes == second.hashes
    # A different rule set starts again from the client's values.
    third = grouping.compute(event)
    assert frames_of(event)[0]["in_app"] is True
    assert third.hashes != first.hashes


def test_category_is_stored_on_the_frame():
    event, _ = run([py_frame("a")], "function:a category=db")
    assert frames_of(event)[0]["data"]["category"] == "db"


def contributing_functions(result, variant):
    return [
        frame["values"][2]["values"][0]
        for frame in stack_component(result, variant)["values"]
        if frame["contributes"]
    ]


@pytest.mark.parametrize(
    ("rules", "system"),
    [
        ("", NAMES),
        ("function:handle -group", ["main", "dispatch", "helper", "crash"]),
        ("function:handle ^-group", ["main", "dispatch", "handle"]),
        ("function:handle v-group", ["handle", "helper", "crash"]),
        ("function:* -group\nfunction:crash +group", ["crash"]),
        ("function:crash max-frames=2", ["helper", "crash"]),
        ("function:crash max-frames = 1", ["crash"]),
    ],
)
def test_group_rules(rules, system):
    _, result = run([py_frame(n) for n in NAMES], rules)
    assert contributing_functions(result, "system") == system


def test_group_hint_names_the_rule():
    _, result = run([py_frame(n) for n in NAMES], "stack.function:handle   -group")
    handle = stack_component(result, "system")["values"][2]
    assert handle["contributes"] is False
    assert handle["hint"] == (
        "marked out of grouping by stack trace rule (stack.function:handle -group)"
    )


def test_max_frames_hint():
    _, result = run([py_frame(n) for n in NAMES], "function:crash max-frames=1")
    helper = stack_component(result, "system")["values"][3]
    assert helper["hint"] == (
        "ignored because only 1 frame is considered by stack trace rule "
        "(function:crash max-frames=1)"
    )


def test_min_frames_drops_short_stacks():
    _, result = run([py_frame("a"), py_frame("b")], "function:* min-frames=3")
    stack = stack_component(result, "system")
    assert stack["contributes"] is False
    assert stack["hint"].startswith(
        "discarded because stack trace only contains 2 frames which is under the configured "
        "threshold"
    )
    # Without a contributing stack the exception groups by type and value.
    assert "boom" in result.variants["app"]["component"]["values"][0]["values"][2]["values"]


def test_same_rules_group_app_and_system_alike():
    frames = [py_frame("a", in_app=True), py_frame("b", in_app=True)]
    _, result = run(frames, "function:b -group")
    assert contributing_functions(result, "system") == ["a"]


@pytest.mark.parametrize(
    ("path", "in_app"),
    [
        ("/venv/lib/python3.12/site-packages/requests/api.py", False),
        ("/usr/lib/python3/dist-packages/apt/cache.py", False),
        ("/srv/app/vendor/lib.php", False),
        ("node_modules/react/index.js", False),
        ("/root/go/pkg/mod/github.com/x/y.go", False),
        ("/srv/app/shop/views.py", True),
    ],
)
def test_base_rules_mark_installed_packages_out_of_app(path, in_app):
    event, _ = run([py_frame("f", in_app=True, abs_path=path)])
    assert frames_of(event)[0]["in_app"] is in_app


@pytest.mark.parametrize(
    ("frame", "in_app"),
    [
        ({"abs_path": "webpack:///./src/cart.js", "function": "add"}, True),
        ({"abs_path": "webpack:///./node_modules/lodash/map.js", "function": "map"}, False),
        ({"abs_path": "webpack:///~/lodash/map.js", "function": "map"}, False),
        ({"abs_path": "app:///main.js", "function": "boot"}, True),
        ({"abs_path": "https://unpkg.com/react@18/umd/react.js", "function": "render",
          "in_app": True}, False),
        ({"module": "core-js/modules/es.promise", "function": "run", "in_app": True}, False),
        ({"abs_path": "node:internal/process/task_queues", "function": "processTicks"}, False),
    ],
)
def test_base_rules_for_javascript(frame, in_app):
    event, _ = run([frame], platform="javascript")
    assert frames_of(event)[0]["in_app"] is in_app


def test_base_rules_take_polyfills_out_of_grouping():
    frames = [{"module": "core-js/internals/task", "function": "run", "in_app": True},
              {"module": "cart", "function": "add", "in_app": True,
               "abs_path": "webpack:///./src/cart.js"}]
    _, result = run(frames, platform="javascript")
    assert contributing_functions(result, "system") == ["add"]


def test_native_base_rules_ignore_throw_machinery():
    frames = [
        {"function": "main", "package": "/Users/me/App.app/Contents/MacOS/App", "in_app": True},
        {"function": "Cart::checkout()", "package": "/Users/me/App.app/Contents/MacOS/App"},
        {"function": "__cxa_throw", "package": "/usr/lib/libc++abi.dylib"},
        {"function": "abort", "package": "/usr/lib/system/libsystem_c.dylib"},
    ]
    event, result = run(frames, platform="native")
    assert [f["in_app"] for f in frames_of(event)] == [True, True, False, False]
    assert contributing_functions(result, "system") == ["main", "Cart::checkout"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("function:a", 1, "expected at least one action"),
        ("# c\nfoo:bar -app", 2, "unknown matcher 'foo'"),
        ("function:a +ap", 1, "unknown action '+ap'"),
        ("function:a max-frames=x", 1, "max-frames expects a whole number"),
        ("function:a invert-stacktrace=maybe", 1, "invert-stacktrace expects 1 or 0"),
        ("function:a size=3", 1, "expected a matcher like key:value"),
        ("-app", 1, "expected at least one frame matcher"),
        ("[ function:a ] function:b -app", 1, "expected '|'"),
        ("function:a | function:b -app", 1, "expected '[ matcher ]'"),
        ('function:"a -app', 1, "unterminated quoted string"),
        ("app:sometimes -app", 1, "app: expects yes or no"),
        ("function: -app", 1, "has no value"),
    ],
)
def test_rule_syntax_errors(text, line, message):
    with pytest.raises(RuleSyntaxError) as caught:
        grouping.parse_enhancement_rules(text)
    assert caught.value.line == line
    assert message in caught.value.message


def test_valid_rules_parse():
    rules = grouping.parse_enhancement_rules(
        "# comment\n"
        "stack.function:lazyLoad*                   ^-group   # trailing comment\n"
        "family:javascript stack.module:vendor/**   -app -group\n"
        "error.type:ValueError stack.module:shop.*  +app\n"
        "[ stack.function:retry_call ] | stack.function:charge   -group\n"
        'stack.function:"name with space" invert-stacktrace=1 category=x min-frames=2\n'
    )
    assert len(rules) == 5
