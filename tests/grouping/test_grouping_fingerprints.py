"""Client fingerprints, variables, server-side and built-in rules (docs/grouping.md §5)."""

from hashlib import md5

import pytest

import grouping
from grouping import RuleSyntaxError
from grouping.v1.context import V1
from grouping.v1.fingerprinting import fingerprint_mode, resolve_entries


def md5_of(*parts):
    return md5("".join(parts).encode()).hexdigest()


def frame(function, module, in_app=True, **extra):
    return {"function": function, "module": module, "filename": module.replace(".", "/") + ".py",
            "in_app": in_app, **extra}


def event(**extra):
    base = {
        "platform": "python",
        "level": "error",
        "logger": "shop.payments",
        "transaction": "/checkout",
        "release": "shop@1.4.0",
        "sdk": {"name": "sentry.python", "version": "2.19.0"},
        "tags": [["region", "eu-west-1"], ["server_name", "web-1"]],
        "logentry": {"formatted": "Payment declined for card 4242"},
        "exception": {"values": [
            {"type": "KeyError", "value": "'first'"},
            {"type": "CardError", "value": "Card declined",
             "stacktrace": {"frames": [
                 frame("dispatch", "framework.core", in_app=False, package="/usr/lib/libfw.so"),
                 frame("charge", "shop.billing", abs_path="/srv/shop/billing.py"),
                 frame("helper", "shop.util", in_app=False),
             ]}},
        ]},
    }
    base.update(extra)
    return base


@pytest.mark.parametrize(
    ("fingerprint", "mode"),
    [
        ([], "default"),
        (["{{ default }}"], "default"),
        (["{{default}}"], "default"),
        (["{{  default  }}"], "default"),
        (["{{ default }}", "checkout-v2"], "hybrid"),
        (["x", "{{default}}"], "hybrid"),
        (["{{ default }}", "{{ default }}"], "hybrid"),
        (["database-unavailable"], "custom"),
        (["{{ transaction }}"], "custom"),
        (["{{ default }} x"], "custom"),
    ],
)
def test_fingerprint_mode(fingerprint, mode):
    assert fingerprint_mode(fingerprint or ["{{ default }}"]) == mode


VARIABLES = [
    ("{{ transaction }}", "/checkout"),
    ("{{ message }}", "Payment declined for card 4242"),
    ("{{ type }}", "CardError"),
    ("{{ error.type }}", "CardError"),
    ("{{ value }}", "Card declined"),
    ("{{ error.value }}", "Card declined"),
    # The crash frame: the last in-app frame of the last exception's stack.
    ("{{ function }}", "charge"),
    ("{{ stack.function }}", "charge"),
    ("{{ module }}", "shop.billing"),
    ("{{ stack.module }}", "shop.billing"),
    ("{{ path }}", "/srv/shop/billing.py"),
    ("{{ stack.abs_path }}", "/srv/shop/billing.py"),
    ("{{ stack.filename }}", "shop/billing.py"),
    ("{{ level }}", "error"),
    ("{{ logger }}", "shop.payments"),
    ("{{ tags.region }}", "eu-west-1"),
    ("{{tags.region}}", "eu-west-1"),
    ("{{ tags.missing }}", "<no-value-for-tag-missing>"),
    ("{{ package }}", "<no-package>"),
    # v1 keeps unknown variables literally (the successor config names them).
    ("{{ nonsense }}", "{{ nonsense }}"),
    ("plain", "plain"),
    ("{{ default }}", "{{ default }}"),
]


@pytest.mark.parametrize(("entry", "value"), VARIABLES)
def test_variable_resolution(entry, value):
    assert resolve_entries([entry], event(), V1) == [value]


BARE = {"platform": "python"}
FALLBACKS = [
    ("{{ transaction }}", "<no-transaction>"),
    ("{{ message }}", "<no-message>"),
    ("{{ type }}", "<no-type>"),
    ("{{ value }}", "<no-value>"),
    ("{{ function }}", "<no-function>"),
    ("{{ path }}", "<no-abs-path>"),
    ("{{ stack.filename }}", "<no-filename>"),
    ("{{ module }}", "<no-module>"),
    ("{{ package }}", "<no-package>"),
    ("{{ level }}", "<no-level>"),
    ("{{ logger }}", "<no-logger>"),
]


@pytest.mark.parametrize(("entry", "value"), FALLBACKS)
def test_variable_fallbacks(entry, value):
    assert resolve_entries([entry], BARE, V1) == [value]


