"""From component trees and the fingerprint to variants and hashes (docs/grouping.md §5.1, §7)."""

from __future__ import annotations

import re
from typing import Any

from .components import Component, hash_values
from .fingerprinting import Mode, is_default_entry

Variants = dict[str, dict[str, Any]]

FALLBACK_HASH = hash_values([])
_CHECKSUM_RE = re.compile(r"[0-9a-f]{32}")


def component_variants(
    roots: dict[str, Component], mode: Mode, resolved: list[str], builtin_rule: bool
) -> Variants:
    """Serialize the variants for the given fingerprint mode."""
    variants: Variants = {}
    if mode == "custom":
        for name, root in roots.items():
            root.exclude("custom fingerprint takes precedence")
            variants[name] = _component_variant(root, None)
        kind = "built_in_fingerprint" if builtin_rule else "custom_fingerprint"
        variants[kind] = {
            "type": kind, "hash": hash_values(resolved), "contributes": True, "hint": None,
            "values": resolved,
        }
    elif mode == "hybrid":
        for name, root in roots.items():
            variants[name] = _salted_variant(root, resolved)
    else:
        for name, root in roots.items():
            variants[name] = _component_variant(root, root.hash() if root.contributes else None)
    if not any(v["contributes"] for v in variants.values()):
        variants["fallback"] = {
            "type": "fallback", "hash": FALLBACK_HASH, "contributes": True, "hint": None,
        }
    return variants


def _component_variant(root: Component, hash_: str | None) -> dict[str, Any]:
    return {
        "type": "component", "hash": hash_, "contributes": root.contributes and hash_ is not None,
        "hint": root.hint, "component": root.as_dict(),
    }


def _salted_variant(root: Component, resolved: list[str]) -> dict[str, Any]:
    hash_ = None
    if root.contributes:
        values: list[Any] = []
        for entry in resolved:
            if is_default_entry(entry):
                root.leaves(values)
            else:
                values.append(entry)
        hash_ = hash_values(values)
    return {
        "type": "salted_component", "hash": hash_, "contributes": hash_ is not None,
        "hint": root.hint, "values": resolved, "component": root.as_dict(),
    }


def checksum_variants(checksum: str) -> Variants:
    """Legacy `checksum` from old raven clients replaces grouping altogether."""
    if _CHECKSUM_RE.fullmatch(checksum):
        return {"checksum": _checksum_variant("checksum", checksum)}
    variants = {"hashed_checksum": _checksum_variant("hashed_checksum", hash_values([checksum]))}
    if len(checksum) <= 32:
        variants["checksum"] = _checksum_variant("checksum", checksum)
    return variants


def _checksum_variant(kind: str, hash_: str) -> dict[str, Any]:
    return {"type": kind, "hash": hash_, "contributes": True, "hint": None}


def hashes_of(variants: Variants) -> list[str]:
    """Non-null hashes, "system" last, duplicates removed, order otherwise kept."""
    ordered = sorted(variants.items(), key=lambda item: item[0] == "system")
    hashes: list[str] = []
    for _, variant in ordered:
        hash_ = variant["hash"]
        if hash_ is not None and variant["contributes"] and hash_ not in hashes:
            hashes.append(hash_)
    return hashes
