"""Outcome ids as Sentry stores them (docs/protocol.md §10.6): the one vocabulary.

What happened to each item an SDK sent (or meant to send). tracker's Outcome model stores
these ids, with the same names as its choices.
"""

from __future__ import annotations

from enum import IntEnum


class OutcomeKind(IntEnum):
    ACCEPTED = 0
    FILTERED = 1
    RATE_LIMITED = 2
    INVALID = 3
    ABUSE = 4
    CLIENT_DISCARD = 5
    CARDINALITY_LIMITED = 6

    @property
    def api_name(self) -> str:
        return self.name.lower()