def test_message_falls_back_to_exception_value_and_package_to_basename():
    data = {"exception": {"values": [{"type": "E", "value": "boom", "stacktrace": {"frames": [
        {"function": "f", "package": "C:\\app\\bin\\core.dll", "in_app": False},
    ]}}]}}
    assert resolve_entries(["{{ message }}", "{{ package }}"], data, V1) == ["boom", "core.dll"]


def test_crash_frame_uses_the_only_thread_when_there_is_no_stack():
    data = {"threads": {"values": [{"stacktrace": {"frames": [
        {"function": "main", "in_app": True}, {"function": "worker", "in_app": False},
    ]}}]}}
    assert resolve_entries(["{{ function }}"], data, V1) == ["main"]
    data["threads"]["values"].append({"stacktrace": {"frames": [{"function": "x"}]}})
    assert resolve_entries(["{{ function }}"], data, V1) == ["<no-function>"]


def test_custom_and_hybrid_hashes():
    custom = grouping.compute(event(fingerprint=["{{ transaction }}", "cards"]))
    assert custom.hashes == [md5_of("/checkout", "cards")]
    assert custom.variants["app"]["contributes"] is False
    hybrid = grouping.compute(event(fingerprint=["{{ default }}", "{{ tags.region }}"]))
    default = grouping.compute(event())
    app_leaves = "".join(_leaves(default.variants["app"]["component"]))
    assert hybrid.variants["app"]["hash"] == md5_of(app_leaves, "eu-west-1")
    assert hybrid.variants["app"]["type"] == "salted_component"
    # The system chain lacks the stack-less KeyError (Sentry's variant shape).
    system_leaves = "".join(_leaves(default.variants["system"]["component"]))
    assert "KeyError" not in system_leaves
    assert hybrid.variants["system"]["hash"] == md5_of(system_leaves, "eu-west-1")


def test_hybrid_variant_that_does_not_contribute_has_no_hash():
    data = event(fingerprint=["{{ default }}", "x"])
    data["exception"]["values"][1]["stacktrace"]["frames"] = [frame("run", "lib.x", False)]
    result = grouping.compute(data)
    assert result.variants["app"]["contributes"] is False
    assert result.variants["app"]["hash"] is None
    assert result.hashes == [result.variants["system"]["hash"]]


def _leaves(component):
    if not component["contributes"]:
        return []
    out = []
    for value in component["values"]:
        out.extend(_leaves(value) if isinstance(value, dict) else [str(value)])
    return out


def matched(rules, data=None):
    result = grouping.compute(data or event(), fingerprint_rules=rules)
    rule = result.fingerprint_info.get("matched_rule")
    return rule["fingerprint"] if rule else None


RULES = [
    # (rules, expected fingerprint of the matching rule, or None)
    ("error.type:CardError -> cards", ["cards"]),
    ("type:Card* -> cards", ["cards"]),
    ("error.type:carderror -> cards", None),  # type is case-sensitive
    ('error.value:"*DECLINED*" -> declined', ["declined"]),  # value is not
    ('message:"payment declined*" -> msg', ["msg"]),
    ("message:card* -> via-exception-value", ["via-exception-value"]),
    ("logger:shop.payments level:ERROR -> log", ["log"]),
    ("logger:Shop.payments -> log", None),
    ("tags.region:eu-* -> eu", ["eu"]),
    ("!tags.region:us-* -> not-us", ["not-us"]),
    ("tags.nope:* -> never", None),
    ("!tags.nope:* -> no-tag", ["no-tag"]),
    ("release:shop@1.* -> release", ["release"]),
    ("sdk:sentry.python,sentry.javascript -> sdk", ["sdk"]),
    ("family:javascript -> js", None),
    ("family:other -> other", ["other"]),
    ("stack.function:charge -> fn", ["fn"]),
    ("stack.module:shop.* app:yes -> app-frame", ["app-frame"]),
    ("stack.abs_path:**/billing.py -> path", ["path"]),
    ("path:shop/** -> relative", ["relative"]),
    ("package:**/libfw.so -> pkg", ["pkg"]),
    # Frame matchers must hold on the same frame ...
    ("stack.function:charge app:no -> mixed", None),
    ("stack.function:dispatch app:no -> system-frame", ["system-frame"]),
    # ... and exception matchers on the same exception.
    ("error.type:KeyError error.value:Card* -> mixed", None),
    ("error.type:KeyError !error.value:Card* -> key", ["key"]),
    # The first matching rule wins.
    ("error.type:Nope -> a\nerror.type:CardError -> b\nerror.type:* -> c", ["b"]),
    ('error.type:CardError -> "quoted, entry", {{ transaction }} title="Card {{ type }}"',
     ["quoted, entry", "{{ transaction }}"]),
]


