"""Which exceptions of a chain take part in grouping, and which one titles the issue.

Exception groups (Python `ExceptionGroup`, JS `AggregateError`) arrive flattened, linked by
`mechanism.exception_id` / `parent_id` (docs/grouping.md §6.5).
"""

from __future__ import annotations

from typing import Any, TypeGuard

from .components import Component
from .stacks import as_str, mechanism

# React 19 wraps an error it recovered from; the wrapped cause is the interesting one.
_REACT_RECOVERED_ERRORS = frozenset({
    "There was an error during concurrent rendering but React was able to recover by instead "
    "synchronously rendering the entire root.",
    "There was an error while hydrating but React was able to recover by instead client "
    "rendering from the nearest Suspense boundary.",
})


class _Malformed(Exception):
    """The exception tree is unusable; group by every exception instead."""


def select_exceptions(
    exceptions: list[dict[str, Any]], components: list[dict[str, Component]]
) -> tuple[list[int], int | None]:
    """Indexes of the exceptions to group by, and the main exception id if the filter set one."""
    everything = list(range(len(exceptions)))
    if len(exceptions) < 2:
        return everything, None
    try:
        return _filter_groups(exceptions, components)
    except _Malformed:
        return everything, None


def _filter_groups(
    exceptions: list[dict[str, Any]], components: list[dict[str, Component]]
) -> tuple[list[int], int | None]:
    everything = list(range(len(exceptions)))
    ids: list[int] = [0] * len(exceptions)
    owner: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    # Walking newest-first fixes the child order the "first path" below follows.
    for idx in reversed(everything):
        mech = mechanism(exceptions[idx])
        exception_id, parent_id = mech.get("exception_id"), mech.get("parent_id")
        if not _is_id(exception_id) or exception_id == parent_id or exception_id in owner:
            raise _Malformed
        if parent_id is not None and not _is_id(parent_id):
            raise _Malformed
        ids[idx] = exception_id
        owner[exception_id] = idx
        if parent_id is not None:
            children.setdefault(parent_id, []).append(idx)
    root = owner.get(0)
    if root is None:
        raise _Malformed

    top_level = _top_level(root, exceptions, ids, children, set())
    if not top_level:
        raise _Malformed
    top_level.sort(key=lambda i: str(exceptions[i].get("type")), reverse=True)
    distinct: list[int] = []
    previous = None
    for idx in top_level:
        key = tuple(c.structure() for c in components[idx].values())
        if key != previous:
            distinct.append(idx)
        previous = key
    if len(distinct) == 1:
        main = distinct[0]
        return _first_path(main, ids, children), ids[main]
    return [*distinct, root], None


def _is_id(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _top_level(
    idx: int, exceptions: list[dict[str, Any]], ids: list[int], children: dict[int, list[int]],
    seen: set[int],
) -> list[int]:
    """The first non-group exceptions on every path down from `idx`."""
    if idx in seen:
        raise _Malformed
    seen.add(idx)
    if mechanism(exceptions[idx]).get("is_exception_group") is not True:
        return [idx]
    found = []
    for child in children.get(ids[idx], []):
        found.extend(_top_level(child, exceptions, ids, children, seen))
    return found


def _first_path(idx: int, ids: list[int], children: dict[int, list[int]]) -> list[int]:
    path = [idx]
    while kids := children.get(ids[path[-1]]):
        if kids[0] in path:
            raise _Malformed
        path.append(kids[0])
    return path


def main_exception_override(exceptions: list[dict[str, Any]]) -> int | None:
    """A framework-specific choice of the exception that should title the issue."""
    first, last = exceptions[0], exceptions[-1]
    last_mechanism = mechanism(last)
    if (
        as_str(first.get("type")) == "Error"
        and as_str(first.get("value")) in _REACT_RECOVERED_ERRORS
        and last_mechanism.get("source") == "cause"
    ):
        exception_id = last_mechanism.get("exception_id")
        return exception_id if _is_id(exception_id) else None
    return None
