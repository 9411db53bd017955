"""Outcome ids as Sentry stores them (protocol.md, section 10.5)."""

from __future__ import annotations

from enum import IntEnum


class Outcome(IntEnum):
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
