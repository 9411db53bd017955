"""Title, culprit and metadata (docs/grouping.md §8)."""

import pytest

import grouping


def frame(function, module="shop.views", in_app=True, **extra):
    return {"function": function, "module": module, "filename": "shop/views.py",
            "in_app": in_app, **extra}


def error(type_=None, value=None, frames=None, platform="python", **extra):
    exception = {}
    if type_ is not None:
        exception["type"] = type_
    if value is not None:
        exception["value"] = value
    if frames is not None:
        exception["stacktrace"] = {"frames": frames}
    return {"platform": platform, "exception": {"values": [exception]}, **extra}


@pytest.mark.parametrize(
    ("event", "title"),
    [
        (error("ValueError", "bad input"), "ValueError: bad input"),
        (error("ValueError", "first line\nsecond line"), "ValueError: first line"),
        (error("ValueError", "x" * 150), "ValueError: " + "x" * 97 + "..."),
        (error("ValueError"), "ValueError"),
        (error("ValueError", ""), "ValueError"),
        (error(None, "only a value"), "Error: only a value"),
        ({"logentry": {"formatted": "Disk full\nmore detail"}}, "Disk full"),
        ({"logentry": {"message": "Template %s only"}}, "Template %s only"),
        ({"logentry": {"formatted": "y" * 120}}, "y" * 97 + "..."),
        ({"platform": "python"}, "<unlabeled event>"),
    ],
)
def test_title(event, title):
    assert grouping.compute(event).title == title


def test_error_metadata():
    frames = [frame("main", in_app=False), frame("checkout"), frame("helper", in_app=False)]
    result = grouping.compute(error("KeyError", "v" * 2000, frames))
    assert result.metadata == {
        "type": "KeyError",
        "value": "v" * 1021 + "...",
        "filename": "shop/views.py",
        "function": "checkout",
        "display_title_with_tree_label": False,
        "in_app_frame_mix": "mixed",
    }


def test_crash_location_skips_unknown_functions():
    frames = [frame("real"), frame("<unknown>"), {"in_app": True, "filename": "x.py"}]
    result = grouping.compute(error("E", "v", frames))
    assert result.metadata["function"] == "real"


def test_default_event_metadata():
    result = grouping.compute({"platform": "python", "logentry": {"formatted": "hello"},
                               "stacktrace": {"frames": [frame("f", in_app=False)]}})
    assert result.metadata == {"title": "hello", "in_app_frame_mix": "system-only"}


def test_long_type_is_cut():
    assert grouping.compute(error("T" * 200, "v")).metadata["type"] == "T" * 125 + "..."


@pytest.mark.parametrize(
    ("event", "culprit"),
    [
        (error("E", "v", [frame("a"), frame("b", in_app=False)]), "shop.views in a"),
        (error("E", "v", [frame("a", in_app=False), frame("b", in_app=False)]),
         "shop.views in b"),
        (error("E", "v", [{"filename": "app.py", "function": "f", "in_app": True}]),
         "app.py in f"),
        (error("E", "v", [{"module": "m", "in_app": True}]), "m in ?"),
        (error("E", "v", [{"module": "cart", "function": "add", "in_app": True,
                           "abs_path": "https://x.com/cart.js"}], platform="javascript"),
         "add(cart)"),
        (error("E", "v", [{"function": "Cart::add()", "in_app": True}], platform="native"),
         "Cart::add"),
        (error("E", "v", [frame("a")], culprit="given"), "given"),
        (error("E", "v", [frame("a")], transaction="/cart/add"), "/cart/add"),
        (error("E", "v", request={"url": "https://shop.example.com/cart"}),
         "https://shop.example.com/cart"),
        ({"logentry": {"formatted": "m"}, "stacktrace": {"frames": [frame("top")]}},
         "shop.views in top"),
        ({"threads": {"values": [{"crashed": True, "stacktrace": {"frames": [frame("t")]}},
                                 {"stacktrace": {"frames": [frame("u")]}}]}},
         "shop.views in t"),
        (error("E", "v", [frame("f", module="m" * 300)]), "m" * 197 + "..."),
        ({"platform": "python"}, ""),
    ],
)
def test_culprit(event, culprit):
    assert grouping.compute(event).culprit == culprit


def test_culprit_uses_the_last_exception_with_frames():
    event = {"platform": "python", "exception": {"values": [
        {"type": "A", "stacktrace": {"frames": [frame("inner")]}},
        {"type": "B", "value": "no frames"},
    ]}}
    assert grouping.compute(event).culprit == "shop.views in inner"


def test_main_exception_titles_an_exception_group():
    values = [
        {"type": "TimeoutError", "value": "slow",
         "mechanism": {"type": "chained", "exception_id": 1, "parent_id": 0}},
        {"type": "ExceptionGroup", "value": "1 sub-exception",
         "mechanism": {"type": "generic", "exception_id": 0, "is_exception_group": True}},
    ]
    result = grouping.compute({"platform": "python", "exception": {"values": values}})
    assert result.main_exception_id == 1
    assert result.title == "TimeoutError: slow"
    assert result.metadata["type"] == "TimeoutError"


def test_synthetic_exception_of_a_message_is_titled_by_the_message():
    # @sentry/node 11 sends captureMessage as a synthetic exception plus the message.
    import grouping

    event = {
        "platform": "node",
        "logentry": {"formatted": "hello from node\nsecond line"},
        "exception": {"values": [{
            "value": "hello from node",
            "mechanism": {"type": "generic", "handled": True, "synthetic": True},
            "stacktrace": {"frames": [{"filename": "[eval]", "function": "?", "in_app": False}]},
        }]},
    }
    assert grouping.compute(event).title == "hello from node"
    del event["logentry"]
    assert grouping.compute(event).title == "hello from node"
