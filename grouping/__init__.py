"""Grouping: a normalized event in, the hashes that pick its issue (and display fields) out.

Pure functions: no I/O (built-in rule files are read once, at import), no database, nothing
from Django, `ingest` or `tracker`. Each config version lives in its own frozen package
(`grouping.v1`); the id is stored with every event and project so hashes can always be
reproduced.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from . import v1
from .errors import RuleSyntaxError
from .result import GroupingResult
from .v1.enhancements import EnhancementRules
from .v1.fingerprinting import FingerprintRules

DEFAULT_CONFIG = "v1"
CONFIGS: dict[str, ModuleType] = {"v1": v1}

__all__ = [
    "CONFIGS",
    "DEFAULT_CONFIG",
    "GroupingResult",
    "RuleSyntaxError",
    "compute",
    "parse_enhancement_rules",
    "parse_fingerprint_rules",
]


def _config(config: str) -> ModuleType:
    try:
        return CONFIGS[config]
    except KeyError:
        raise ValueError(f"unknown grouping config {config!r}") from None


def compute(
    event: dict[str, Any],
    *,
    config: str = DEFAULT_CONFIG,
    fingerprint_rules: str = "",
    enhancement_rules: str = "",
) -> GroupingResult:
    """Group one normalized event.

    Modifies the event's frames in place, because the stored event must show the result:
    JavaScript module names derived from URLs, trimmed native/C# function names (the original
    kept in `raw_function`), query strings dropped from JavaScript filenames, `in_app` set by
    the stack-trace rules (the client's value kept in `data.orig_in_app`), categories in
    `data.category`, and `in_app` defaulted to False. Nothing else in the event is touched;
    store the returned fields (hashes, fingerprint, fingerprint_info, title, culprit,
    metadata, main_exception_id, config) yourself. Grouping the same event twice gives the
    same result.

    `fingerprint_rules` and `enhancement_rules` are the project's rule texts; they raise
    RuleSyntaxError if invalid, so validate them when they are saved.
    """
    result: GroupingResult = _config(config).compute(
        event, fingerprint_rules=fingerprint_rules, enhancement_rules=enhancement_rules
    )
    return result


def parse_fingerprint_rules(text: str, *, config: str = DEFAULT_CONFIG) -> FingerprintRules:
    """Validate/compile project fingerprint rules; raises RuleSyntaxError (with `.line`)."""
    rules: FingerprintRules = _config(config).parse_fingerprint_rules(text)
    return rules


def parse_enhancement_rules(text: str, *, config: str = DEFAULT_CONFIG) -> EnhancementRules:
    """Validate/compile project stack-trace rules; raises RuleSyntaxError (with `.line`)."""
    rules: EnhancementRules = _config(config).parse_enhancement_rules(text)
    return rules
