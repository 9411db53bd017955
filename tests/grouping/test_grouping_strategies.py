"""Strategies and components: chains, exception groups, threads, messages, frames."""

from hashlib import md5

import pytest

import grouping

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def md5_of(*parts):
    return md5("".join(parts).encode()).hexdigest()


def frame(function, module="shop.views", in_app=True, **extra):
    return {"function": function, "module": module, "filename": "shop/views.py",
            "in_app": in_app, **extra}


def exc(type_, value="v", frames=None, **mechanism):
    exception = {"type": type_, "value": value}
    if frames is not None:
        exception["stacktrace"] = {"frames": frames}
    if mechanism:
        exception["mechanism"] = {"type": "generic", **mechanism}
    return exception


def error_event(*exceptions, platform="python", **extra):
    return {"platform": platform, "exception": {"values": list(exceptions)}, **extra}


def leaves(component):
    if not component["contributes"]:
        return []
    out = []
    for value in component["values"]:
        out.extend(leaves(value) if isinstance(value, dict) else [str(value)])
    return out


def app_leaves(result):
    """Leaves of the variant behind the primary hash (app, or system when app duplicates it)."""
    variant = next(v for v in result.variants.values() if v["hash"] == result.hashes[0])
    return leaves(variant["component"])


# -- chained exceptions ----------------------------------------------------------------------


def test_chain_hashes_every_exception_in_order():
    result = grouping.compute(error_event(exc("ValueError", "bad"), exc("KeyError", "'k'")))
    assert result.hashes == [md5_of("ValueError", "bad", "KeyError", "'k'")]
    chain = result.variants["app"]["component"]["values"][0]
    assert chain["id"] == "chained-exception"
    assert [e["values"][1]["values"] for e in chain["values"]] == [["ValueError"], ["KeyError"]]


def test_chain_with_stacks_uses_frames_and_types():
    first = exc("ValueError", "x", [frame("parse")])
    second = exc("KeyError", "y", [frame("lookup")])
    result = grouping.compute(error_event(first, second))
    assert app_leaves(result) == [
        "shop.views", "parse", "ValueError", "shop.views", "lookup", "KeyError",
    ]


def test_system_variant_of_a_chain_skips_exceptions_without_stack():
    result = grouping.compute(error_event(exc("ValueError", "x"), exc("KeyError", "y", [
        frame("lookup", in_app=False)])))
    assert leaves(result.variants["system"]["component"]) == ["shop.views", "lookup", "KeyError"]
    assert result.variants["app"]["component"]["values"][0]["hint"] == (
        "ignored because this variant does not have a contributing stacktrace, "
        "but the system variant does"
    )


# -- exception groups ------------------------------------------------------------------------


def group_member(type_, exception_id, parent_id, is_group=False, value="timed out", frames=None):
    mechanism = {"exception_id": exception_id, "source": f"exceptions[{exception_id}]"}
    if parent_id is not None:
        mechanism["parent_id"] = parent_id
    if is_group:
        mechanism["is_exception_group"] = True
    return exc(type_, value, frames, **mechanism)


def test_group_of_identical_exceptions_collapses_to_one():
    values = [
        group_member("TimeoutError", 1, 0, frames=[frame("fetch")]),
        group_member("TimeoutError", 2, 0, frames=[frame("fetch")]),
        group_member("TimeoutError", 3, 0, frames=[frame("fetch")]),
        group_member("ExceptionGroup", 0, None, is_group=True, value="3 sub-exceptions",
                     frames=[frame("gather")]),
    ]
    result = grouping.compute(error_event(*values))
    assert app_leaves(result) == ["shop.views", "fetch", "TimeoutError"]
    assert result.main_exception_id in (1, 2, 3)
    assert result.title == "TimeoutError: timed out"


def test_group_with_distinct_exceptions_keeps_them_and_the_root():
    values = [
        group_member("ValueError", 1, 0, value="bad"),
        group_member("TypeError", 2, 0, value="wrong"),
        group_member("ExceptionGroup", 0, None, is_group=True, value="2 sub-exceptions"),
    ]
    result = grouping.compute(error_event(*values))
    # Sorted by type, descending, then the root group.
    assert app_leaves(result) == [
        "ValueError", "bad", "TypeError", "wrong", "ExceptionGroup", "<int> sub-exceptions",
    ]
    assert result.main_exception_id is None
    assert result.title == "ExceptionGroup: 2 sub-exceptions"


