"""Lexing shared by stack-trace rules and fingerprint rules.

Both are line based: `# comments`, matchers `[!]key:value` where a value may be
double-quoted (`\\"` escapes a quote), then actions or `-> fingerprint`.
"""

from __future__ import annotations

import re

from ..errors import RuleSyntaxError

_TOKEN_RE = re.compile(r'\[|\]|\||(?:"(?:[^"\\]|\\.)*"|[^\s\[\]|"])+')
_QUOTED_RUN_RE = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _first_unquoted(line: str, found) -> int | None:
    """Index of the first character outside quotes (and escapes) for which `found(i)` holds."""
    in_quotes = False
    escaped = False
    for i, char in enumerate(line):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
        elif not in_quotes and found(i):
            return i
    return None


def strip_comment(line: str) -> str:
    """Drop a `#` comment that starts the line or follows whitespace, outside quotes."""
    i = _first_unquoted(line, lambda i: line[i] == "#" and (i == 0 or line[i - 1].isspace()))
    return line if i is None else line[:i]


def check_quotes(text: str, line_no: int) -> None:
    if len(re.sub(r'\\.', "", text).split('"')) % 2 == 0:
        raise RuleSyntaxError("unterminated quoted string", line_no)


def tokenize(text: str, line_no: int) -> list[str]:
    check_quotes(text, line_no)
    return _TOKEN_RE.findall(text)


def unquote(word: str) -> str:
    """Remove the quotes of every quoted run; keep other backslashes (glob escapes)."""
    return _QUOTED_RUN_RE.sub(lambda m: m.group(1).replace('\\"', '"'), word)


def parse_matcher(token: str, line_no: int) -> tuple[bool, str, str]:
    """`[!]key:value` -> (negated, key, value)."""
    negated = token.startswith("!")
    body = token[1:] if negated else token
    key, sep, value = body.partition(":")
    if not sep or not key or '"' in key:
        raise RuleSyntaxError(f"expected a matcher like key:value, got {token!r}", line_no)
    if not value:
        raise RuleSyntaxError(f"matcher {key!r} has no value", line_no)
    return negated, key, unquote(value)


def split_arrow(line: str) -> tuple[str, str] | None:
    """Split `matchers -> fingerprint` at the first `->` outside quotes."""
    i = _first_unquoted(line, lambda i: line.startswith("->", i))
    return None if i is None else (line[:i], line[i + 2 :])
