"""The `frame` component: module, filename, function, context-line (docs/grouping.md §6.2)."""

from __future__ import annotations

import re
from typing import Any

from .components import Component
from .context import GroupingContext
from .functions import trim_function_name
from .platforms import NATIVE_PLATFORMS, family, has_url_origin

_BASENAME_RE = re.compile(r"[/\\]")
_RUBY_ERB_SUFFIX_RE = re.compile(r"__\d{4,}_\d{4,}$")
_JAVASSIST_RE = re.compile(r"(\$\$_javassist)(?:_seam)?(?:_[0-9]+)?")
# Generated JVM class names: the marker is kept, the unstable suffix becomes <auto>.
_JAVA_CODEGEN_RES = (
    re.compile(r"(sun\.reflect\.Generated(?:Serialization)?ConstructorAccessor)\d+"),
    re.compile(r"(\$\$[\w_]+?CGLIB\$\$)[a-fA-F0-9]+(_[0-9]+)?"),
    _JAVASSIST_RE,
    re.compile(r"(\$fn__)\d+"),
    re.compile(r"(\$\$(?:EnhancerBy|FastClassBy)[A-Za-z]*\$\$)[a-fA-F0-9]+"),
    re.compile(r"(\$HibernateProxy\$)[A-Za-z0-9]+"),
)
_JAVA_REFLECTION_PREFIXES = (
    "sun.reflect.GeneratedMethodAccessor",
    "jdk.internal.reflect.GeneratedMethodAccessor",
)
_JS_UNKNOWN_FUNCTIONS = frozenset(
    {"?", "<anonymous function>", "<anonymous>", "Anonymous function"}
)
_JS_LOW_QUALITY_PATHS = frozenset({"[native code]", "native code", "eval code", "<anonymous>"})
_MULTIPROCESSING_ARG_RE = re.compile(r"=\d+")


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class FrameComponent(Component):
    """A frame node whose children are final, so their leaves and dicts are computed once."""

    __slots__ = ("child_dicts", "child_leaves")

    def __init__(self, template: FrameTemplate) -> None:
        super().__init__("frame", template.children, contributes=template.contributes,
                         hint=template.hint)
        self.child_leaves = template.leaves
        self.child_dicts = template.dicts

    def copy(self) -> FrameComponent:
        clone = FrameComponent.__new__(FrameComponent)
        clone.id, clone.values, clone.contributes = self.id, self.values, self.contributes
        clone.hint, clone._hash = self.hint, None
        clone.child_leaves, clone.child_dicts = self.child_leaves, self.child_dicts
        return clone

    def leaves(self, out: list[Any]) -> list[Any]:
        if self.contributes:
            out.extend(self.child_leaves)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"id": "frame", "contributes": self.contributes, "hint": self.hint,
                "values": self.child_dicts}


class FrameTemplate:
    __slots__ = ("children", "contributes", "dicts", "hint", "leaves")

    def __init__(self, node: Component) -> None:
        self.children = node.values
        self.contributes = node.contributes
        self.hint = node.hint
        leaves: list[Any] = []
        for child in node.values:
            if isinstance(child, Component):
                child.leaves(leaves)
        self.leaves = leaves
        # Shared by every result that contains this frame: results are read-only.
        self.dicts = [c.as_dict() for c in node.values if isinstance(c, Component)]


# The same frames recur in event after event; their (final) child components are reused.
_TEMPLATES: dict[tuple[Any, ...], FrameTemplate] = {}
_TEMPLATE_LIMIT = 10_000


def frame_component(frame: dict[str, Any], platform: str | None, ctx: GroupingContext) -> Component:
    """The component of one frame (variant independent); a fresh node every call."""
    data = frame.get("data")
    get = frame.get
    key = (
        ctx.config_id, platform, get("platform"), get("abs_path"), get("filename"),
        get("module"), get("function"), get("raw_function"), get("context_line"),
        isinstance(data, dict) and data.get("sourcemap") is not None,
    )
    try:
        template = _TEMPLATES.get(key)
    except TypeError:  # an unhashable junk value: build without the cache
        return FrameComponent(FrameTemplate(_build_frame_component(frame, platform, ctx)))
    if template is None:
        template = FrameTemplate(_build_frame_component(frame, platform, ctx))
        if len(_TEMPLATES) >= _TEMPLATE_LIMIT:
            _TEMPLATES.clear()
        _TEMPLATES[key] = template
    return FrameComponent(template)


