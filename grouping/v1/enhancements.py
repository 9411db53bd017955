"""Stack-trace rules ("enhancements"): set in_app and category, switch frames out of grouping.

Syntax (docs/grouping.md §4), one rule a line:
    [ caller-matcher ] | matcher... | [ callee-matcher ] action...
Rules apply in order, each to every frame, so later rules override earlier ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import RuleSyntaxError
from .glob import Glob
from .platforms import FAMILIES
from .rule_syntax import parse_matcher, strip_comment, tokenize

_KEYS = {
    "stack.abs_path": "path",
    "path": "path",
    "stack.module": "module",
    "module": "module",
    "stack.function": "function",
    "function": "function",
    "stack.package": "package",
    "package": "package",
    "family": "family",
    "app": "app",
    "category": "category",
    "error.type": "type",
    "error.value": "value",
    "error.mechanism": "mechanism",
}
# Matchers that only read fields which never change while rules run; their results are cached.
_STATIC_KEYS = frozenset({"family", "path", "module", "function", "package"})
_EXCEPTION_KEYS = frozenset({"type", "value", "mechanism"})
_GATE_KEYS = frozenset({"path", "module", "function", "package"})
_FLAG_RE = re.compile(r"([\^v]?)([+-])(app|group)")
_VAR_NAMES = ("category", "max-frames", "min-frames", "invert-stacktrace")
_BOOLS = {"1": True, "yes": True, "true": True, "on": True,
          "0": False, "no": False, "false": False, "off": False}
_CACHE_LIMIT = 20_000


def parse_bool(text: str) -> bool | None:
    return _BOOLS.get(text.lower())


class MatchFrame:
    """The frame fields rules test, read once per frame (paths lowercased, with `/`)."""

    __slots__ = ("category", "family", "frame", "function", "in_app", "key", "module", "package",
                 "path")

    def __init__(self, frame: dict[str, Any], platform: str | None, function: str | None):
        get = frame.get
        self.frame = frame
        self.family = FAMILIES.get(_str(get("platform")) or platform or "", "other")
        self.path = _path(_str(get("abs_path")) or _str(get("filename")))
        self.module = _str(get("module"))
        self.function = function
        self.package = _path(_str(get("package")))
        self.in_app = get("in_app") is True
        data = get("data")
        self.category = _str(data.get("category")) if data.__class__ is dict else None
        # What static matchers read; the key of the per-frame match cache.
        self.key = (self.family, self.path, self.module, function, self.package)


def _str(value: Any) -> str | None:
    return value if value.__class__ is str and value else None


def _path(value: str | None) -> str | None:
    return value.replace("\\", "/").lower() if value is not None else None


class ExceptionData:
    """The exception owning a stack trace, as error.* matchers see it."""

    __slots__ = ("mechanism", "type", "value")

    def __init__(self, exception: dict[str, Any] | None) -> None:
        exc = exception or {}
        mech = exc.get("mechanism")
        self.type = _str(exc.get("type")) or "<unknown>"
        self.value = _str(exc.get("value")) or "<unknown>"
        self.mechanism = (_str(mech.get("type")) if isinstance(mech, dict) else None) or "<unknown>"


class Matcher:
    __slots__ = (
        "_want_app", "families", "frame_test", "glob", "key", "negated", "offset", "pattern",
    )

    def __init__(self, key: str, pattern: str, negated: bool, offset: int, line: int) -> None:
        self.key = key
        self.pattern = pattern
        self.negated = negated
        # 0 = this frame, -1 = the caller (previous frame), +1 = the callee (next frame).
        self.offset = offset
        self.families = frozenset(pattern.split(",")) if key == "family" else frozenset()
        self._want_app = parse_bool(pattern) if key == "app" else None
        if key == "app" and self._want_app is None:
            raise RuleSyntaxError(f"app: expects yes or no, got {pattern!r}", line)
        path_like = key in ("path", "package")
        self.glob = Glob(
            pattern, doublestar=path_like or key == "module", ignorecase=path_like or
            key == "value", path=path_like,
        )
        # For this-frame matchers: one call per test, negation included (the hot path).
        self.frame_test = self._frame_test()

    def _frame_test(self) -> Callable[[MatchFrame], bool]:
        key, negated, test = self.key, self.negated, self.glob.test
        if key == "family":
            families = self.families
            if "all" in families:
                return lambda frame: not negated
            return lambda frame: (frame.family in families) != negated
        if key == "path":
            def path_test(frame: MatchFrame) -> bool:
                path = frame.path
                # Path-like patterns such as **/vendor/** should also hit relative paths.
                hit = path is not None and (
                    test(path) or (path[:1] != "/" and test("/" + path))
                )
                return hit != negated
            return path_test
        return lambda frame: ((value := getattr(frame, key)) is not None and test(value)) != negated

    @property
    def is_static(self) -> bool:
        return self.offset == 0 and self.key in _STATIC_KEYS

    def matches(self, frames: list[MatchFrame], idx: int, exc: ExceptionData) -> bool:
        idx += self.offset
        if idx < 0 or idx >= len(frames):
            return False
        return self.test(frames[idx], exc) != self.negated

    def test(self, frame: MatchFrame, exc: ExceptionData) -> bool:
        """The positive (un-negated) test; frame fields come normalized, exception ones not."""
        key = self.key
        if key == "app":
            return frame.in_app is self._want_app
        if key in _EXCEPTION_KEYS:
            return self.glob.match(getattr(exc, key))
        return self.frame_test(frame) != self.negated


@dataclass(frozen=True, slots=True)
class FlagAction:
    key: str  # "app" or "group"
    flag: bool
    scope: str | None  # None (this frame), "up" (toward the crash) or "down"

    def targets(self, count: int, idx: int) -> range:
        if self.scope == "up":
            return range(idx + 1, count)
        if self.scope == "down":
            return range(idx)
        return range(idx, idx + 1)


@dataclass(frozen=True, slots=True)
class VarAction:
    name: str
    value: str | int | bool


Action = FlagAction | VarAction


class Rule:
    __slots__ = (
        "actions", "dynamic", "families", "grouping_actions", "matchers", "modifier_actions",
        "needs_category", "static", "static_test", "text",
    )

    def __init__(self, matchers: list[Matcher], actions: list[Action], text: str) -> None:
        self.matchers = tuple(matchers)
        self.actions = tuple(actions)
        self.text = text
        self.static = tuple(m for m in matchers if m.is_static)
        self.dynamic = tuple(m for m in matchers if not m.is_static)
        tests = tuple(m.frame_test for m in self.static)
        self.static_test: Callable[[MatchFrame], bool] = (
            tests[0] if len(tests) == 1 else lambda frame: all(t(frame) for t in tests)
        )
        families = [m.families for m in self.static if m.key == "family" and not m.negated]
        self.families: frozenset[str] | None = None
        if families and not any("all" in f for f in families):
            self.families = frozenset.intersection(*families)
        self.needs_category = any(m.key == "category" and not m.negated for m in matchers)
        self.modifier_actions = tuple(
            a for a in actions if (isinstance(a, FlagAction) and a.key == "app")
            or (isinstance(a, VarAction) and a.name == "category")
        )
        self.grouping_actions = tuple(a for a in actions if a not in self.modifier_actions)


@dataclass(slots=True)
class GroupingPlan:
    """What the rules decided for one stack trace's grouping (variant independent)."""

    flags: list[tuple[FlagAction, int, str]]
    max_frames: tuple[int, str] | None = None
    min_frames: tuple[int, str] | None = None