@pytest.mark.parametrize(("rules", "fingerprint"), RULES)
def test_server_rule_matching(rules, fingerprint):
    assert matched(rules) == fingerprint


def test_rule_title_and_info():
    rules = '# comment\nerror.type:CardError -> cards, {{ transaction }} title="Card {{ type }}"'
    result = grouping.compute(event(fingerprint=["client"]), fingerprint_rules=rules)
    assert result.title == "Card CardError"
    assert result.metadata["title"] == "Card CardError"
    assert result.fingerprint == ["cards", "{{ transaction }}"]
    assert result.hashes == [md5_of("cards", "/checkout")]
    info = result.fingerprint_info
    assert info["client_fingerprint"] == ["client"]
    assert info["matched_rule"]["matchers"] == [["type", "CardError"]]
    assert info["matched_rule"]["attributes"] == {"title": "Card {{ type }}"}
    assert "custom_fingerprint" in result.variants


def test_rule_with_default_makes_hybrid():
    result = grouping.compute(event(), fingerprint_rules="tags.region:eu-* -> {{ default }}, eu")
    assert result.variants["app"]["type"] == "salted_component"
    assert result.fingerprint == ["{{ default }}", "eu"]


def test_no_rule_keeps_client_fingerprint_and_empty_info():
    result = grouping.compute(event(fingerprint=["mine"]), fingerprint_rules="type:Nope -> x")
    assert result.fingerprint == ["mine"]
    assert result.fingerprint_info == {}


HYDRATION = "Text content does not match server-rendered HTML."
BUILTIN = [
    ({"exception": {"values": [{"type": "ChunkLoadError", "value": "x"}]}}, ["chunkloaderror"]),
    ({"exception": {"values": [{"type": "Error", "value": "ChunkLoadError: Loading chunk 3"}]}},
     ["chunkloaderror"]),
    ({"exception": {"values": [{"type": "Error", "value": HYDRATION}]},
      "tags": [["transaction", "/cart"]]}, ["hydrationerror", "{{tags.transaction}}"]),
    # Needs the transaction tag.
    ({"exception": {"values": [{"type": "Error", "value": HYDRATION}]}}, None),
    ({"exception": {"values": [{"type": "Error", "value": "boom"}]}}, None),
]


@pytest.mark.parametrize(("data", "fingerprint"), BUILTIN)
def test_builtin_javascript_rules(data, fingerprint):
    assert matched("", {"platform": "javascript", **data}) == fingerprint


def test_builtin_rules_only_for_javascript_and_after_project_rules():
    data = {"platform": "python", "exception": {"values": [{"type": "ChunkLoadError"}]}}
    assert matched("", data) is None
    js = {"platform": "javascript", "exception": {"values": [{"type": "ChunkLoadError"}]}}
    assert matched("type:ChunkLoadError -> mine", js) == ["mine"]
    hydration = {"platform": "javascript", "tags": [["transaction", "/cart"]],
                 "exception": {"values": [{"type": "Error", "value": HYDRATION}]}}
    result = grouping.compute(hydration)
    assert result.hashes == [md5_of("hydrationerror", "/cart")]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("error.type:X", 1, "expected '->'"),
        ("\n\nfoo:bar -> x", 3, "unknown matcher 'foo'"),
        ("-> x", 1, "expected at least one matcher"),
        ("type:X ->", 1, "expected at least one fingerprint entry"),
        ('type:X -> a colour="red"', 1, "unknown attribute 'colour'"),
        ('type:"X -> a', 1, "unterminated quoted string"),
        ("app:maybe -> a", 1, "app: expects yes or no"),
        ("[ function:a ] | function:b -> a", 1, "caller/callee"),
        ("type -> a", 1, "expected a matcher like key:value"),
    ],
)
def test_rule_syntax_errors(text, line, message):
    with pytest.raises(RuleSyntaxError) as caught:
        grouping.parse_fingerprint_rules(text)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"line {line}: ")


def test_valid_rules_parse():
    rules = grouping.parse_fingerprint_rules(
        "# comment\n\nerror.type:A -> a  # trailing\n"
        'stack.function:"with space" !app:no -> b, "c d" title="T"\n'
    )
    assert len(rules) == 2
