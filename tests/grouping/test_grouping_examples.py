"""The worked examples of docs/grouping.md §9, with exactly the hashes written there."""

import pytest

import grouping


def exception_event(type_, value, *, platform="python", frames=None, **extra):
    exception = {"type": type_, "value": value}
    if frames is not None:
        exception["stacktrace"] = {"frames": frames}
    return {"platform": platform, "exception": {"values": [exception]}, **extra}


EXAMPLE_C_FRAMES = [
    {
        "module": "django.core.handlers.base",
        "filename": "django/core/handlers/base.py",
        "abs_path": "/venv/lib/python3.12/site-packages/django/core/handlers/base.py",
        "function": "_get_response",
        "context_line": (
            "    response = wrapped_callback(request, *callback_args, **callback_kwargs)"
        ),
        "in_app": False,
    },
    {
        "module": "shop.views",
        "filename": "shop/views.py",
        "function": "cart_total",
        "context_line": "    avg = total / count",
        "in_app": True,
    },
]

EXAMPLE_D_FRAMES = [
    {
        "abs_path": "https://shop.example.com/static/js/main-1a2b3c4d.js",
        "filename": "/static/js/main-1a2b3c4d.js",
        "function": "CartView.handleClick",
        "lineno": 1,
        "colno": 4711,
        "in_app": True,
    },
    {
        "abs_path": "https://shop.example.com/static/js/checkout-5f2a9c1.js",
        "filename": "/static/js/checkout-5f2a9c1.js",
        "function": "OrderForm.submitOrder",
        "lineno": 1,
        "colno": 815,
        "in_app": True,
    },
]


def zero_division(**extra):
    return exception_event("ZeroDivisionError", "division by zero", **extra)


EXAMPLES = {
    "A exception without stack": (
        exception_event("ValueError", "hello world"),
        {},
        ["b23ee1963904c2ca87b145febf94b66c"],
    ),
    "B value with parameters": (
        exception_event("ValueError", "invalid literal for int() with base 10: 'abc'"),
        {},
        ["e745bc3cb320a4210cdd29e4b33a8edd"],
    ),
    "C python app and library frames": (
        exception_event("ZeroDivisionError", "division by zero", frames=EXAMPLE_C_FRAMES),
        {},
        ["871571e9f2259e39b893e47adab7c132", "a02efb515a4d7d56e709b12303c1348b"],
    ),
    "D browser javascript without source maps": (
        exception_event("TypeError", "e is undefined", platform="javascript",
                        frames=EXAMPLE_D_FRAMES),
        {},
        ["39b83437f2ebebcf9594a4c9313fb05f"],
    ),
    "E message template": (
        {
            "platform": "python",
            "logentry": {
                "message": "Payment failed for order %s",
                "params": ["A-1001"],
                "formatted": "Payment failed for order A-1001",
            },
        },
        {},
        ["ab9b05f4370db4a063d73c469f495d98"],
    ),
    "E formatted message only": (
        {
            "platform": "python",
            "logentry": {
                "formatted": "Could not reach 10.0.0.12 for request "
                "7d444840-9dc0-11d1-b245-5ffdce74fad2 after 3 retries"
            },
        },
        {},
        ["1c7ccebcbff8eefcf436b0503763d49e"],
    ),
    "F custom fingerprint": (
        zero_division(fingerprint=["database-unavailable"]),
        {},
        ["3872d078d8f73903d944f07c83cca6c4"],
    ),
    "G hybrid fingerprint": (
        zero_division(fingerprint=["{{ default }}", "checkout-v2"]),
        {},
        ["d3c3ae163035acebf034c20ed3be7e2c"],
    ),
    "G hybrid fingerprint, other order": (
        zero_division(fingerprint=["checkout-v2", "{{ default }}"]),
        {},
        ["5975f2940eb67d571938c2b0352c9509"],
    ),
    "H server rule": (
        exception_event("OperationalError", "timeout", transaction="/api/orders"),
        {"fingerprint_rules": "error.type:OperationalError -> db-timeout, {{ transaction }}"},
        ["0fe9a9b3564720cb7c7027f3b79b80a4"],
    ),
    "I built-in ChunkLoadError rule": (
        exception_event("ChunkLoadError", "Loading chunk 7 failed.", platform="javascript",
                        frames=EXAMPLE_D_FRAMES),
        {},
        ["5d731dcf8ecc4f042eeacf528d8d8da9"],
    ),
}