def test_nested_groups_reach_the_top_level_exceptions():
    values = [
        group_member("OSError", 3, 2, value="disk"),
        group_member("ExceptionGroup", 2, 1, is_group=True, value="inner"),
        group_member("ExceptionGroup", 1, 0, is_group=True, value="middle"),
        group_member("ExceptionGroup", 0, None, is_group=True, value="outer"),
    ]
    result = grouping.compute(error_event(*values))
    assert app_leaves(result) == ["OSError", "disk"]
    assert result.main_exception_id == 3


@pytest.mark.parametrize(
    "mechanisms",
    [
        [{"exception_id": 1, "parent_id": 0}, {"exception_id": 1, "parent_id": 0}],  # duplicate
        [{"exception_id": 1, "parent_id": 1}, {"exception_id": 0}],  # own parent
        [{"exception_id": 1, "parent_id": 0}, {"exception_id": 2}],  # no root
        [{"exception_id": 1, "parent_id": 0}, {}],  # an id missing
        [{"exception_id": 1, "parent_id": 0, "is_exception_group": True},
         {"exception_id": 0, "parent_id": 1, "is_exception_group": True}],  # cycle
    ],
)
def test_malformed_groups_use_every_exception(mechanisms):
    values = [exc(t, "v", **m) for t, m in zip(("A", "B"), mechanisms, strict=True)]
    result = grouping.compute(error_event(*values))
    assert app_leaves(result) == ["A", "v", "B", "v"]


def test_react_recovered_error_titles_by_its_cause():
    wrapper = exc("Error", "There was an error while hydrating but React was able to recover "
                  "by instead client rendering from the nearest Suspense boundary.",
                  exception_id=0)
    cause = exc("TypeError", "x is null", exception_id=1, parent_id=0, source="cause")
    result = grouping.compute(error_event(wrapper, cause, platform="javascript"))
    assert result.main_exception_id == 1
    assert result.title == "TypeError: x is null"


# -- synthetic exceptions --------------------------------------------------------------------


def test_synthetic_exception_ignores_type_and_titles_by_function():
    synthetic = exc("SIGSEGV", "Segfault", [frame("render_page")], synthetic=True)
    result = grouping.compute(error_event(synthetic))
    assert app_leaves(result) == ["shop.views", "render_page"]
    type_component = result.variants["app"]["component"]["values"][0]["values"][1]
    assert type_component["hint"] == "ignored because exception is synthetic"
    assert result.title == "render_page"
    assert "type" not in result.metadata
    assert result.culprit == ""


def test_synthetic_without_frames_titles_unknown():
    result = grouping.compute(error_event(exc("Error", "", synthetic=True)))
    assert result.title == "<unknown>"
    assert result.hashes == [EMPTY_MD5]
    assert "fallback" in result.variants


# -- threads, top-level stacks, messages, fallback -------------------------------------------


def thread(id_, frames=None, **flags):
    data = {"id": id_, **flags}
    if frames is not None:
        data["stacktrace"] = {"frames": frames}
    return data


@pytest.mark.parametrize(
    ("threads", "function"),
    [
        ([thread(1, [frame("a")]), thread(2, [frame("b")], crashed=True)], "b"),
        ([thread(1, [frame("a")], current=True), thread(2, [frame("b")])], "a"),
        ([thread(1, [frame("only")])], "only"),
    ],
)
def test_threads_pick_the_crashed_current_or_only_thread(threads, function):
    result = grouping.compute({"platform": "python", "threads": {"values": threads}})
    assert app_leaves(result) == ["shop.views", function]


@pytest.mark.parametrize(
    ("threads", "hint"),
    [
        ([thread(1, [frame("a")]), thread(2, [frame("b")])],
         "ignored because does not contain exactly one crashing, one current or just one "
         "thread, instead contains 2 threads"),
        ([thread(1, crashed=True)], "thread has no stacktrace"),
    ],
)
def test_threads_that_cannot_be_used(threads, hint):
    result = grouping.compute({"platform": "python", "threads": {"values": threads},
                               "logentry": {"formatted": "fell back"}})
    assert result.variants["app"]["component"]["values"][0]["hint"] == hint
    assert result.hashes == [md5_of("fell back")]


