"""Fingerprints: the client's, variables, server-side rules, built-in rules (docs/grouping.md §5).

Rule syntax, one a line:  matcher... -> entry, entry [title="..."]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from ..errors import RuleSyntaxError
from .context import GroupingContext
from .enhancements import parse_bool
from .glob import Glob
from .platforms import family
from .rule_syntax import check_quotes, parse_matcher, split_arrow, strip_comment, tokenize
from .stacks import (
    as_dict,
    as_str,
    crash_frame,
    crash_frames,
    exceptions,
    find_stacks,
    tag_pairs,
)

DEFAULT_ENTRY = "{{ default }}"
Mode = Literal["default", "hybrid", "custom"]

_VARIABLE_RE = re.compile(r"\{\{\s*(\S+)\s*\}\}")
_KEYS = {
    "error.type": "type", "type": "type",
    "error.value": "value", "value": "value",
    "stack.abs_path": "path", "path": "path",
    "stack.module": "module", "module": "module",
    "stack.function": "function", "function": "function",
    "stack.package": "package", "package": "package",
    "message": "message", "logger": "logger", "level": "level",
    "family": "family", "app": "app", "sdk": "sdk", "release": "release",
}
_GROUPS = {
    "message": "toplevel", "logger": "log_info", "level": "log_info", "type": "exceptions",
    "value": "exceptions", "sdk": "sdk", "family": "family", "release": "release",
}
# Cheap, single-valued groups are tested first so most rules fail fast.
_GROUP_ORDER = ("family", "sdk", "release", "log_info", "tags", "exceptions", "toplevel", "frames")
_ATTRIBUTES = frozenset({"title"})
_RHS_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<attr>[A-Za-z0-9_.-]+)="(?P<attr_value>(?:[^"\\]|\\.)*)"
      | "(?P<quoted>(?:[^"\\]|\\.)*)"
      | (?P<variable>\{\{\s*\S+?\s*\}\})
      | (?P<plain>[^\s{,"]+)
    )\s*,?""",
    re.VERBOSE,
)


# -- client fingerprints and variables ---------------------------------------------------------


def variable_name(entry: str) -> str | None:
    """The variable name if the whole entry is `{{ name }}`."""
    match = _VARIABLE_RE.match(entry)
    return match.group(1) if match is not None and match.end() == len(entry) else None


def is_default_entry(entry: str) -> bool:
    return variable_name(entry) == "default"


def client_fingerprint(event: dict[str, Any]) -> list[str] | None:
    raw = event.get("fingerprint")
    if not isinstance(raw, list):
        return None
    entries = [v if isinstance(v, str) else str(v) for v in raw if v is not None]
    return entries or None


def fingerprint_mode(fingerprint: list[str]) -> Mode:
    defaults = sum(1 for entry in fingerprint if is_default_entry(entry))
    if defaults == 0:
        return "custom"
    return "default" if len(fingerprint) == 1 else "hybrid"


def resolve_variable(name: str, event: dict[str, Any], ctx: GroupingContext) -> str | None:
    """A variable's value, its `<no-...>` fallback, or None when v1 keeps it literally."""
    if name == "transaction":
        return as_str(event.get("transaction")) or "<no-transaction>"
    if name == "message":
        logentry = as_dict(event.get("logentry"))
        values = exceptions(event)
        message = as_str(logentry.get("formatted")) or as_str(logentry.get("message"))
        if not message and values:
            message = as_str(values[-1].get("value"))
        return message or "<no-message>"
    if name in ("type", "error.type", "value", "error.value"):
        values = exceptions(event)
        key = "type" if name.endswith("type") else "value"
        return (as_str(values[-1].get(key)) if values else None) or f"<no-{key}>"
    if name in _FRAME_VARIABLES:
        frame = crash_frame(crash_frames(event))
        getter, fallback = _FRAME_VARIABLES[name]
        return (getter(frame) if frame is not None else None) or fallback
    if name in ("level", "logger"):
        return as_str(event.get(name)) or f"<no-{name}>"
    if name.startswith("tags."):
        tag = name[5:]
        for key, value in tag_pairs(event):
            if key == tag and value is not None:
                return str(value)
        return f"<no-value-for-tag-{tag}>"
    return None if ctx.keep_unknown_fingerprint_variables else f"<unrecognized-variable-{name}>"


