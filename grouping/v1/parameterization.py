"""Message normalization (docs/grouping.md §6.7): keep two lines, replace variable tokens.

The token table is part of config v1. Sentry changed its own table without a config bump;
ours only changes with a new config version, so stored hashes stay reproducible.
"""

from __future__ import annotations

import re
from functools import lru_cache

# About the 100 most common top-level domains; the full list has thousands.
_TLDS = [
    "com", "net", "org", "jp", "de", "uk", "fr", "br", "it", "ru", "es", "me", "gov", "pl", "ca",
    "au", "cn", "co", "in", "nl", "edu", "info", "eu", "ch", "id", "at", "kr", "cz", "mx", "be",
    "tv", "se", "tr", "tw", "al", "ua", "ir", "vn", "cl", "sk", "ly", "cc", "to", "no", "fi", "us",
    "pt", "dk", "ar", "hu", "tk", "gr", "il", "news", "ro", "my", "biz", "ie", "za", "nz", "sg",
    "ee", "th", "io", "xyz", "pe", "bg", "hk", "rs", "lt", "link", "ph", "club", "si", "site",
    "mobi", "by", "cat", "wiki", "la", "ga", "xxx", "cf", "hr", "ng", "jobs", "online", "kz", "ug",
    "gq", "ae", "is", "lv", "pro", "fm", "tips", "ms", "sa", "app",
]
_MONTH = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = "(?:Sun|Mon|Tue|Wed|Thu|Fri|Sat)"
_LONG_DAY = (
    "(?:Sun|Sunday|Mon|Monday|Tue|Tuesday|Wed|Wednesday|Thu|Thursday|Fri|Friday|Sat|Saturday)"
)
_ZONE = "(?:UT|GMT|(?:E|C|M|P)(?:ST|DT)|[A-IK-Z])"
_OCTET = r"(?:25[0-5]|(?:2[0-4]|1?[0-9])?[0-9])"
_IPV4 = rf"(?:{_OCTET}\.){{3}}{_OCTET}"
_H = "[0-9a-fA-F]{1,4}"
_IPV6_FORMS = "|".join([
    rf"(?:{_H}:){{7}}{_H}",
    rf"(?:{_H}:){{1,7}}:",
    rf"(?:{_H}:){{1,6}}:{_H}",
    rf"(?:{_H}:){{1,5}}(?::{_H}){{1,2}}",
    rf"(?:{_H}:){{1,4}}(?::{_H}){{1,3}}",
    rf"(?:{_H}:){{1,3}}(?::{_H}){{1,4}}",
    rf"(?:{_H}:){{1,2}}(?::{_H}){{1,5}}",
    rf"{_H}:(?::{_H}){{1,6}}",
    rf":(?:(?::{_H}){{1,7}}|:)",
    r"fe80:(?::[0-9a-fA-F]{0,4}){0,4}%[0-9a-zA-Z]+",
    rf"::(?:ffff(?::0{{1,4}})?:)?{_IPV4}",
    rf"(?:{_H}:){{1,4}}:{_IPV4}\b",
])
_DATETIME = r"\d{4}-?[01]\d-?[0-3]\d[\sT][0-2]\d:?[0-5]\d"
_OFFSET = r"(?:[+-][0-2]\d:?[0-5]\d|Z)"