def _build_frame_component(
    frame: dict[str, Any], platform: str | None, ctx: GroupingContext
) -> Component:
    platform = _str(frame.get("platform")) or platform
    abs_path = _str(frame.get("abs_path"))
    is_js = ctx.javascript_fuzzing and family(platform) == "javascript"

    filename = _filename_component(abs_path, _str(frame.get("filename")), platform, ctx)
    module = _module_component(abs_path, _str(frame.get("module")), platform)
    if module.contributes and filename.contributes:
        filename.exclude("module takes precedence")

    values: list[Component | str | int] = [module, filename]
    context_line = None
    if platform in ctx.context_line_platforms:
        context_line = _context_line_component(frame, platform, abs_path, ctx)
    data = frame.get("data")
    sourcemap_used = isinstance(data, dict) and data.get("sourcemap") is not None
    function = _function_component(
        frame, platform, ctx, sourcemap_used and context_line is not None
        and context_line.contributes,
    )
    values.append(function)
    if context_line is not None:
        values.append(context_line)
    node = Component("frame", values)

    if is_js:
        raw_name = _str(frame.get("raw_function")) or _str(frame.get("function"))
        short = raw_name.rsplit(".", 1)[-1] if raw_name else None
        if not short:
            function.exclude(None)
        elif short in _JS_UNKNOWN_FUNCTIONS or short.endswith("/<"):
            function.exclude("ignored unknown function name")
        # The frame keeps the contribution it had before these function checks: Sentry
        # decides it at construction, and v1 hashes must match that.
        if short == "eval" or abs_path in _JS_LOW_QUALITY_PATHS:
            node.exclude("ignored low quality javascript frame")
    return node


def _filename_component(
    abs_path: str | None, filename: str | None, platform: str | None, ctx: GroupingContext
) -> Component:
    if filename is None:
        return Component("filename")
    name = _BASENAME_RE.split(filename)[-1].lower()
    component = Component("filename", [name])
    # With JavaScript fuzzing `file:` paths are local files, not URLs, for this test.
    if has_url_origin(abs_path, file_is_url=not ctx.javascript_fuzzing):
        component.exclude("ignored because frame points to a URL")
    elif name == "<anonymous>":
        component.exclude("anonymous filename discarded")
    elif name == "[native code]":
        component.exclude("native code indicated by filename")
    elif platform == "java":
        cleaned = _JAVASSIST_RE.sub(r"\1<auto>", name)
        if cleaned != name:
            component.replace_values([cleaned], "cleaned javassist parts")
    return component


def _module_component(abs_path: str | None, module: str | None, platform: str | None) -> Component:
    if module is None:
        return Component("module")
    component = Component("module", [module])
    if platform == "javascript" and "/" in module and abs_path and abs_path.endswith(module):
        component.exclude("ignored bad javascript module")
    elif platform == "java":
        if "$$Lambda$" in module:
            component.exclude("ignored java lambda")
        for prefix in _JAVA_REFLECTION_PREFIXES:
            if module.startswith(prefix):
                component.replace_values([prefix], "removed reflection marker")
                return component
        cleaned = module
        for regex in _JAVA_CODEGEN_RES:
            cleaned = regex.sub(r"\1<auto>", cleaned)
        if cleaned != module:
            component.replace_values([cleaned], "removed codegen marker")
    return component


def _function_component(
    frame: dict[str, Any], platform: str | None, ctx: GroupingContext, sourcemap_with_line: bool
) -> Component:
    function = _str(frame.get("function"))
    raw_function = _str(frame.get("raw_function"))
    if platform == "csharp":
        # C# frames stored the untrimmed name in `function` before trimming existed.
        name = raw_function or function
    else:
        name = function or raw_function
        if function and not raw_function:
            name = trim_function_name(function, platform)
    if not name:
        return Component("function")
    component = Component("function", [name])

    if platform == "ruby":
        if name.startswith("block "):
            component.replace_values(["block"], "ruby block")
        else:
            cleaned = _RUBY_ERB_SUFFIX_RE.sub("", name)
            if cleaned != name:
                component.replace_values([cleaned], "removed generated erb template suffix")
    elif platform == "php":
        if name.startswith(("[Anonymous", "class@anonymous\x00")):
            component.exclude("ignored anonymous function")
        if ctx.php_detect_anonymous_classes and name.startswith("class@anonymous"):
            method = name.rsplit("::", 1)[-1]
            if method != name:
                component.replace_values([method], "anonymous class method")
    elif platform == "java":
        if name.startswith("lambda$"):
            component.exclude("ignored lambda function")
    elif platform in NATIVE_PLATFORMS:
        if name in ("<redacted>", "<unknown>"):
            component.exclude("ignored unknown function")
    elif ctx.javascript_fuzzing and family(platform) == "javascript":
        # Browsers disagree on `Object.method` vs `method`; keep the last part.
        short = name.rsplit(".", 1)[-1]
        if short != name:
            component.replace_values([short], "trimmed javascript function")
        if sourcemap_with_line:
            component.exclude("ignored because sourcemap used and context line available")
    return component


def _context_line_component(
    frame: dict[str, Any], platform: str | None, abs_path: str | None, ctx: GroupingContext
) -> Component:
    raw = frame.get("context_line")
    if not isinstance(raw, str):
        return Component("context-line")
    line = " ".join(raw.expandtabs(2).split())
    if not line:
        return Component("context-line")
    if (
        not ctx.keep_multiprocessing_context_lines
        and platform == "python"
        and line.startswith(("spawn_main(", "from multiprocessing"))
    ):
        line = _MULTIPROCESSING_ARG_RE.sub("=<int>", line)
    component = Component("context-line", [line])
    if len(raw) > ctx.max_context_line_length:
        component.exclude("discarded because line too long")
    elif (
        family(platform) == "javascript"
        and not _str(frame.get("function"))
        and has_url_origin(abs_path, file_is_url=True)
    ):
        component.exclude("discarded because from URL origin and no function")
    return component