class _StaticIndex:
    """Finds the rules whose static matchers hit a frame, for one platform family.

    Rules are gated by their first positive path/module/function/package matcher; one
    combined regex per field rules out whole groups at once, so an unseen frame is not
    tested against every rule.
    """

    def __init__(self, rules: tuple[Rule, ...], indexes: list[int]) -> None:
        self.rules = rules
        self.ungated: list[int] = []
        gated: dict[str, list[tuple[int, Matcher]]] = {}
        for idx in indexes:
            gate = next((m for m in rules[idx].static if not m.negated and m.key in _GATE_KEYS),
                        None)
            if gate is None:
                self.ungated.append(idx)
            else:
                gated.setdefault(gate.key, []).append((idx, gate))
        self.gates = [
            (key, re.compile("|".join(f"(?:{m.glob.regex})" for _, m in group), re.DOTALL),
             [idx for idx, _ in group])
            for key, group in gated.items()
        ]

    def hits(self, frame: MatchFrame) -> tuple[int, ...]:
        rules = self.rules
        found = [i for i in self.ungated if rules[i].static_test(frame)]
        for key, regex, indexes in self.gates:
            value = getattr(frame, key)
            if value is None:
                continue
            if regex.fullmatch(value) is None and not (
                key == "path" and value[:1] != "/" and regex.fullmatch("/" + value)
            ):
                continue
            found.extend(i for i in indexes if rules[i].static_test(frame))
        found.sort()
        return tuple(found)


