"""NUL characters, which PostgreSQL stores in neither text nor JSON.

SDKs send them now and then (a C string read too far, bytes in an `extra`). Refusing the
event, or failing to store it, would lose it over one invisible character: they are removed
instead, on the way in (ingest metadata) and when a payload is parsed for storing.
"""

from __future__ import annotations

from typing import Any


def may_contain(raw: bytes | str) -> bool:
    """Cheap test on JSON text: a NUL is written \\u0000 (or, invalidly, raw)."""
    if isinstance(raw, str):
        return "\\u0000" in raw or "\x00" in raw
    return b"\\u0000" in raw or b"\x00" in raw


def strip(value: Any) -> Any:
    """`value` with NUL removed from every string, keys included."""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {strip(k): strip(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [strip(v) for v in value]
    return value
