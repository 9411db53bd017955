"""The v1 entry point: one normalized event in, hashes and display fields out."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

from ..result import GroupingResult
from . import enhancements, fingerprinting
from .context import V1
from .enhancements import EnhancementRules
from .fingerprinting import FingerprintRules, decide_fingerprint, fingerprint_mode
from .preprocess import preprocess
from .stacks import as_str
from .strategies import Strategies, combine_strategies
from .titles import culprit, title_and_metadata
from .variants import checksum_variants, component_variants, hashes_of


def _resource(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


# Parsed once at import: every event needs them.
BASE_ENHANCEMENTS = enhancements.parse_rules(_resource(V1.enhancements_base))
BUILTIN_FINGERPRINTS = fingerprinting.parse_rules(_resource(V1.fingerprinting_base), builtin=True)


def parse_enhancement_rules(text: str) -> EnhancementRules:
    """Project stack-trace rules; raises RuleSyntaxError with the line number."""
    return enhancements.parse_rules(text)


def parse_fingerprint_rules(text: str) -> FingerprintRules:
    """Project fingerprint rules; raises RuleSyntaxError with the line number."""
    return fingerprinting.parse_rules(text)


# Projects send the same rule text with every event, and the combined rule set carries a
# cache of frame matches, so keep the compiled objects around.
@lru_cache(maxsize=256)
def _enhancements_for(text: str) -> EnhancementRules:
    if not text.strip():
        return BASE_ENHANCEMENTS
    return BASE_ENHANCEMENTS.extended(enhancements.parse_rules(text))


@lru_cache(maxsize=256)
def _fingerprints_for(text: str) -> FingerprintRules:
    return fingerprinting.parse_rules(text)


def compute(
    event: dict[str, Any], *, fingerprint_rules: str = "", enhancement_rules: str = ""
) -> GroupingResult:
    """Group one normalized event with config v1. See `grouping.compute`."""
    ctx = V1
    rules = _enhancements_for(enhancement_rules)
    prepared = preprocess(event, rules)
    decision = decide_fingerprint(
        event, _fingerprints_for(fingerprint_rules), BUILTIN_FINGERPRINTS, ctx
    )
    main_exception_id = None
    checksum = as_str(event.get("checksum"))
    if checksum:
        variants = checksum_variants(checksum)
    else:
        strategies = Strategies(event, ctx, rules, prepared.stacks)
        roots = combine_strategies(strategies.run())
        main_exception_id = strategies.main_exception_id
        mode = fingerprint_mode(decision.fingerprint)
        resolved = decision.fingerprint
        if mode != "default":
            resolved = fingerprinting.resolve_entries(decision.fingerprint, event, ctx)
        builtin = bool(decision.info) and decision.info["matched_rule"]["is_builtin"]
        variants = component_variants(roots, mode, resolved, builtin)

    title, metadata = title_and_metadata(event, main_exception_id, decision.title)
    if prepared.in_app_frame_mix is not None:
        metadata["in_app_frame_mix"] = prepared.in_app_frame_mix
    return GroupingResult(
        hashes=hashes_of(variants),
        variants=variants,
        fingerprint=decision.fingerprint,
        fingerprint_info=decision.info,
        title=title,
        culprit=culprit(event),
        metadata=metadata,
        main_exception_id=main_exception_id,
        config=ctx.config_id,
    )
