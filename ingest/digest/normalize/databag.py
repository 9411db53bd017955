"""Depth and size limits for free-form data bags (`extra`, `contexts`, `request.data`, frame
`vars`, breadcrumb `data`).

Sizes are estimated in JSON bytes-ish units (string length plus quotes, keys plus separators, a
flat cost for numbers) rather than serialized, so checking a small bag costs one cheap walk.
Only a bag over a limit is rebuilt:

- a container nested deeper than the limit is replaced by its JSON text (the data stays
  readable, as Relay does), which is then subject to the size budget like any string;
- once the budget runs out, the remaining items of a container are dropped and the container
  gets `_meta` `{"len": original item count}`; a string that straddles the end is cut and gets
  `_meta` `{"len": original length}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ingest.digest.normalize.meta import ELLIPSIS, Notes, Path

_SCALAR_COST = 8  # numbers, booleans and null: a flat estimate is good enough for a budget


@dataclass(frozen=True, slots=True)
class BagLimit:
    """`depth` counts container levels including the bag itself; `size` is the byte budget."""

    depth: int
    size: int


# Our values. Relay uses similar orders of magnitude; the whole event is capped at 1 MiB anyway.
EXTRA = BagLimit(depth=7, size=256 * 1024)
CONTEXTS = BagLimit(depth=7, size=64 * 1024)
REQUEST_DATA = BagLimit(depth=7, size=64 * 1024)
FRAME_VARS = BagLimit(depth=5, size=8 * 1024)
BREADCRUMB_DATA = BagLimit(depth=5, size=4 * 1024)


def limit_databag(value: Any, limit: BagLimit, path: Path, notes: Notes) -> Any:
    """Return `value` itself if it is within `limit`, else a trimmed copy (annotated)."""
    if _remaining(value, limit.depth, limit.size) >= 0:
        return value
    budget = [limit.size]
    return _trim(value, limit.depth, budget, path, notes)


def _remaining(value: Any, depth: int, left: int) -> int:
    """Budget left after `value`; negative as soon as the size or depth limit is exceeded."""
    kind = type(value)
    if kind is str:
        return left - len(value) - 2
    if kind is dict:
        if depth <= 0:
            return -1
        for key, item in value.items():
            # Leaves are handled inline: a call per item would dominate the cost.
            item_kind = type(item)
            if item_kind is str:
                left -= len(key) + len(item) + 6
            elif item_kind is dict or item_kind is list:
                left = _remaining(item, depth - 1, left - len(key) - 4)
            else:
                left -= len(key) + _SCALAR_COST + 4
            if left < 0:
                return -1
        return left - 2
    if kind is list:
        if depth <= 0:
            return -1
        for item in value:
            item_kind = type(item)
            if item_kind is str:
                left -= len(item) + 3
            elif item_kind is dict or item_kind is list:
                left = _remaining(item, depth - 1, left - 1)
            else:
                left -= _SCALAR_COST + 1
            if left < 0:
                return -1
        return left - 2
    return left - _SCALAR_COST


def _trim(value: Any, depth: int, budget: list[int], path: Path, notes: Notes) -> Any:
    kind = type(value)
    if kind is dict or kind is list:
        if depth <= 0:
            return _cut(_as_json(value), budget, path, notes)
        if kind is dict:
            return _trim_dict(value, depth, budget, path, notes)
        return _trim_list(value, depth, budget, path, notes)
    if kind is str:
        return _cut(value, budget, path, notes)
    budget[0] -= _SCALAR_COST
    return value


def _trim_dict(
    value: dict[str, Any], depth: int, budget: list[int], path: Path, notes: Notes
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if budget[0] <= 0:
            break
        budget[0] -= len(key) + 4
        out[key] = _trim(item, depth - 1, budget, (*path, key), notes)
    if len(out) < len(value):
        notes.original_length(path, len(value))
    budget[0] -= 2
    return out


def _trim_list(
    value: list[Any], depth: int, budget: list[int], path: Path, notes: Notes
) -> list[Any]:
    out: list[Any] = []
    for index, item in enumerate(value):
        if budget[0] <= 0:
            break
        budget[0] -= 1
        out.append(_trim(item, depth - 1, budget, (*path, index), notes))
    if len(out) < len(value):
        notes.original_length(path, len(value))
    budget[0] -= 2
    return out


def _cut(text: str, budget: list[int], path: Path, notes: Notes) -> str:
    room = budget[0] - 2
    budget[0] = room - len(text)
    if len(text) <= room:
        return text
    notes.original_length(path, len(text))
    return text[: max(room - 1, 0)] + ELLIPSIS


def _as_json(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        return "<unserializable>"
