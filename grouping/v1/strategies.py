"""Grouping strategies: which interface the hash is built from (docs/grouping.md §6).

Stack-based strategies produce an "app" and a "system" variant; "system" is the priority
variant, so an "app" variant hashing the same is switched off (Sentry's `!system`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .components import Component
from .context import GroupingContext
from .enhancements import EnhancementRules, GroupingPlan
from .exception_groups import main_exception_override, select_exceptions
from .frames import frame_component
from .parameterization import normalize_message
from .platforms import family, is_url
from .preprocess import PreparedStack
from .stacks import as_dict, as_list, as_str, exceptions, has_frames, is_synthetic, mechanism

Variants = dict[str, Component]

_STRIPPED_HINT = "stripped event-specific values"


@dataclass(slots=True)
class StrategyResult:
    name: str
    variants: Variants


class Strategies:
    """Builds the components of one event; one instance per `compute` call."""

    def __init__(
        self, event: dict[str, Any], ctx: GroupingContext, rules: EnhancementRules,
        stacks: dict[int, PreparedStack],
    ) -> None:
        self.event = event
        self.ctx = ctx
        self.rules = rules
        self.stacks = stacks
        self.platform = as_str(event.get("platform"))
        self.main_exception_id: int | None = None

    def run(self) -> list[StrategyResult]:
        """Every applicable strategy, highest score first."""
        results = []
        for name, build in (
            ("exception", self._exception_strategy),
            ("threads", self._threads_strategy),
            ("stacktrace", self._stacktrace_strategy),
            ("template", self._template_strategy),
            ("message", self._message_strategy),
        ):
            variants = build()
            if variants is not None:
                results.append(StrategyResult(name, variants))
        return results

    # -- stack traces ------------------------------------------------------------------------

    def stacktrace_variants(self, stacktrace: dict[str, Any]) -> Variants:
        stack = self.stacks.get(id(stacktrace))
        if stack is None:  # not seen by preprocessing; cannot happen for a normalized event
            return {"app": Component("stacktrace")}
        system = self._frame_components(stack)
        app = []
        for frame, component in zip(stack.frames, system, strict=True):
            copy = component.copy()
            if not frame.get("in_app"):
                copy.exclude("non app frame")
            app.append(copy)
        plan = self.rules.grouping_plan(stack.match_frames, stack.candidates,
                                        stack.exception_data)
        return {
            "app": self._stacktrace_component("app", app, stack, plan),
            "system": self._stacktrace_component("system", system, stack, plan),
        }

    def _frame_components(self, stack: PreparedStack) -> list[Component]:
        components = []
        previous = None
        for frame in stack.frames:
            component = frame_component(frame, self.platform, self.ctx)
            get = frame.get
            key = (get("abs_path"), get("package"), get("module"), get("filename"),
                   get("function"), get("lineno"), get("colno"))
            if key == previous:
                component.exclude("ignored due to recursion")
            previous = key
            components.append(component)
        return components

    def _stacktrace_component(
        self, variant: str, frames: list[Component], stack: PreparedStack, plan: GroupingPlan
    ) -> Component:
        if len(frames) == 1 and frames[0].contributes:
            raw = stack.frames[0]
            platform = as_str(raw.get("platform")) or self.platform
            url = is_url(as_str(raw.get("abs_path")))
            if (
                family(platform) == "javascript"
                and not raw.get("function")
                and url == self.ctx.js_single_frame_checks_url
            ):
                frames[0].exclude("ignored single non-URL JavaScript frame")
        hint = apply_grouping_plan(plan, frames)
        component = Component("stacktrace", frames, hint=hint)
        if hint is not None:
            component.contributes = False
        elif not component.contributes:
            if variant == "app" and not any(f.get("in_app") for f in stack.frames):
                component.hint = "ignored because it contains no in-app frames"
            else:
                component.hint = "ignored because it contains no contributing frames"
        return component

    def _stacktrace_strategy(self) -> Variants | None:
        stacktrace = self.event.get("stacktrace")
        if not has_frames(stacktrace):
            return None
        return postprocess_stack_variants(self.stacktrace_variants(as_dict(stacktrace)))

    # -- exceptions --------------------------------------------------------------------------

    def exception_variants(self, exception: dict[str, Any]) -> Variants:
        type_ = as_str(exception.get("type"))
        type_component = Component("type", [type_] if type_ else [])
        if is_synthetic(exception):
            type_component.exclude("ignored because exception is synthetic")
        ns_error = _ns_error_component(exception)
        stacktrace = exception.get("stacktrace")
        if has_frames(stacktrace):
            stack_variants = self.stacktrace_variants(as_dict(stacktrace))
        else:
            # Without a stack trace there is no system variant at all (as in Sentry).
            stack_variants = {"app": Component("stacktrace")}
        raw = as_str(exception.get("value"))
        normalized = normalize_message(raw) if raw is not None else ""
        variants = {}
        for name, stack in stack_variants.items():
            value = Component("value")
            if normalized:
                value.replace_values([normalized], _STRIPPED_HINT if raw != normalized else None)
            if stack.contributes and value.contributes:
                value.exclude("ignored because stacktrace takes precedence")
            if ns_error is not None and ns_error.contributes and value.contributes:
                value.exclude("ignored because ns-error info takes precedence")
            extra = [ns_error] if ns_error is not None else []
            if self.ctx.legacy_exception_child_order:
                children = [stack, type_component, *extra, value]
            else:
                children = [type_component, value, *extra, stack]
            variants[name] = Component("exception", children)
        return variants

    def _exception_strategy(self) -> Variants | None:
        values = exceptions(self.event)
        if not values:
            return None
        per_exception = [self.exception_variants(exception) for exception in values]
        selected, main_id = select_exceptions(values, per_exception)
        if len(selected) == 1:
            self.main_exception_id = main_id
            return postprocess_stack_variants(per_exception[selected[0]])
        override = main_exception_override([values[i] for i in selected])
        self.main_exception_id = override if override else main_id
        by_name: dict[str, list[Component | str | int]] = {}
        for idx in selected:
            for name, component in per_exception[idx].items():
                by_name.setdefault(name, []).append(component)
        chained = {name: Component("chained-exception", comps) for name, comps in by_name.items()}
        return postprocess_stack_variants(chained)

    # -- threads, template, message ----------------------------------------------------------

    def _threads_strategy(self) -> Variants | None:
        container = self.event.get("threads")
        if container is None:
            return None
        values = container if isinstance(container, list) else as_dict(container).get("values")
        threads = [t for t in as_list(values) if isinstance(t, dict)]
        for candidates in (
            [t for t in threads if t.get("crashed")],
            [t for t in threads if t.get("current")],
            threads,
        ):
            if len(candidates) == 1:
                return self._thread_variants(candidates[0])
        hint = (
            "ignored because does not contain exactly one crashing, one current or just one "
            f"thread, instead contains {len(threads)} threads"
        )
        return {"app": Component("threads", contributes=False, hint=hint)}

    def _thread_variants(self, thread: dict[str, Any]) -> Variants:
        stacktrace = thread.get("stacktrace")
        if not has_frames(stacktrace):
            return {"app": Component("threads", contributes=False, hint="thread has no stacktrace")}
        variants = self.stacktrace_variants(as_dict(stacktrace))
        wrapped = {name: Component("threads", [stack]) for name, stack in variants.items()}
        return postprocess_stack_variants(wrapped)

    def _template_strategy(self) -> Variants | None:
        template = self.event.get("template")
        if not isinstance(template, dict):
            return None
        filename = as_str(template.get("filename"))
        line = as_str(template.get("context_line"))
        children: list[Component | str | int] = [
            Component("filename", [filename] if filename is not None else []),
            Component("context-line", [line] if line is not None else []),
        ]
        return {"default": Component("template", children)}

    def _message_strategy(self) -> Variants | None:
        logentry = as_dict(self.event.get("logentry"))
        raw = as_str(logentry.get("message")) or as_str(logentry.get("formatted"))
        if not raw:
            return None
        normalized = normalize_message(raw)
        hint = _STRIPPED_HINT if normalized != raw else None
        return {"default": Component("message", [normalized], hint=hint)}


def _ns_error_component(exception: dict[str, Any]) -> Component | None:
    ns_error = as_dict(mechanism(exception).get("meta")).get("ns_error")
    if not isinstance(ns_error, dict):
        return None
    values = [v for v in (ns_error.get("domain"), ns_error.get("code")) if v is not None]
    return Component("ns-error", [v if isinstance(v, int | str) else str(v) for v in values])


def apply_grouping_plan(plan: GroupingPlan, frames: list[Component]) -> str | None:
    """Apply -group/+group and max-frames to frames; the stack's hint if min-frames drops it."""
    for action, idx, rule in plan.flags:
        for target in action.targets(len(frames), idx):
            component = frames[target]
            if component.contributes != action.flag:
                component.contributes = action.flag
                state = "in" if action.flag else "out of"
                component.hint = f"marked {state} grouping by stack trace rule ({rule})"
    if plan.max_frames is not None:
        limit, rule = plan.max_frames
        noun = "frame is" if limit == 1 else "frames are"
        kept = 0
        for component in reversed(frames):
            if component.contributes:
                kept += 1
                if kept > limit:
                    component.exclude(
                        f"ignored because only {limit} {noun} considered"
                        f" by stack trace rule ({rule})"
                    )
    if plan.min_frames is not None:
        limit, rule = plan.min_frames
        count = sum(1 for f in frames if f.contributes)
        if 0 < count < limit:
            return (
                f"discarded because stack trace only contains {count} "
                f"frame{'' if count == 1 else 's'} which is under the configured threshold"
                f" by stack trace rule ({rule})"
            )
    return None