class EnhancementRules:
    """A compiled, ordered rule list with a cache of per-frame static matches."""

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        self.rules = rules
        self._by_family = {
            fam: _StaticIndex(rules, [
                i for i, r in enumerate(rules) if r.families is None or fam in r.families
            ])
            for fam in ("native", "javascript", "other")
        }
        self._cache: dict[tuple[str | None, ...], tuple[int, ...]] = {}

    def __len__(self) -> int:
        return len(self.rules)

    def extended(self, other: EnhancementRules) -> EnhancementRules:
        return EnhancementRules(self.rules + other.rules)

    def candidates(self, frames: list[MatchFrame]) -> list[tuple[int, list[int]]]:
        """(rule index, frame indexes) pairs whose static matchers hit, in rule order."""
        found: dict[int, list[int]] = {}
        for idx, frame in enumerate(frames):
            for rule_idx in self._static_hits(frame):
                found.setdefault(rule_idx, []).append(idx)
        return sorted(found.items())

    def _static_hits(self, frame: MatchFrame) -> tuple[int, ...]:
        key = frame.key
        hits = self._cache.get(key)
        if hits is None:
            hits = self._by_family[frame.family].hits(frame)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = hits
        return hits

    def apply_modifications(
        self, frames: list[MatchFrame], candidates: list[tuple[int, list[int]]],
        exc: ExceptionData,
    ) -> None:
        """Run +app/-app and category= actions on the frames (and their event dicts)."""
        any_category = any(f.category for f in frames)
        for rule_idx, indexes in candidates:
            rule = self.rules[rule_idx]
            if not rule.modifier_actions or (rule.needs_category and not any_category):
                continue
            for idx in indexes:
                if rule.dynamic and not all(m.matches(frames, idx, exc) for m in rule.dynamic):
                    continue
                for action in rule.modifier_actions:
                    if isinstance(action, FlagAction):
                        for target in action.targets(len(frames), idx):
                            set_in_app(frames[target], action.flag)
                    else:
                        set_category(frames[idx], str(action.value))
                        any_category = True

    def grouping_plan(
        self, frames: list[MatchFrame], candidates: list[tuple[int, list[int]]],
        exc: ExceptionData,
    ) -> GroupingPlan:
        plan = GroupingPlan(flags=[])
        any_category = any(f.category for f in frames)
        for rule_idx, indexes in candidates:
            rule = self.rules[rule_idx]
            if not rule.grouping_actions or (rule.needs_category and not any_category):
                continue
            for idx in indexes:
                if rule.dynamic and not all(m.matches(frames, idx, exc) for m in rule.dynamic):
                    continue
                for action in rule.grouping_actions:
                    if isinstance(action, FlagAction):
                        plan.flags.append((action, idx, rule.text))
                    elif action.name == "max-frames":
                        plan.max_frames = (int(action.value), rule.text)
                    elif action.name == "min-frames":
                        plan.min_frames = (int(action.value), rule.text)
                    # invert-stacktrace only matters for hierarchical grouping, which v1
                    # does not do; it is accepted so shared rule texts stay valid.
        return plan


def set_in_app(frame: MatchFrame, value: bool) -> None:
    """Set in_app on the event frame, remembering the client's value once."""
    raw = frame.frame
    original = raw.get("in_app")
    frame.in_app = value
    if original is value:
        return
    data = raw.get("data")
    if not isinstance(data, dict):
        data = raw["data"] = {}
    data.setdefault("orig_in_app", -1 if original is None else int(bool(original)))
    raw["in_app"] = value


