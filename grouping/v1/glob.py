"""Glob patterns as used by stack-trace and fingerprint rules.

`*` matches anything; with `doublestar` (path-like fields) `*` stops at `/` and `**` crosses
it. `?` is one character, `[...]` a class (`[!...]` negated) and `\\x` a literal x.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_META = frozenset("*?[\\")


class Glob:
    """`match()` takes raw text; `test()` takes text already lowercased / slash-normalized
    (as this glob's flags require), for callers that normalize once for many patterns.
    `regex` is the equivalent regular expression source, for combining patterns."""

    __slots__ = ("ignorecase", "path", "pattern", "regex", "test")

    def __init__(
        self, pattern: str, *, doublestar: bool = False, ignorecase: bool = False,
        path: bool = False,
    ) -> None:
        self.pattern = pattern
        self.ignorecase = ignorecase
        self.path = path
        if path:
            pattern = pattern.replace("\\", "/")
        if ignorecase:
            pattern = pattern.lower()
        self.test = _compile(pattern, doublestar)
        self.regex = _translate(pattern, doublestar)

    def match(self, value: str) -> bool:
        if self.path:
            value = value.replace("\\", "/")
        if self.ignorecase:
            value = value.lower()
        return self.test(value)


def _compile(pattern: str, doublestar: bool) -> Callable[[str], bool]:
    # Most rule patterns are literals or literal parts joined by match-anything stars
    # (`**/site-packages/**`, `std::*`); plain string search beats the regex engine there.
    if not _META.intersection(pattern):
        return pattern.__eq__
    parts = _literal_parts(pattern, doublestar)
    if parts is not None:
        if len(parts) == 2 and not parts[1]:
            prefix = parts[0]
            return lambda value: value.startswith(prefix)
        return lambda value: _match_parts(value, parts)
    regex = re.compile(_translate(pattern, doublestar), re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None


def _literal_parts(pattern: str, doublestar: bool) -> list[str] | None:
    """The literal parts if every wildcard in the pattern matches anything, else None."""
    if "?" in pattern or "[" in pattern or "\\" in pattern:
        return None
    if doublestar and any(len(run) == 1 for run in re.findall(r"\*+", pattern)):
        return None  # a single star stops at "/" here
    return re.split(r"\*+", pattern)


def _match_parts(value: str, parts: list[str]) -> bool:
    first, last = parts[0], parts[-1]
    end = len(value) - len(last)
    if end < len(first) or not value.startswith(first) or not value.endswith(last):
        return False
    pos = len(first)
    for part in parts[1:-1]:
        found = value.find(part, pos, end)
        if found == -1:
            return False
        pos = found + len(part)
    return True


def _translate(pattern: str, doublestar: bool) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            out.append(re.escape(pattern[i + 1]))
            i += 2
        elif char == "*":
            if pattern.startswith("**", i):
                out.append(".*")
                i += 2
            else:
                out.append("[^/]*" if doublestar else ".*")
                i += 1
        elif char == "?":
            out.append("[^/]" if doublestar else ".")
            i += 1
        elif char == "[" and (end := pattern.find("]", i + 2)) != -1:
            out.append(_char_class(pattern[i + 1 : end]))
            i = end + 1
        else:
            out.append(re.escape(char))
            i += 1
    return "".join(out)


def _char_class(body: str) -> str:
    negate = body[0] in "!^" and len(body) > 1
    if negate:
        body = body[1:]
    last = len(body) - 1
    parts = [
        "-" if char == "-" and 0 < k < last else re.escape(char) for k, char in enumerate(body)
    ]
    return "[" + ("^" if negate else "") + "".join(parts) + "]"