def postprocess_stack_variants(variants: Variants) -> Variants:
    """Drop an app variant that duplicates system, then variants without a stack trace."""
    system = variants.get("system")
    if system is not None:
        system_hash = system.hash() if system.contributes else None
        for name, component in variants.items():
            if name == "system" or not component.contributes:
                continue
            if system_hash is None:
                component.exclude("ignored because system variant is not used")
            elif component.hash() == system_hash:
                component.exclude("ignored because hash matches system variant")
    with_stack = [name for name, c in variants.items() if _has_contributing_stacktrace(c)]
    if with_stack:
        suffix = f"but the {with_stack[0]} variant does" if len(with_stack) == 1 else "others do"
        hint = f"ignored because this variant does not have a contributing stacktrace, {suffix}"
        for name, component in variants.items():
            if name not in with_stack:
                component.exclude(hint)
    return variants


def _has_contributing_stacktrace(component: Component) -> bool:
    # Looks through non-contributing parents too, as Sentry's subcomponent search does.
    if component.id == "stacktrace":
        return component.contributes
    return any(
        isinstance(v, Component) and _has_contributing_stacktrace(v) for v in component.values
    )


def combine_strategies(results: list[StrategyResult]) -> Variants:
    """One root component per variant; the first contributing strategy wins."""
    winner = None
    precedence_hint = None
    per_variant: dict[str, list[Component | str | int]] = {}
    for result in results:
        for variant, component in result.variants.items():
            per_variant.setdefault(variant, []).append(component)
            if winner is None:
                if component.contributes:
                    winner = result.name
                    precedence_hint = _precedence_hint(result, variant)
            elif component.contributes and winner != result.name:
                component.exclude(precedence_hint)
    roots = {}
    for variant, components in per_variant.items():
        root = Component(variant, components)
        if not root.contributes and precedence_hint:
            root.hint = precedence_hint
        roots[variant] = root
    return roots


def _precedence_hint(result: StrategyResult, variant: str) -> str:
    if variant == "default":
        subject = result.name
    else:
        names = "/".join(sorted(k for k, v in result.variants.items() if v.contributes))
        subject = f"{result.name} of {names}"
    return f"{subject} take{'' if result.name.endswith('s') else 's'} precedence"