def set_category(frame: MatchFrame, value: str) -> None:
    frame.category = value
    data = frame.frame.get("data")
    if not isinstance(data, dict):
        data = frame.frame["data"] = {}
    data["category"] = value


def parse_rules(text: str) -> EnhancementRules:
    """Compile rule text; raises RuleSyntaxError naming the first bad line."""
    rules = []
    for line_no, raw in enumerate(text.splitlines(), 1):
        line = strip_comment(raw).strip()
        if line:
            rules.append(_parse_rule(tokenize(line, line_no), line_no))
    return EnhancementRules(tuple(rules))


def _parse_rule(tokens: list[str], line: int) -> Rule:
    matchers: list[Matcher] = []
    i, n = 0, len(tokens)
    if tokens[0] == "[":
        matchers.append(_bracketed(tokens, 0, -1, line))
        if tokens[3:4] != ["|"]:
            raise RuleSyntaxError("expected '|' after the caller matcher '[ ... ]'", line)
        i = 4
    while i < n and tokens[i] not in ("|", "[") and not _is_action(tokens[i]):
        matchers.append(_matcher(tokens[i], 0, line))
        i += 1
    if not any(m.offset == 0 for m in matchers):
        raise RuleSyntaxError("expected at least one frame matcher", line)
    if i < n and tokens[i] == "|":
        matchers.append(_bracketed(tokens, i + 1, 1, line))
        i += 4
    actions = [_action(token, line) for token in _join_assignments(tokens[i:], line)]
    if not actions:
        raise RuleSyntaxError("expected at least one action (+app, -group, category=...)", line)
    return Rule(matchers, actions, " ".join(tokens))


def _bracketed(tokens: list[str], i: int, offset: int, line: int) -> Matcher:
    if tokens[i : i + 1] != ["["] or tokens[i + 2 : i + 3] != ["]"] or len(tokens) < i + 3:
        raise RuleSyntaxError("expected '[ matcher ]'", line)
    return _matcher(tokens[i + 1], offset, line)


def _matcher(token: str, offset: int, line: int) -> Matcher:
    if token[0] in "+-^":
        raise RuleSyntaxError(f"unknown action {token!r}", line)
    negated, key, value = parse_matcher(token, line)
    canonical = _KEYS.get(key)
    if canonical is None:
        raise RuleSyntaxError(f"unknown matcher {key!r}", line)
    return Matcher(canonical, value, negated, offset, line)


def _is_action(token: str) -> bool:
    return _FLAG_RE.fullmatch(token) is not None or token.split("=", 1)[0] in _VAR_NAMES


def _join_assignments(tokens: list[str], line: int) -> list[str]:
    """Allow `max-frames = 3` as well as `max-frames=3`."""
    joined: list[str] = []
    for token in tokens:
        if joined and joined[-1].split("=", 1)[0] in _VAR_NAMES and (
            joined[-1].endswith("=") or token.startswith("=") or "=" not in joined[-1]
        ):
            joined[-1] += token
        else:
            joined.append(token)
    return joined


def _action(token: str, line: int) -> Action:
    flag = _FLAG_RE.fullmatch(token)
    if flag:
        scope = {"^": "up", "v": "down"}.get(flag.group(1))
        return FlagAction(flag.group(3), flag.group(2) == "+", scope)
    name, sep, value = token.partition("=")
    if name not in _VAR_NAMES or not sep or not value:
        raise RuleSyntaxError(f"expected an action (+app, -group, category=...), got {token!r}",
                              line)
    if name == "category":
        return VarAction(name, value)
    if name == "invert-stacktrace":
        parsed = parse_bool(value)
        if parsed is None:
            raise RuleSyntaxError(f"invert-stacktrace expects 1 or 0, got {value!r}", line)
        return VarAction(name, parsed)
    if not value.isdigit():
        raise RuleSyntaxError(f"{name} expects a whole number, got {value!r}", line)
    return VarAction(name, int(value))
