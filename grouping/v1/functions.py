"""Reducing native and C# function signatures to stable names (docs/grouping.md §3.2)."""

from __future__ import annotations

import re

from .platforms import NATIVE_PLATFORMS

_GCC_LAMBDA_RE = re.compile(r"\{lambda\([^(){}]*\)#\d+\}")
_MSVC_LAMBDA_RE = re.compile(r"<lambda_[0-9a-fA-F]*>|`lambda_[0-9a-fA-F]*'|'lambda\d*'")
_ANONYMOUS_NAMESPACE = "(anonymous namespace)"
# C++ operator names contain the brackets the trimmer strips elsewhere.
_OPERATOR_RE = re.compile(
    r"operator(?:\s*(?:\(\)|\[\]|->\*?|<=>|<<=?|>>=?|&&|\|\||\+\+|--|[-+*/%^&|~!=<>,]=?)"
    r"|\s+(?:new|delete)(?:\[\])?|\s*\"\"\s*\w+)"
)
_QUALIFIERS = frozenset(
    {"const", "volatile", "&", "&&", "noexcept", "override", "final", "[clone", "]"}
)
_CLOSURE_INDEX_RE = re.compile(r"^#\d+$")
# Stands in for spaces inside names (`anonymous namespace', operator new) while tokenizing.
_SPACE = "\x00"


def trim_function_name(function: str, platform: str | None) -> str:
    """The stable name for a function, or the input when the platform needs no trimming."""
    if platform == "csharp":
        # .NET SDKs append the argument list after a space.
        return function.split(" (", 1)[0]
    if platform in NATIVE_PLATFORMS:
        return trim_native_function_name(function)
    return function


def trim_native_function_name(function: str) -> str:
    name = function.strip()
    if not name or name in ("<redacted>", "<unknown>", "?") or name[:2] in ("-[", "+["):
        # Objective-C selectors are already stable.
        return name
    name = _GCC_LAMBDA_RE.sub("{lambda}", name)
    name = _MSVC_LAMBDA_RE.sub("{lambda}", name)
    name = name.replace(_ANONYMOUS_NAMESPACE, f"`anonymous{_SPACE}namespace'")
    stripped = _strip_groups(name)
    if stripped is None:
        return function.strip()
    tokens = [t for t in stripped.split() if t not in _QUALIFIERS and not t.startswith(".cold")]
    if not tokens:
        return function.strip()
    if "in" in tokens[1:-1]:
        # Swift closures read "closure #1 in Module.function"; keep that shape.
        result = " ".join(t for t in tokens if not _CLOSURE_INDEX_RE.match(t))
    else:
        result = tokens[-1]
    return result.replace(_SPACE, " ")


def _strip_groups(name: str) -> str | None:
    """Drop argument lists, template arguments and return arrows; None if unbalanced."""
    out: list[str] = []
    depth = 0
    i, n = 0, len(name)
    while i < n:
        if depth == 0 and name.startswith("operator", i) and (i == 0 or not _word(name[i - 1])):
            match = _OPERATOR_RE.match(name, i)
            if match:
                token = " ".join(match.group(0).split())
                out.append(token.replace(" ", _SPACE))
                i = match.end()
                continue
        char = name[i]
        if depth == 0 and name.startswith("->", i):
            # A Swift/C++ trailing return type: skip the arrow and the type after it.
            i = _skip_type(name, i + 2)
            out.append(" ")
            continue
        if char in "(<":
            depth += 1
        elif char in ")>":
            depth -= 1
            if depth < 0:
                return None
        elif depth == 0:
            out.append(char)
        i += 1
    return "".join(out) if depth == 0 else None


def _skip_type(name: str, i: int) -> int:
    n = len(name)
    while i < n and name[i] == " ":
        i += 1
    depth = 0
    while i < n:
        char = name[i]
        if char in "(<":
            depth += 1
        elif char in ")>":
            depth -= 1
        elif char == " " and depth <= 0:
            break
        i += 1
    return i


def _word(char: str) -> bool:
    return char.isalnum() or char == "_"
