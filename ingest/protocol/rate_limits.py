"""`X-Sentry-Rate-Limits` and `Retry-After` values (docs/protocol.md §10.2 and §10.3)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

SCOPES = frozenset({"organization", "project", "key"})
FEATURE_DISABLED = "feature_disabled"

# Header syntax for each field; checked at construction so a bad value can never split or
# extend the header.
_CATEGORY = re.compile(r"[a-z0-9_]+")
_REASON = re.compile(r"[A-Za-z0-9_]*")


@dataclass(frozen=True, slots=True)
class RateLimit:
    retry_after: float  # seconds from now; sent rounded up to an integer
    categories: tuple[str, ...]  # empty means every category
    scope: str
    reason: str = ""
    namespaces: tuple[str, ...] = ()  # metric_bucket limits only

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"unknown rate limit scope {self.scope!r}")
        for name in (*self.categories, *self.namespaces):
            if not _CATEGORY.fullmatch(name):
                raise ValueError(f"invalid category or namespace {name!r}")
        if not _REASON.fullmatch(self.reason):
            raise ValueError(f"invalid reason code {self.reason!r}")

    @property
    def seconds(self) -> int:
        # SDKs parse an integer (JS) or a float (Python): send an integer, never shorter than
        # the real limit.
        return max(0, math.ceil(self.retry_after))

    def header_value(self) -> str:
        value = f"{self.seconds}:{';'.join(self.categories)}:{self.scope}"
        if self.reason or self.namespaces:
            value += f":{self.reason}"
        if self.namespaces:
            value += f":{';'.join(self.namespaces)}"
        return value


def format_rate_limits(limits: Iterable[RateLimit]) -> str:
    """The `X-Sentry-Rate-Limits` value: limits joined by `, ` as Relay writes them."""
    return ", ".join(limit.header_value() for limit in limits)


def retry_after_header(limits: Iterable[RateLimit]) -> str:
    """The `Retry-After` value: the longest of the limits, in whole seconds."""
    seconds = [limit.seconds for limit in limits]
    if not seconds:
        raise ValueError("Retry-After needs at least one rate limit")
    return str(max(seconds))


def feature_disabled_limit(categories: tuple[str, ...], retry_after: float = 3600) -> RateLimit:
    """A limit telling SDKs to stop sending categories we accept and drop
    (docs/protocol.md §6.1)."""
    return RateLimit(
        retry_after=retry_after, categories=categories, scope="project", reason=FEATURE_DISABLED
    )