def _package_basename(frame: dict[str, Any]) -> str | None:
    package = as_str(frame.get("package"))
    return package.rsplit("/", 1)[-1].rsplit("\\", 1)[-1] if package else None


_FRAME_VARIABLES: dict[str, tuple[Callable[[dict[str, Any]], str | None], str]] = {
    "function": (lambda f: as_str(f.get("function")), "<no-function>"),
    "stack.function": (lambda f: as_str(f.get("function")), "<no-function>"),
    "path": (lambda f: as_str(f.get("abs_path")) or as_str(f.get("filename")), "<no-abs-path>"),
    "stack.abs_path": (
        lambda f: as_str(f.get("abs_path")) or as_str(f.get("filename")), "<no-abs-path>"
    ),
    "stack.filename": (
        lambda f: as_str(f.get("filename")) or as_str(f.get("abs_path")), "<no-filename>"
    ),
    "module": (lambda f: as_str(f.get("module")), "<no-module>"),
    "stack.module": (lambda f: as_str(f.get("module")), "<no-module>"),
    "package": (_package_basename, "<no-package>"),
    "stack.package": (_package_basename, "<no-package>"),
}


def resolve_entries(entries: list[str], event: dict[str, Any], ctx: GroupingContext) -> list[str]:
    """Resolve variables; `{{ default }}` entries stay (hybrid mode fills them per variant)."""
    resolved = []
    for entry in entries:
        name = variable_name(entry)
        if name is None or name == "default":
            resolved.append(DEFAULT_ENTRY if name else entry)
            continue
        value = resolve_variable(name, event, ctx)
        resolved.append(entry if value is None else value)
    return resolved


def expand_title(template: str, event: dict[str, Any], ctx: GroupingContext) -> str:
    def replace(match: re.Match[str]) -> str:
        value = resolve_variable(match.group(1), event, ctx)
        return match.group(0) if value is None else value

    return _VARIABLE_RE.sub(replace, template)


# -- server-side rules ------------------------------------------------------------------------


class _EventValues:
    """The event as fingerprint matchers see it, one list of candidates per group."""

    def __init__(self, event: dict[str, Any]) -> None:
        self.event = event
        self.family = family(as_str(event.get("platform")))
        self._cache: dict[str, list[dict[str, Any]]] = {}

    def get(self, group: str) -> list[dict[str, Any]]:
        values = self._cache.get(group)
        if values is None:
            values = self._cache[group] = getattr(self, "_" + group)()
        return values

    def _exceptions(self) -> list[dict[str, Any]]:
        return [
            {"type": as_str(e.get("type")), "value": _stripped(e.get("value"))}
            for e in exceptions(self.event)
        ]

    def _toplevel(self) -> list[dict[str, Any]]:
        logentry = as_dict(self.event.get("logentry"))
        message = _stripped(logentry.get("formatted")) or _stripped(logentry.get("message"))
        return ([{"message": message}] if message else []) + self.get("exceptions")

    def _frames(self) -> list[dict[str, Any]]:
        return [
            {
                "function": as_str(f.get("function")) or "<unknown>",
                "abs_path": as_str(f.get("abs_path")) or as_str(f.get("filename")),
                "filename": as_str(f.get("filename")),
                "module": as_str(f.get("module")),
                "package": as_str(f.get("package")),
                "app": f.get("in_app"),
            }
            for ref in find_stacks(self.event) for f in ref.frames
        ]

    def _log_info(self) -> list[dict[str, Any]]:
        info = {k: v for k in ("logger", "level") if (v := as_str(self.event.get(k)))}
        return [info] if info else []

    def _tags(self) -> list[dict[str, Any]]:
        return [{f"tags.{k}": _stripped(v) for k, v in tag_pairs(self.event)}]

    def _sdk(self) -> list[dict[str, Any]]:
        return [{"sdk": as_str(as_dict(self.event.get("sdk")).get("name"))}]

    def _family(self) -> list[dict[str, Any]]:
        return [{"family": self.family}]

    def _release(self) -> list[dict[str, Any]]:
        return [{"release": _stripped(self.event.get("release"))}]


