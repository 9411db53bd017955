"""Making client strings storable: NUL removed, lone surrogates replaced, at any depth."""

import json

import pytest

from ingest.protocol import storable


@pytest.mark.parametrize(("text", "expected", "done"), [
    ("plain", "plain", []),
    ("a\x00b", "ab", [storable.NUL]),
    ("cut \ud83d", "cut \ufffd", [storable.SURROGATE]),
    ("\ude00 low first", "\ufffd low first", [storable.SURROGATE]),
    ("\ud83d\ud83d", "\ufffd\ufffd", [storable.SURROGATE]),
    # The halves of a pair arriving apart (CESU-8 bytes) make the character they encode.
    ("\ud83d\ude00", "\U0001f600", [storable.SURROGATE]),
    ("\x00\ud83d", "\ufffd", [storable.NUL, storable.SURROGATE]),
    ("\U0001f600 whole", "\U0001f600 whole", []),
])
def test_clean_text(text, expected, done):
    assert storable.clean_text(text) == (expected, done)


def test_clean_walks_keys_values_and_tuples_and_reports_where():
    changes = []
    value = {"a\x00": ["x\ud83d", (1, "n\x00")], "ok": {"k": "\ude00"}, "n": 1}
    cleaned = storable.clean(value, lambda path, done: changes.append((path, done)))
    assert cleaned is value  # in place
    assert cleaned == {"a": ["x\ufffd", [1, "n"]], "ok": {"k": "\ufffd"}, "n": 1}
    assert list(cleaned) == ["a", "ok", "n"]  # the order of keys is kept
    assert sorted(changes) == [
        (("a",), [storable.NUL]),
        (("a", 0), [storable.SURROGATE]),
        (("a", 1, 1), [storable.NUL]),
        (("ok", "k"), [storable.SURROGATE]),
    ]


def test_clean_has_no_recursion_limit():
    deep = "a\x00b"
    for _ in range(20_000):  # far past Python's recursion limit
        deep = {"k": [deep]}
    storable.clean(deep)
    node = deep
    while not isinstance(node, str):
        node = node["k"][0]
    assert node == "ab"


def test_clean_scalars_and_strings():
    assert storable.clean("x\x00") == "x"
    assert storable.clean(("x\x00",)) == ["x"]
    assert storable.clean(5) == 5
    assert storable.clean(None) is None


@pytest.mark.parametrize(("raw", "maybe"), [
    (b'{"a": "plain"}', False),
    (b'{"a": "\\u00e9 caf\xc3\xa9 \xed\x95\x9c"}', False),  # accents, Hangul: nothing to do
    (b'{"a": "x\\u0000"}', True),
    (b'{"a": "x\x00"}', True),
    (b'{"a": "\\ud83d"}', True),
    (b'{"a": "\\uDE00"}', True),
    (b'{"a": "\\ud83d\\ude00"}', True),  # a valid pair: the walk finds nothing, that is all
    (b'{"a": "\xed\xa0\xbd"}', True),  # a surrogate as UTF-8 bytes, which json reads
])
def test_may_contain(raw, maybe):
    assert storable.may_contain(raw) is maybe
    assert storable.may_contain(raw.decode("utf-8", "surrogatepass")) is maybe


def test_what_json_parses_is_storable_after_cleaning():
    for raw in (b'["\\ud83d", "\\u0000", {"\\udc00": "\\ud800\\ud800"}]',
                b'["\xed\xa0\xbd\xed\xb8\x80"]'):
        value = storable.clean(json.loads(raw))
        json.dumps(value, ensure_ascii=False).encode("utf-8")  # strict: raises on a surrogate


def test_limit_depth_cuts_what_the_encoder_could_not_write_back():
    changes = []
    deep = 1
    for _ in range(storable.MAX_DEPTH + 10):
        deep = [deep]
    value = {"keep": {"a": [1, "x"]}, "deep": deep}
    assert storable.limit_depth(value, lambda path, done: changes.append((path, done))) is value
    node, depth = value["deep"], 2  # the top-level dict is level 1
    while isinstance(node, list):
        node, depth = node[0], depth + 1
    assert node == storable.TOO_DEEP
    assert depth == storable.MAX_DEPTH + 1  # levels 1..MAX_DEPTH are kept
    assert value["keep"] == {"a": [1, "x"]}
    assert changes == [(("deep",) + (0,) * (storable.MAX_DEPTH - 1), [storable.DEPTH])]
    json.dumps(value)  # the standard library writes it back


def test_may_nest_too_deep():
    assert not storable.may_nest_too_deep(b"[" * storable.MAX_DEPTH)
    assert storable.may_nest_too_deep(b"{" + b"[" * storable.MAX_DEPTH)
