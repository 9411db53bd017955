"""Glob patterns as used by stack-trace and fingerprint rules.

`*` matches anything; with `doublestar` (path-like fields) `*` stops at `/` and `**` crosses
it. `?` is one character, `[...]` a class (`[!...]` negated) and `\\x` a literal x.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_META = frozenset("*?[\\")


class Glob:
    __slots__ = ("_test", "ignorecase", "path", "pattern")

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
        self._test = _compile(pattern, doublestar)

    def match(self, value: str) -> bool:
        if self.path:
            value = value.replace("\\", "/")
        if self.ignorecase:
            value = value.lower()
        return self._test(value)


def _compile(pattern: str, doublestar: bool) -> Callable[[str], bool]:
    # Most rule patterns are literals or `prefix*`; skip the regex engine for those.
    if not _META.intersection(pattern):
        return pattern.__eq__
    if pattern in ("*", "**") and not (doublestar and pattern == "*"):
        return _always
    if pattern.endswith("**") and not _META.intersection(pattern[:-2]):
        prefix = pattern[:-2]
        return lambda value: value.startswith(prefix)
    if not doublestar and pattern.endswith("*") and not _META.intersection(pattern[:-1]):
        prefix = pattern[:-1]
        return lambda value: value.startswith(prefix)
    regex = re.compile(_translate(pattern, doublestar), re.DOTALL)
    return lambda value: regex.fullmatch(value) is not None


def _always(value: str) -> bool:
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