def _stripped(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value else None


class FingerprintMatcher:
    __slots__ = ("_glob", "_want_app", "flags", "group", "key", "negated", "pattern")

    def __init__(self, key: str, pattern: str, negated: bool, line: int) -> None:
        self.key = key
        self.pattern = pattern
        self.negated = negated
        self.group = "tags" if key.startswith("tags.") else _GROUPS.get(key, "frames")
        self.flags = frozenset(pattern.split(","))
        self._want_app = parse_bool(pattern) if key == "app" else None
        if key == "app" and self._want_app is None:
            raise RuleSyntaxError(f"app: expects yes or no, got {pattern!r}", line)
        path_like = key in ("path", "package", "release")
        self._glob = Glob(pattern, doublestar=path_like, path=path_like,
                          ignorecase=path_like or key in ("level", "value", "message"))

    def matches(self, values: dict[str, Any]) -> bool:
        return self._positive(values) != self.negated

    def _positive(self, values: dict[str, Any]) -> bool:
        key = self.key
        if key == "path":
            return any(self._path(values.get(k)) for k in ("abs_path", "filename"))
        if key == "message":
            return any(
                v is not None and self._glob.match(v)
                for v in (values.get("message"), values.get("value"))
            )
        value = values.get(key)
        if value is None:
            return False
        if key in ("family", "sdk"):
            return "all" in self.flags or value in self.flags
        if key == "app":
            return value is self._want_app
        if key in ("package", "release"):
            return self._path(value)
        return self._glob.match(value)

    def _path(self, value: str | None) -> bool:
        if value is None:
            return False
        # A relative path also gets a chance with a leading slash.
        return self._glob.match(value) or (
            not value.startswith("/") and self._glob.match("/" + value)
        )

    @property
    def text(self) -> str:
        return f'{"!" if self.negated else ""}{self.key}:"{self.pattern}"'


@dataclass(slots=True)
class FingerprintRule:
    matchers: list[FingerprintMatcher]
    fingerprint: list[str]
    attributes: dict[str, str]
    is_builtin: bool = False
    _by_group: list[tuple[str, list[FingerprintMatcher]]] = field(default_factory=list)
    # Families a positive `family:` matcher allows (None: any), to skip rules cheaply.
    families: frozenset[str] | None = None

    def __post_init__(self) -> None:
        groups: dict[str, list[FingerprintMatcher]] = {}
        for matcher in self.matchers:
            groups.setdefault(matcher.group, []).append(matcher)
            if matcher.key == "family" and not matcher.negated and "all" not in matcher.flags:
                allowed = self.families
                self.families = matcher.flags if allowed is None else allowed & matcher.flags
        self._by_group = [(g, groups[g]) for g in _GROUP_ORDER if g in groups]

    def matches(self, event: _EventValues) -> bool:
        # Matchers of one group must hold for the same exception / frame / message.
        return all(
            any(all(m.matches(values) for m in matchers) for values in event.get(group))
            for group, matchers in self._by_group
        )

    @property
    def text(self) -> str:
        attributes = "".join(f' {k}="{v}"' for k, v in sorted(self.attributes.items()))
        matchers = " ".join(m.text for m in self.matchers)
        return f"{matchers} -> {', '.join(self.fingerprint)}{attributes}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "matchers": [[("!" if m.negated else "") + m.key, m.pattern] for m in self.matchers],
            "fingerprint": list(self.fingerprint),
            "attributes": dict(self.attributes),
            "is_builtin": self.is_builtin,
        }


