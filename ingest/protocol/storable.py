"""Text PostgreSQL cannot store (NUL characters, lone UTF-16 surrogates), and nesting too
deep to write back as JSON.

SDKs send both now and then: a NUL from a C string read too far or bytes in an `extra`; a
lone surrogate (`"\\ud83d"`) from JavaScript, which cuts strings in UTF-16 units and so can
cut an emoji in half. JSON parses either into a Python string that PostgreSQL refuses in text
and in jsonb (SQLite cannot encode a surrogate either). Refusing the event, or failing to
store it, would lose it over one invisible character: NULs are removed and lone surrogates
replaced by U+FFFD, on the way in (ingest metadata) and when a payload is parsed for storing.

The walks are iterative: a payload may nest as deep as the JSON parser allows, deeper than
Python's recursion limit leaves room for once a worker's own frames are on the stack. For the
same reason what is stored is cut at MAX_DEPTH levels: orjson reads 1024 levels but writes
only 254, and the standard library, which writes the rest, needs a stack frame per level.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

# In the JSON text: an escaped NUL or surrogate (a valid pair too: the walk tells them apart),
# or a surrogate encoded as UTF-8 bytes, which `json` reads (orjson refuses it).
_MAYBE_BYTES = re.compile(rb"\x00|\\u0000|\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")
_MAYBE_TEXT = re.compile(r"\x00|\\u0000|\\u[dD][89a-fA-F]|[\ud800-\udfff]")
# In a parsed string. JSON joins a valid escaped pair into one character, so any surrogate
# left is lone, or one half of a pair sent as separate UTF-8 sequences (CESU-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")

NUL = "nul"  # NUL characters were removed
SURROGATE = "surrogate"  # lone surrogates were replaced by U+FFFD
DEPTH = "depth"  # a container nested deeper than MAX_DEPTH was replaced by TOO_DEEP

MAX_DEPTH = 512
TOO_DEEP = f"<nested deeper than {MAX_DEPTH} levels>"

Path = tuple[str | int, ...]
OnChange = Callable[[Path, list[str]], None]


def may_contain(raw: bytes | str) -> bool:
    """Cheap test on JSON text: False means no string parsed from it needs `clean`."""
    if isinstance(raw, str):
        return _MAYBE_TEXT.search(raw) is not None
    return _MAYBE_BYTES.search(raw) is not None


def clean_text(text: str) -> tuple[str, list[str]]:
    """`text` made storable, and what was done to it (NUL, SURROGATE; empty if nothing)."""
    if not _UNSTORABLE.search(text):
        return text, []
    done = []
    if "\x00" in text:
        text = text.replace("\x00", "")
        done.append(NUL)
    if _UNSTORABLE.search(text):
        # Through UTF-16: the halves of a pair become the character they encode, and only
        # lone surrogates become U+FFFD.
        text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        done.append(SURROGATE)
    return text, done


def clean(value: Any, on_change: OnChange | None = None) -> Any:
    """`value` with every string made storable, dictionary keys included.

    Dicts and lists are changed in place, tuples become lists (JSON has only arrays): the
    result is `value` itself unless `value` is a string or a tuple. `on_change(path, done)`
    is told of each string changed, `path` being where it is (for a key: the path to its
    value, under the new key).
    """
    if isinstance(value, str):
        text, done = clean_text(value)
        if done and on_change is not None:
            on_change((), done)
        return text
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, dict | list):
        return value
    track = on_change is not None
    stack: list[tuple[dict | list, Path]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            if any(_UNSTORABLE.search(key) for key in node if isinstance(key, str)):
                _clean_keys(node, path, on_change)
            entries: Any = node.items()
        else:
            entries = enumerate(node)
        replaced: list[tuple[Any, Any]] = []
        for index, item in entries:
            if isinstance(item, str):
                if _UNSTORABLE.search(item):
                    text, done = clean_text(item)
                    replaced.append((index, text))
                    if on_change is not None:
                        on_change((*path, index), done)
            elif isinstance(item, dict | list):
                stack.append((item, (*path, index) if track else ()))
            elif isinstance(item, tuple):
                replaced.append((index, list(item)))
                stack.append((replaced[-1][1], (*path, index) if track else ()))
        for index, item in replaced:  # not while iterating over the dict
            node[index] = item
    return value


def _clean_keys(node: dict, path: Path, on_change: OnChange | None) -> None:
    """Rename the keys that need it, keeping the order of the entries."""
    entries = list(node.items())
    node.clear()
    for key, item in entries:
        if isinstance(key, str):
            key, done = clean_text(key)
            if done and on_change is not None:
                on_change((*path, key), done)
        node[key] = item


def may_nest_too_deep(raw: bytes) -> bool:
    """Cheap test on JSON text: False means it cannot nest deeper than MAX_DEPTH levels."""
    return raw.count(b"[") + raw.count(b"{") > MAX_DEPTH


def limit_depth(value: Any, on_change: OnChange | None = None) -> Any:
    """`value` (parsed JSON) with every container nested deeper than MAX_DEPTH levels
    replaced by TOO_DEEP, in place; `on_change(path, [DEPTH])` is told where."""
    try:
        orjson.dumps(value)
        return value  # orjson writes it: it nests 254 levels at most (a fast test, in C)
    except orjson.JSONEncodeError:
        pass
    if not isinstance(value, dict | list):
        return value
    track = on_change is not None
    stack: list[tuple[dict | list, int, Path]] = [(value, 1, ())]
    while stack:
        node, depth, path = stack.pop()
        entries: Any = node.items() if isinstance(node, dict) else enumerate(node)
        cut = []
        for index, item in entries:
            if not isinstance(item, dict | list):
                continue
            if depth < MAX_DEPTH:
                stack.append((item, depth + 1, (*path, index) if track else ()))
                continue
            cut.append(index)
            if on_change is not None:
                on_change((*path, index), [DEPTH])
        for index in cut:  # not while iterating over the dict
            node[index] = TOO_DEEP
    return value