@pytest.mark.parametrize(("event", "kwargs", "hashes"), EXAMPLES.values(), ids=EXAMPLES.keys())
def test_worked_example_hashes(event, kwargs, hashes):
    assert grouping.compute(event, **kwargs).hashes == hashes


def test_example_c_variants_and_leaves():
    result = grouping.compute(
        exception_event("ZeroDivisionError", "division by zero", frames=EXAMPLE_C_FRAMES)
    )
    app, system = result.variants["app"], result.variants["system"]
    assert (app["hash"], system["hash"]) == tuple(result.hashes)
    exception = app["component"]["values"][0]
    assert [c["id"] for c in exception["values"]] == ["stacktrace", "type", "value"]
    value = exception["values"][2]
    assert value["contributes"] is False
    assert value["hint"] == "ignored because stacktrace takes precedence"
    django_frame = exception["values"][0]["values"][0]
    assert django_frame["contributes"] is False
    assert django_frame["hint"] == "non app frame"
    shop_frame = exception["values"][0]["values"][1]
    filename = next(c for c in shop_frame["values"] if c["id"] == "filename")
    assert filename["hint"] == "module takes precedence"


def test_example_c_successor_order_is_a_context_flag():
    # The successor config puts the type first; v1 must not.
    from hashlib import md5

    successor = md5(b"ZeroDivisionErrorshop.viewscart_totalavg = total / count").hexdigest()
    assert successor == "773d2956f1b2f6c21f26ce6c8a6c6ee8"
    result = grouping.compute(
        exception_event("ZeroDivisionError", "division by zero", frames=EXAMPLE_C_FRAMES)
    )
    assert successor not in result.hashes


def test_example_a_has_only_an_app_variant():
    result = grouping.compute(exception_event("ValueError", "hello world"))
    # Without a stack there is only the app variant (Sentry's shape); its hash is the one.
    assert result.variants["app"]["hash"] == "b23ee1963904c2ca87b145febf94b66c"
    assert "system" not in result.variants


def test_example_d_system_duplicate_of_app_is_dropped():
    event = exception_event("TypeError", "e is undefined", platform="javascript",
                            frames=EXAMPLE_D_FRAMES)
    result = grouping.compute(event)
    frames = event["exception"]["values"][0]["stacktrace"]["frames"]
    assert [f["module"] for f in frames] == ["main", "checkout"]
    app_exception = result.variants["app"]["component"]["values"][0]
    assert app_exception["hint"] == "ignored because hash matches system variant"
    assert result.variants["system"]["hash"] == "39b83437f2ebebcf9594a4c9313fb05f"


def test_example_e_same_template_groups_every_order():
    def event(order):
        return {
            "platform": "python",
            "logentry": {"message": "Payment failed for order %s", "params": [order],
                         "formatted": f"Payment failed for order {order}"},
        }

    assert grouping.compute(event("A-1")).hashes == grouping.compute(event("B-2")).hashes


def test_example_f_several_entries_are_concatenated():
    from hashlib import md5

    entries = ["celery", "SoftTimeLimitExceeded", "sentry.tasks.store.process_event"]
    result = grouping.compute(zero_division(fingerprint=entries))
    assert result.hashes == [md5("".join(entries).encode()).hexdigest()]
    assert result.variants["app"]["hint"] == "custom fingerprint takes precedence"
    assert result.variants["custom_fingerprint"]["values"] == entries


def test_example_h_without_transaction_and_info():
    rules = "error.type:OperationalError -> db-timeout, {{ transaction }}"
    result = grouping.compute(exception_event("OperationalError", "x"), fingerprint_rules=rules)
    assert result.variants["custom_fingerprint"]["values"] == ["db-timeout", "<no-transaction>"]
    assert result.fingerprint == ["db-timeout", "{{ transaction }}"]
    assert result.fingerprint_info["matched_rule"]["is_builtin"] is False
    assert result.fingerprint_info["client_fingerprint"] == ["{{ default }}"]


def test_example_i_builtin_variant_whatever_the_stack():
    result = grouping.compute(
        exception_event("ChunkLoadError", "Loading chunk 7 failed.", platform="javascript")
    )
    assert list(result.variants)[-1] == "built_in_fingerprint"
    assert result.hashes == ["5d731dcf8ecc4f042eeacf528d8d8da9"]
    assert result.fingerprint_info["matched_rule"]["is_builtin"] is True
