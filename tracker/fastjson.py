"""JSON on the hot paths: orjson, with the standard library as the arbiter.

orjson parses event payloads several times faster than `json`, but refuses a few things the
standard library accepts and SDKs do send: NaN and Infinity (Python's `json.dumps` writes
them) and lone surrogate escapes. Whatever orjson refuses is parsed again by `json`, so what
is accepted and the errors people see are the standard library's. One difference remains:
integers beyond 64 bits become floats, as in JavaScript (where most such numbers come from).
"""

from __future__ import annotations

import json
from typing import Any

import orjson


def loads(data: bytes | str) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def dumps(value: Any) -> str:
    """Compact JSON text; what orjson refuses (integers beyond 64 bits, say), json writes."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return json.dumps(value, separators=(",", ":"))