def test_exception_takes_precedence_over_threads_and_message():
    data = error_event(exc("ValueError", "bad"), logentry={"formatted": "hello"},
                       threads={"values": [thread(1, [frame("t")])]})
    result = grouping.compute(data)
    assert result.hashes == [md5_of("ValueError", "bad")]
    assert result.variants["default"]["hint"] == "exception of app takes precedence"
    threads = result.variants["system"]["component"]["values"][0]
    assert threads["id"] == "threads"
    assert threads["hint"] == "exception of app takes precedence"


def test_message_with_attached_stack_groups_by_the_stack():
    data = {"platform": "python", "logentry": {"formatted": "hello 1"},
            "stacktrace": {"frames": [frame("view")]}}
    result = grouping.compute(data)
    assert app_leaves(result) == ["shop.views", "view"]
    assert result.variants["default"]["hint"] == "stacktrace of system takes precedence"
    assert result.title == "hello 1"


def test_message_only_event():
    result = grouping.compute({"platform": "python", "logentry": {"formatted": "Order 42 late"}})
    assert result.hashes == [md5_of("Order <int> late")]
    message = result.variants["default"]["component"]["values"][0]
    assert message["hint"] == "stripped event-specific values"
    assert result.title == "Order 42 late"


def test_template_strategy():
    data = {"platform": "python", "template": {"filename": "shop/cart.html",
                                               "context_line": "{{ cart.total }}"}}
    assert grouping.compute(data).hashes == [md5_of("shop/cart.html", "{{ cart.total }}")]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"platform": "python"},
        error_event({"mechanism": {"type": "generic"}}),
        {"platform": "python", "threads": {"values": []}},
    ],
)
def test_fallback_hash_when_nothing_contributes(data):
    result = grouping.compute(data)
    assert result.hashes == [EMPTY_MD5]
    assert result.variants["fallback"]["hash"] == EMPTY_MD5


def test_checksum_replaces_grouping():
    checksum = "a" * 32
    assert grouping.compute({"checksum": checksum}).hashes == [checksum]
    result = grouping.compute({"checksum": "legacy-1"})
    assert result.hashes == [md5_of("legacy-1"), "legacy-1"]


# -- stack traces and frames -----------------------------------------------------------------


def test_no_in_app_frames_leaves_the_system_variant():
    result = grouping.compute(error_event(exc("E", "v", [frame("lib", in_app=False)])))
    stack = result.variants["app"]["component"]["values"][0]["values"][0]
    assert stack["hint"] == "ignored because it contains no in-app frames"
    assert result.hashes == [md5_of("shop.views", "lib", "E")]


def test_recursion_is_ignored():
    frames = [frame("walk", lineno=3), frame("walk", lineno=3), frame("walk", lineno=4)]
    result = grouping.compute(error_event(exc("RecursionError", "deep", frames)))
    stack = result.variants["system"]["component"]["values"][0]["values"][0]
    assert [f["hint"] for f in stack["values"]] == [None, "ignored due to recursion", None]


@pytest.mark.parametrize(
    ("abs_path", "ignored"),
    [("https://shop.example.com/page", True), ("file:///tmp/a.html", True),
     ("/srv/app.js", False)],
)
def test_single_url_javascript_frame_without_function(abs_path, ignored):
    raw_frame = {"abs_path": abs_path, "filename": "a.html", "lineno": 3, "in_app": True}
    data = error_event(exc("Error", "x", [raw_frame]), platform="javascript")
    frames = grouping.compute(data).variants["system"]["component"]["values"][0]["values"][0]
    single = frames["values"][0]
    assert (single["hint"] == "ignored single non-URL JavaScript frame") is ignored


def frame_children(platform, raw_frame):
    data = error_event(exc("E", "v", [raw_frame]), platform=platform)
    stack = grouping.compute(data).variants["system"]["component"]["values"][0]["values"][0]
    node = stack["values"][0]
    return node, {c["id"]: (c["values"], c["contributes"], c["hint"]) for c in node["values"]}


