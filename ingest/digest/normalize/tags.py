"""Tags and the release-identifying fields (`environment`, `release`, `dist`).

Tags leave normalization as a list of `[key, value]` string pairs, in the order sent (Sentry's
stored form): a list keeps order and survives JSON, and duplicates are already resolved.
"""

from __future__ import annotations

import re
from typing import Any

from ingest.digest.normalize.meta import Notes

MAX_TAG_KEY_CHARS = 200
MAX_TAG_VALUE_CHARS = 200
MAX_ENVIRONMENT_CHARS = 64
MAX_RELEASE_CHARS = 200
MAX_DIST_CHARS = 64

# Set by the save pipeline from the real fields (`sentry:release` etc.), never by the SDK.
RESERVED_TAG_KEYS = frozenset({"release", "dist", "user", "filename", "function"})
# Copied from their top-level fields unless the SDK already sent such a tag.
_COPIED_FIELDS = ("server_name", "site")

_BAD_ENVIRONMENT = re.compile(r"[\s/]")
_BAD_RELEASE = re.compile(r"[\r\n\t\x0c/\\]")
_FORBIDDEN_RELEASES = frozenset({".", "..", " ", "latest"})


def normalize_tags(event: dict[str, Any], notes: Notes) -> None:
    """Object or list-of-pairs tags -> list of `[key, value]`; see module docstring.

    Empty values, reserved keys and repeated keys (the first one wins) are removed silently;
    malformed entries are removed and recorded. An `environment` tag fills the top-level field
    when that is missing. Keys and values are cut to 200 characters (with `_meta`).
    """
    raw = event.get("tags")
    pairs: Any = ()
    if isinstance(raw, dict):
        pairs = raw.items()
    elif isinstance(raw, list):
        pairs = raw
    elif raw is not None:
        notes.error("invalid_data", "tags", raw)
    out: list[list[str]] = []
    seen: set[str] = set()
    for index, pair in enumerate(pairs):
        entry = _tag_pair(pair)
        if entry is None:
            notes.error("invalid_data", f"tags.{index}", pair)
            continue
        key, value = entry
        if not value or key in seen:
            continue
        seen.add(key)
        if key == "environment":
            if event.get("environment") is None:
                event["environment"] = value
        elif key not in RESERVED_TAG_KEYS:
            _append_tag(out, key, value, notes)
    for key in _COPIED_FIELDS:
        value = event.get(key)
        if isinstance(value, str) and value and key not in seen:
            _append_tag(out, key, value, notes)
    if out:
        event["tags"] = out
    else:
        event.pop("tags", None)


def _tag_pair(pair: Any) -> tuple[str, str | None] | None:
    """`(key, value)` from one entry; value None means empty. None when malformed."""
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        return None
    key = _tag_text(pair[0])
    if not key:
        return None
    value = pair[1]
    if value is None:
        return key, None
    text = _tag_text(value)
    if text is None:
        return None
    return key, text


def _tag_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return None


def _append_tag(out: list[list[str]], key: str, value: str, notes: Notes) -> None:
    index = len(out)
    out.append([
        notes.trim(key, MAX_TAG_KEY_CHARS, ("tags", index, 0)),
        notes.trim(value, MAX_TAG_VALUE_CHARS, ("tags", index, 1)),
    ])


def normalize_release_fields(event: dict[str, Any], notes: Notes) -> None:
    """Validate `environment`, `release` and `dist`; invalid ones are removed and recorded.

    Values are stripped; an empty one is removed silently. These name things (an environment
    row, a release and its artifacts), so a too-long value is dropped, not cut: a cut name
    would silently point at a different or non-existent object.
    """
    environment = _text_field(event, "environment", notes, lenient=False)
    if environment is not None and (
        len(environment) > MAX_ENVIRONMENT_CHARS
        or _BAD_ENVIRONMENT.search(environment)
        or environment == "None"
    ):
        _reject(event, "environment", notes)
    release = _text_field(event, "release", notes, lenient=True)
    if release is not None and (
        len(release) > MAX_RELEASE_CHARS
        or _BAD_RELEASE.search(release)
        or release in _FORBIDDEN_RELEASES
    ):
        _reject(event, "release", notes)
    dist = _text_field(event, "dist", notes, lenient=True)
    if dist is not None and len(dist) > MAX_DIST_CHARS:
        _reject(event, "dist", notes)


def _text_field(event: dict[str, Any], key: str, notes: Notes, *, lenient: bool) -> str | None:
    """The stripped string at `key` (numbers accepted when lenient, as Relay does)."""
    value = event.get(key)
    if value is None:
        event.pop(key, None)
        return None
    if lenient and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        _reject(event, key, notes)
        return None
    value = value.strip()
    if not value:
        del event[key]
        return None
    event[key] = value
    return value


def _reject(event: dict[str, Any], key: str, notes: Notes) -> None:
    notes.error("invalid_data", key, event.pop(key))
