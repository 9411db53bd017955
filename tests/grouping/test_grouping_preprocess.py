"""Frame preprocessing that shows in the stored event (docs/grouping.md §3)."""

import pytest

import grouping
from grouping.v1.functions import trim_function_name
from grouping.v1.preprocess import javascript_module


@pytest.mark.parametrize(
    ("url", "module"),
    [
        ("https://shop.example.com/static/js/checkout-5f2a9c1.js", "checkout"),
        ("https://cdn.example.com/assets/app.min.js", "assets/app"),
        ("https://shop.example.com/static/js/main-1a2b3c4d.js", "main"),
        ("https://x.com/js/v1.4.0/widgets/cart.js?v=3", "widgets/cart"),
        ("https://x.com/_next/static/chunks/pages/cart-0a1b2c3d4e5f.js", "chunks/pages/cart"),
        ("https://x.com/build/0123456789abcdef0123456789abcdef/app/main.js", "app/main"),
        ("https://x.com/scripts/bower_components/jquery/jquery.js", "jquery/jquery"),
        ("webpack:///./src/components/Cart.jsx", "src/components/Cart"),
        ("app:///main.bundle.js", "main.bundle"),
        ("https://x.com/", "<unknown module>"),
        ("https://x.com/static/js/", "<unknown module>"),
    ],
)
def test_javascript_module_from_url(url, module):
    assert javascript_module(url) == module


def js_event(*frames):
    return {"platform": "javascript",
            "exception": {"values": [{"type": "Error", "stacktrace": {"frames": list(frames)}}]}}


def test_javascript_frames_are_edited_in_place():
    event = js_event(
        {"abs_path": "https://x.com/static/js/cart-5f2a9c1.js", "filename": "cart.js?v=12"},
        {"abs_path": "https://x.com/a.js", "module": "given"},
        {"abs_path": "/local/file.js"},
    )
    grouping.compute(event)
    derived, kept, local = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert derived["module"] == "cart"
    assert derived["filename"] == "cart.js"
    assert kept["module"] == "given"
    assert "module" not in local
    assert all(frame["in_app"] is False for frame in (derived, kept, local))


def test_frame_platform_decides_javascript_handling():
    event = {"platform": "python", "exception": {"values": [{"type": "E", "stacktrace": {
        "frames": [{"platform": "javascript", "abs_path": "https://x.com/js/a.js"}]}}]}}
    grouping.compute(event)
    assert event["exception"]["values"][0]["stacktrace"]["frames"][0]["module"] == "a"


@pytest.mark.parametrize(
    ("function", "platform", "trimmed"),
    [
        ("void Cart::add<int>(int) const", "native", "Cart::add"),
        ("std::__1::function<void ()>::operator()() const", "cocoa",
         "std::__1::function::operator()"),
        ("MyClass::operator<<(std::ostream&)", "native", "MyClass::operator<<"),
        ("(anonymous namespace)::helper(int)", "native", "`anonymous namespace'::helper"),
        ("auto foo::{lambda(int)#1}::operator()(int) const", "native",
         "foo::{lambda}::operator()"),
        ("-[UIView layoutSubviews]", "objc", "-[UIView layoutSubviews]"),
        ("Foo.bar(x:) -> Swift.Int", "swift", "Foo.bar"),
        ("Shop.Cart.Add (System.Int32 quantity)", "csharp", "Shop.Cart.Add"),
        ("Cart.add(int)", "python", "Cart.add(int)"),
        ("broken(", "native", "broken("),
    ],
)
def test_function_trimming(function, platform, trimmed):
    assert trim_function_name(function, platform) == trimmed


def test_trimmed_function_keeps_the_original_once():
    event = {"platform": "native", "exception": {"values": [{"type": "E", "stacktrace": {
        "frames": [{"function": "int main(int, char**)"},
                   {"function": "run()", "raw_function": "given raw"}]}}]}}
    grouping.compute(event)
    first, second = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert (first["function"], first["raw_function"]) == ("main", "int main(int, char**)")
    assert (second["function"], second["raw_function"]) == ("run()", "given raw")
    grouping.compute(event)
    assert first["raw_function"] == "int main(int, char**)"


def test_in_app_frame_mix():
    def mix(*in_app):
        frames = [{"function": f"f{i}", "in_app": v} for i, v in enumerate(in_app)]
        event = {"platform": "python",
                 "exception": {"values": [{"type": "E", "stacktrace": {"frames": frames}}]}}
        return grouping.compute(event).metadata.get("in_app_frame_mix")

    assert mix(True, True) == "in-app-only"
    assert mix(False, None) == "system-only"
    assert mix(True, False) == "mixed"
    assert mix() is None


def test_only_frames_are_touched():
    event = {"platform": "python", "message": "x", "fingerprint": ["{{ default }}"],
             "exception": {"values": [{"type": "E", "value": "v"}]}}
    before = repr(event)
    grouping.compute(event, fingerprint_rules="type:E -> e")
    assert repr(event) == before