FRAME_CASES = [
    # (platform, frame, child id, (values, contributes, hint))
    ("python", {"module": "m", "filename": "a/B.py"}, "filename",
     (["b.py"], False, "module takes precedence")),
    ("python", {"filename": "C:\\src\\Cart.PY", "function": "f"}, "filename",
     (["cart.py"], True, None)),
    ("python", {"function": "f", "context_line": "\t x  =  1 "}, "context-line",
     (["x = 1"], True, None)),
    ("python", {"function": "f", "context_line": "x" * 121}, "context-line",
     (["x" * 121], False, "discarded because line too long")),
    ("python", {"function": "f", "context_line": "spawn_main(tracker_fd=12, pipe_handle=31)"},
     "context-line", (["spawn_main(tracker_fd=12, pipe_handle=31)"], True, None)),
    ("java", {"function": "f", "context_line": "x = 1"}, "context-line", None),
    ("javascript", {"abs_path": "https://a.com/app.js", "filename": "app.js", "function": "f"},
     "filename", (["app.js"], False, "ignored because frame points to a URL")),
    ("javascript", {"filename": "<anonymous>", "function": "f"}, "filename",
     (["<anonymous>"], False, "anonymous filename discarded")),
    ("javascript", {"filename": "[native code]", "function": "f"}, "filename",
     (["[native code]"], False, "native code indicated by filename")),
    ("javascript", {"function": "Foo.bar"}, "function",
     (["bar"], True, "trimmed javascript function")),
    ("javascript", {"function": "?"}, "function", (["?"], False, "ignored unknown function name")),
    ("javascript", {"function": "f/<"}, "function",
     (["f/<"], False, "ignored unknown function name")),
    ("javascript", {"module": "a/b", "abs_path": "http://x/a/b", "function": "f"}, "module",
     (["a/b"], False, "ignored bad javascript module")),
    ("javascript", {"function": "go", "context_line": "go()", "data": {"sourcemap": "x.map"}},
     "function", (["go"], False, "ignored because sourcemap used and context line available")),
    ("javascript", {"abs_path": "https://a.com/x.js", "context_line": "go()"}, "context-line",
     (["go()"], False, "discarded because from URL origin and no function")),
    ("ruby", {"function": "block in process"}, "function", (["block"], True, "ruby block")),
    ("ruby", {"function": "_app_views_show__1234_5678"}, "function",
     (["_app_views_show"], True, "removed generated erb template suffix")),
    ("php", {"function": "[Anonymous function]"}, "function",
     (["[Anonymous function]"], False, "ignored anonymous function")),
    ("php", {"function": "class@anonymous/in/x.php:3$0::handle"}, "function",
     (["handle"], True, "anonymous class method")),
    ("java", {"function": "lambda$run$0"}, "function",
     (["lambda$run$0"], False, "ignored lambda function")),
    ("java", {"module": "com.x.Foo$$Lambda$12/0x1"}, "module",
     (["com.x.Foo$$Lambda$12/0x1"], False, "ignored java lambda")),
    ("java", {"module": "sun.reflect.GeneratedMethodAccessor42"}, "module",
     (["sun.reflect.GeneratedMethodAccessor"], True, "removed reflection marker")),
    ("java", {"module": "com.x.Svc$$EnhancerBySpringCGLIB$$a1b2c3"}, "module",
     (["com.x.Svc$$EnhancerBySpringCGLIB$$<auto>"], True, "removed codegen marker")),
    ("java", {"module": "my.ns$fn__1234"}, "module",
     (["my.ns$fn__<auto>"], True, "removed codegen marker")),
    ("java", {"filename": "Res_$$_javassist_74.java", "function": "f"}, "filename",
     (["res_$$_javassist<auto>.java"], True, "cleaned javassist parts")),
    ("native", {"function": "<unknown>"}, "function",
     (["<unknown>"], False, "ignored unknown function")),
    ("native", {"function": "void Cart::add<int>(int) const"}, "function",
     (["Cart::add"], True, None)),
    ("csharp", {"function": "Run (System.String)", "raw_function": "Shop.Run(string a)"},
     "function", (["Shop.Run(string a)"], True, None)),
]


@pytest.mark.parametrize(("platform", "raw_frame", "child", "expected"), FRAME_CASES)
def test_frame_components(platform, raw_frame, child, expected):
    _, children = frame_children(platform, raw_frame)
    assert children.get(child) == expected


@pytest.mark.parametrize(
    "raw_frame",
    [{"function": "eval"}, {"abs_path": "[native code]", "function": "forEach"}],
)
def test_low_quality_javascript_frames(raw_frame):
    node, _ = frame_children("javascript", raw_frame)
    assert (node["contributes"], node["hint"]) == (False, "ignored low quality javascript frame")


def test_line_numbers_never_count():
    def hashes(lineno):
        return grouping.compute(error_event(exc("E", "v", [frame("f", lineno=lineno)]))).hashes

    assert hashes(10) == hashes(99)
