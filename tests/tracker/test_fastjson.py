"""Fast JSON parsing accepts exactly what the standard library accepts."""

import json
import math

import pytest

from tracker import fastjson


@pytest.mark.parametrize("text", [
    '{"a": 1, "b": [true, null, "x"]}',
    '{"value": NaN, "big": Infinity}',  # Python SDKs write these
    '{"s": "\\ud800 lone surrogate"}',
    '"just a string"',
])
def test_same_result_as_json(text):
    got, want = fastjson.loads(text), json.loads(text)
    if isinstance(want, dict) and "value" in want:
        assert math.isnan(got["value"]) and got["big"] == want["big"]
    else:
        assert got == want


@pytest.mark.parametrize("text", ["{nope", "", "[1,]", '{"a": 1} trailing'])
def test_same_errors_as_json(text):
    with pytest.raises(json.JSONDecodeError):
        fastjson.loads(text)


def test_integers_beyond_64_bits_become_floats():
    assert fastjson.loads('{"n": 123456789012345678901234567890}') == {"n": 1.2345678901234568e29}
