"""Bookkeeping shared by the normalization steps: `errors` entries and `_meta` annotations.

`errors` follows Sentry's EventError shape (`{type, name, value}`, sometimes with extra keys).
`_meta` mirrors the event's structure the way Sentry stores it: the annotation of a node lives
under the `""` key at that node's path, list indices become string keys, e.g.
`{"logentry": {"formatted": {"": {"len": 9000}}}}`.
"""

from __future__ import annotations

from typing import Any

# One character, so a cut string is exactly `limit` characters long.
ELLIPSIS = "\u2026"

# A hostile payload can produce an error per tag or frame; keep the list (and the event) small.
MAX_ERRORS = 50
_MAX_ERROR_TEXT = 200

Path = tuple[str | int, ...]


class Notes:
    """Collects the errors and `_meta` annotations produced while normalizing one event."""

    __slots__ = ("change_count", "error_count", "errors", "meta")

    def __init__(self) -> None:
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.change_count = 0
        self.meta: dict[str, Any] = {}

    def error(self, kind: str, name: str, value: Any = None, **extra: Any) -> None:
        """Record an `errors` entry; `value` is the offending input, shortened if bulky."""
        self.error_count += 1
        if len(self.errors) >= MAX_ERRORS:
            return
        self.errors.append({"type": kind, "name": name, "value": brief(value), **extra})

    def original_length(self, path: Path, length: int) -> None:
        """Annotate the node at `path` with the length it had before we cut it."""
        self._annotation(path)["len"] = length

    def changed(self, path: Path, rules: list[str]) -> None:
        """Annotate the string at `path` as rewritten by `rules` (`ingest.protocol.storable`
        names them), as Sentry's remarks: `{"rem": [[rule, "s"]]}`, "s" for substituted."""
        self.change_count += 1
        if self.change_count > MAX_ERRORS:  # as for errors: a few show what happened
            return
        self._annotation(path).setdefault("rem", []).extend([rule, "s"] for rule in rules)

    def _annotation(self, path: Path) -> dict[str, Any]:
        node = self.meta
        for part in path:
            node = node.setdefault(str(part), {})
        return node.setdefault("", {})

    def trim(self, text: str, limit: int, path: Path) -> str:
        """Cut `text` to `limit` characters (ellipsis included) and annotate the original length."""
        if len(text) <= limit:
            return text
        self.original_length(path, len(text))
        return text[: limit - 1] + ELLIPSIS

    def finish(self, event: dict[str, Any]) -> None:
        """Attach `errors` and `_meta` to the event; both are left out when empty."""
        if self.error_count > len(self.errors):
            self.original_length(("errors",), self.error_count)
        if self.errors:
            event["errors"] = self.errors
        else:
            event.pop("errors", None)
        if self.meta:
            event["_meta"] = self.meta
        else:
            event.pop("_meta", None)


def brief(value: Any) -> Any:
    """A JSON-safe, small stand-in for an invalid value, for the `errors` list."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= _MAX_ERROR_TEXT else value[: _MAX_ERROR_TEXT - 1] + ELLIPSIS
    # Containers can be arbitrarily large; their kind is enough to debug a bad SDK.
    return f"<{type(value).__name__}>"
