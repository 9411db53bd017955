"""The value `grouping.compute` returns; the same shape for every config version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class GroupingResult:
    """What grouping decided for one event. Treat it as read-only: parts of `variants` are
    shared between results (frame subtrees are cached across events)."""

    # Ordered and deduplicated; the first is the primary hash, "system" comes last.
    hashes: list[str]
    # Variant name -> serialized variant (hash, contributes, hint, component tree) for the
    # "grouping info" UI and snapshot tests.
    variants: dict[str, dict[str, Any]]
    # The effective fingerprint, variables unresolved (a matching server rule replaces the
    # client's).
    fingerprint: list[str]
    # {"client_fingerprint": [...], "matched_rule": {...}} when a server rule matched, else {}.
    fingerprint_info: dict[str, Any]
    title: str
    culprit: str
    metadata: dict[str, Any]
    main_exception_id: int | None
    config: str
