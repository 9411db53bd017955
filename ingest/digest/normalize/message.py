"""The message of an event: legacy `message` forms folded into `logentry`, printf formatting."""

from __future__ import annotations

import json
import re
from typing import Any

from ingest.digest.normalize.meta import Notes

MAX_MESSAGE_CHARS = 8192

# printf-style conversion as Python's `%` operator understands it, optionally named:
# `%s`, `%5.2f`, `%(user)r`, `%%`. Brace styles (`{0}`, `{}`) are not placeholders here.
_PLACEHOLDER = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?"
    r"(?P<spec>[#0 +\-]*(?:\d+)?(?:\.\d+)?)[hlL]?"
    r"(?P<conv>[diouxXeEfFgGcrsa%])"
)
_INTEGER_CONVERSIONS = frozenset("diouxXc")
_FLOAT_CONVERSIONS = frozenset("eEfFgG")
_NUMERIC_CONVERSIONS = _INTEGER_CONVERSIONS | _FLOAT_CONVERSIONS


class _BadFormat(Exception):
    """The template and its params don't fit together; the caller keeps the template."""


def normalize_logentry(event: dict[str, Any], notes: Notes) -> None:
    """Fold `message` into `logentry`, format `logentry.message` with `params`, trim both.

    Afterwards `logentry.formatted` always holds the text to show. `logentry.message` is kept
    only when it differs from `formatted` (it is the template, which message grouping prefers).
    A top-level `message` is removed: `logentry` is its canonical place, as in Relay.
    """
    message = event.pop("message", None)
    entry = event.get("logentry")
    if entry is None:
        entry = message
    if entry is None:
        event.pop("logentry", None)
        return
    if isinstance(entry, str):
        entry = {"formatted": entry}
    elif not isinstance(entry, dict):
        notes.error("invalid_data", "logentry", entry)
        event.pop("logentry", None)
        return
    _fill_formatted(entry)
    if not entry.get("formatted"):
        if any(entry.values()):  # params without a text to apply them to
            notes.error("invalid_data", "logentry", entry)
        event.pop("logentry", None)
        return
    for key in ("formatted", "message"):
        text = entry.get(key)
        if text is not None:
            entry[key] = notes.trim(text, MAX_MESSAGE_CHARS, ("logentry", key))
    event["logentry"] = entry


def _fill_formatted(entry: dict[str, Any]) -> None:
    for key in ("message", "formatted"):
        value = entry.get(key)
        if value is None or isinstance(value, str):
            continue
        if isinstance(value, dict | list):
            entry[key] = json.dumps(value, ensure_ascii=False, default=str)
        else:
            entry[key] = str(value)
    template = entry.get("message") or None
    formatted = entry.get("formatted") or None
    if formatted is None and template is not None:
        params = entry.get("params")
        if params is not None:
            formatted = format_message(template, params)
        entry["formatted"] = formatted if formatted is not None else template
    if template is None or template == entry.get("formatted"):
        entry.pop("message", None)


def format_message(template: str, params: Any) -> str | None:
    """Apply printf-style `params` to `template`; None when they don't fit together.

    `params` is a list (positional), an object (named `%(key)s`), or a single value. Unused
    params are ignored, unlike Python's `%`, because SDKs often send more than they use.
    """
    if isinstance(params, dict):
        positional: list[Any] = []
        named: dict[str, Any] = params
    else:
        positional = params if isinstance(params, list) else [params]
        named = {}
    position = 0

    def substitute(match: re.Match[str]) -> str:
        nonlocal position
        conv = match["conv"]
        if conv == "%":
            return "%"
        key = match["key"]
        if key is not None:
            if key not in named:
                raise _BadFormat
            value = named[key]
        else:
            if position >= len(positional):
                raise _BadFormat
            value = positional[position]
            position += 1
        return _convert(match["spec"], conv, value)

    try:
        return _PLACEHOLDER.sub(substitute, template)
    except _BadFormat:
        return None


def _convert(spec: str, conv: str, value: Any) -> str:
    # JSON params lose their types (a Python int may arrive as "5"); coerce before failing.
    if isinstance(value, str) and conv in _NUMERIC_CONVERSIONS:
        try:
            value = float(value) if conv in _FLOAT_CONVERSIONS else int(value)
        except ValueError:
            if conv != "c":
                raise _BadFormat from None
    try:
        return ("%" + spec + conv) % (value,)
    except (TypeError, ValueError, OverflowError):
        raise _BadFormat from None