# Order matters: at each position the first pattern that matches wins.
_PATTERNS: list[tuple[str, str]] = [
    ("email", r"[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*"),
    ("url", r"\b(?:wss?|https?|ftp)://[^\s/$.?#].\S*"),
    ("hostname", r"\b(?:[a-zA-Z0-9-]{1,63}\.)+?(?:" + "|".join(t.upper() for t in _TLDS)
     + "|" + "|".join(_TLDS) + r")\b"),
    ("ip", rf"(?<![0-9a-zA-Z_])(?:{_IPV6_FORMS})(?![0-9a-zA-Z])|\b{_IPV4}\b"),
    ("traceparent", r"\b00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]\b|\b1-[0-9a-f]{8}-[0-9a-f]{24}\b"),
    ("uuid", r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"),
    ("sha1", r"\b[0-9a-fA-F]{40}\b"),
    ("md5", r"\b[0-9a-fA-F]{32}\b"),
    ("date", "|".join([
        # RFC 822 / 1123
        rf"{_DAY},\s\d{{1,2}}\s{_MONTH}\s\d{{2,4}}\s\d{{1,2}}:\d{{1,2}}(?::\d{{1,2}})?\s"
        rf"(?:[-+]\d{{2}}[0-5]\d|{_ZONE})",
        # "Mon Jan 02, 1999" and "Jan 02, 1999"
        rf"(?:{_DAY}\s)?{_MONTH}\s[0-3]\d,\s\d{{2,4}}",
        # RFC 850
        rf"{_LONG_DAY},\s\d{{2}}-{_MONTH}-\d{{2}}\s\d{{2}}:\d{{2}}:\d{{2}}\s{_ZONE}",
        # RFC 3339
        r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?(?:[+-]?\d{2}:\d{2})?",
        # JavaScript Date.toString()
        rf"{_DAY}\s{_MONTH}\s\d{{2}}\s\d{{4}}\s\d{{2}}:\d{{2}}:\d{{2}}\sGMT[+-]\d{{4}}"
        r"(?:\s\([^)]+\))?",
        # ISO-like datetimes with a zone, before the zoneless ones so the zone is kept.
        rf"{_DATETIME}:?[0-5]\d\.\d+{_OFFSET}",
        rf"{_DATETIME}:?[0-5]\d{_OFFSET}",
        rf"{_DATETIME}{_OFFSET}",
        rf"{_DATETIME}:?[0-5]\d\.\d+",
        rf"{_DATETIME}:?[0-5]\d",
        _DATETIME,
        # 12-hour and 24-hour clock times
        r"(?<!\d)(?:[1-9]|1[0-2]):[0-5]\d(?::[0-5]\d)?(?![\d:])(?:\s?[aApP][Mm])?",
        r"(?<!\d)(?:0?\d|1\d|2[0-3]):[0-5]\d(?::[0-5]\d)?(?![\d:])",
        r"\d{4}-[01]\d-[0-3]\d",
        r"[0-2]\d:[0-5]\d:[0-5]\d",
        # Older textual formats
        rf"\b(?:{_DAY}\s+)?{_MONTH}\s+\d{{1,2}}\s+\d{{2}}:\d{{2}}:\d{{2}}\s+\d{{4}}",
        rf"\b(?:{_DAY},\s+)?(?:0[1-9]|[1-2]?\d|3[01])\s+{_MONTH}\s+(?:19\d{{2}}|[2-9]\d{{3}})\s+"
        rf"(?:2[0-3]|[0-1]\d):[0-5]\d(?::(?:60|[0-5]\d))?\s+(?:[-+]\d{{2}}[0-5]\d|{_ZONE})",
        r"datetime\.datetime\(.*?\)",
    ])),
    ("duration", r"\b\d+ms|\d+(?:\.\d+)?s\b"),
    ("swift_txn_id", r"\btx[0-9a-f]{21}-[0-9a-f]{10}\S*"),
    ("hex", r"\b0[xX][0-9a-fA-F]+\b|\b(?=[a-f]*[0-9])[0-9a-f]{8,128}\b"
     r"|\b(?=[A-F]*[0-9])[0-9A-F]{8,128}\b"),
    ("git_sha", r"\b(?=[a-f]*[0-9])(?=[0-9]*[a-f])[0-9a-f]{7}\b"),
    ("float", r"-\d+\.\d+\b|\b\d+\.\d+\b"),
    # A dash is a minus sign only when it does not join two words.
    ("int", r"(?:\b|(?<!\w)-)\d{1,7}\b"),
    ("quoted_str", r"(?<==)(?:'[^']+'|\"[^\"]+\")"),
    ("bool", r"(?<==)(?:True|true|False|false)"),
]

_COMBINED_RE = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in _PATTERNS))
# Every pattern needs one of these, so text without any is left alone without a scan.
_MAYBE_PARAMETER_RE = re.compile(r"[0-9@.:=]|[0-9a-fA-F]{8}")


def _placeholder(match: re.Match[str]) -> str:
    return f"<{match.lastgroup}>"


def parameterize(text: str) -> str:
    """Replace variable tokens (ids, numbers, dates, ...) with `<name>` placeholders."""
    if _MAYBE_PARAMETER_RE.search(text) is None:
        return text
    return _COMBINED_RE.sub(_placeholder, text)


@lru_cache(maxsize=1024)
def normalize_message(text: str) -> str:
    """First two non-empty lines (+ "..." if that cut something), then parameterized."""
    lines = [line for line in text.splitlines() if line.strip()][:2]
    trimmed = "\n".join(lines)
    if trimmed != text:
        trimmed += "..."
    return parameterize(trimmed)