@dataclass(frozen=True, slots=True)
class FingerprintRules:
    rules: tuple[FingerprintRule, ...]

    def __len__(self) -> int:
        return len(self.rules)

    def first_match(self, event: _EventValues) -> FingerprintRule | None:
        platform_family = event.family
        for rule in self.rules:
            if rule.families is not None and platform_family not in rule.families:
                continue
            if rule.matches(event):
                return rule
        return None


def parse_rules(text: str, *, builtin: bool = False) -> FingerprintRules:
    """Compile fingerprint rule text; raises RuleSyntaxError naming the first bad line."""
    rules = []
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = strip_comment(raw).strip()
        if line:
            rules.append(_parse_rule(line, line_no, builtin))
    return FingerprintRules(tuple(rules))


def _parse_rule(line: str, line_no: int, builtin: bool) -> FingerprintRule:
    check_quotes(line, line_no)
    parts = split_arrow(line)
    if parts is None:
        raise RuleSyntaxError("expected '->' between the matchers and the fingerprint", line_no)
    matchers = []
    for token in tokenize(parts[0], line_no):
        if token in ("[", "]", "|"):
            raise RuleSyntaxError("caller/callee matchers are not allowed here", line_no)
        negated, key, value = parse_matcher(token, line_no)
        canonical = key if key.startswith("tags.") and len(key) > 5 else _KEYS.get(key)
        if canonical is None:
            raise RuleSyntaxError(f"unknown matcher {key!r}", line_no)
        matchers.append(FingerprintMatcher(canonical, value, negated, line_no))
    if not matchers:
        raise RuleSyntaxError("expected at least one matcher before '->'", line_no)
    fingerprint, attributes = _parse_fingerprint(parts[1], line_no)
    return FingerprintRule(matchers, fingerprint, attributes, builtin)


def _parse_fingerprint(text: str, line_no: int) -> tuple[list[str], dict[str, str]]:
    entries: list[str] = []
    attributes: dict[str, str] = {}
    pos, end = 0, len(text.rstrip())
    while pos < end:
        match = _RHS_TOKEN_RE.match(text, pos)
        if match is None or match.end() == pos:
            raise RuleSyntaxError(f"unexpected text in fingerprint: {text[pos:].strip()!r}",
                                  line_no)
        pos = match.end()
        if match.group("attr"):
            name = match.group("attr")
            if name not in _ATTRIBUTES:
                raise RuleSyntaxError(f"unknown attribute {name!r} (only title)", line_no)
            attributes[name] = match.group("attr_value").replace('\\"', '"')
        elif match.group("quoted") is not None:
            entries.append(match.group("quoted").replace('\\"', '"'))
        else:
            entries.append(match.group("variable") or match.group("plain"))
    if not entries:
        raise RuleSyntaxError("expected at least one fingerprint entry after '->'", line_no)
    return entries, attributes


@dataclass(frozen=True, slots=True)
class FingerprintDecision:
    fingerprint: list[str]
    info: dict[str, Any]
    title: str | None


def decide_fingerprint(
    event: dict[str, Any], project: FingerprintRules, builtin: FingerprintRules,
    ctx: GroupingContext,
) -> FingerprintDecision:
    """The client fingerprint, unless a project rule (else a built-in rule) replaces it."""
    client = client_fingerprint(event) or [DEFAULT_ENTRY]
    if not project.rules and not builtin.rules:
        return FingerprintDecision(client, {}, None)
    values = _EventValues(event)
    rule = project.first_match(values) or builtin.first_match(values)
    if rule is None:
        return FingerprintDecision(client, {}, None)
    info = {"client_fingerprint": client, "matched_rule": rule.as_dict()}
    title = rule.attributes.get("title")
    return FingerprintDecision(
        list(rule.fingerprint), info, expand_title(title, event, ctx) if title else None
    )
