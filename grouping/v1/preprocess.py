"""Frame preprocessing before hashing (docs/grouping.md §3).

These steps edit the event's frames in place: the stored event shows the derived module,
the trimmed function, the in_app decided by the rules.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .enhancements import EnhancementRules, ExceptionData, MatchFrame, set_in_app
from .functions import trim_function_name
from .platforms import JAVASCRIPT_PLATFORMS, NATIVE_PLATFORMS
from .stacks import StackRef, as_str, find_stacks

UNKNOWN_MODULE = "<unknown module>"
_JS_MODULE_SOURCES = ("http:", "https:", "webpack:", "app:")
_HASH_SEGMENT_RE = re.compile(r"[0-9a-f]{32}(?:[0-9a-f]{8})?", re.IGNORECASE)
# Leading path segments that say nothing about the module: slashes, asset folders, dotted or
# underscored build folders, versions and hashes.
_JUNK_PREFIX_RE = re.compile(
    r"""^(?:/|(?:(?:java)?scripts?|js|build|static|node_modules|bower_components|[_.~].*?
    |v?(?:\d+\.)*\d+|[a-f0-9]{7,8}|[a-f0-9]{32}|[a-f0-9]{40})/)+""",
    re.IGNORECASE | re.VERBOSE,
)
_COMMITISH_SUFFIX_RE = re.compile(r"[-.][a-f0-9]{7,}$", re.IGNORECASE)
_TRIMMED_PLATFORMS = NATIVE_PLATFORMS | {"csharp"}


@dataclass(slots=True)
class PreparedStack:
    """A stack trace after preprocessing, with what the strategies reuse."""

    frames: list[dict[str, Any]]
    exception: dict[str, Any] | None
    match_frames: list[MatchFrame]
    candidates: list[tuple[int, list[int]]]
    exception_data: ExceptionData


@dataclass(slots=True)
class Preprocessed:
    # Keyed by id() of the stacktrace dict, which strategies look up again.
    stacks: dict[int, PreparedStack]
    in_app_frame_mix: str | None


def preprocess(event: dict[str, Any], rules: EnhancementRules) -> Preprocessed:
    platform = as_str(event.get("platform"))
    prepared: dict[int, PreparedStack] = {}
    in_app = system = 0
    for ref in find_stacks(event):
        stack = _prepare_stack(ref, platform, rules)
        prepared[id(ref.stacktrace)] = stack
        for frame in ref.frames:
            if frame.get("in_app"):
                in_app += 1
            else:
                system += 1
    mix = None
    if in_app or system:
        mix = "mixed" if in_app and system else ("in-app-only" if in_app else "system-only")
    return Preprocessed(prepared, mix)


def _prepare_stack(ref: StackRef, platform: str | None, rules: EnhancementRules) -> PreparedStack:
    match_frames = []
    for frame in ref.frames:
        frame_platform = as_str(frame.get("platform")) or platform
        data = frame.get("data")
        if data.__class__ is dict and data.get("orig_in_app") is not None:
            _restore_client_in_app(frame, data["orig_in_app"])
        if frame_platform in JAVASCRIPT_PLATFORMS:
            _normalize_javascript_frame(frame)
        elif frame_platform in _TRIMMED_PLATFORMS:
            _trim_function(frame, frame_platform)
        function = frame.get("function")
        match_frames.append(
            MatchFrame(frame, platform, function if function.__class__ is str else None)
        )
    exception_data = ExceptionData(ref.exception)
    candidates = rules.candidates(match_frames)
    if candidates:
        rules.apply_modifications(match_frames, candidates, exception_data)
    for match_frame in match_frames:
        if match_frame.frame.get("in_app") is None:
            set_in_app(match_frame, False)
    return PreparedStack(ref.frames, ref.exception, match_frames, candidates, exception_data)


def _restore_client_in_app(frame: dict[str, Any], original: Any) -> None:
    """Undo an earlier run's rules, so grouping the same event twice gives the same result."""
    frame["in_app"] = None if original == -1 else bool(original)


def _normalize_javascript_frame(frame: dict[str, Any]) -> None:
    abs_path = frame.get("abs_path")
    if (
        not frame.get("module")
        and isinstance(abs_path, str)
        and abs_path.startswith(_JS_MODULE_SOURCES)
    ):
        frame["module"] = javascript_module(abs_path)
    filename = frame.get("filename")
    if isinstance(filename, str) and "?" in filename:
        frame["filename"] = filename.split("?", 1)[0]


def javascript_module(url: str) -> str:
    """A made-up module name from a script URL (`.../static/js/cart-5f2a9c1.js` -> `cart`)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        path = url
    path = posixpath.splitext(path)[0]
    if path.endswith(".min"):
        path = path[:-4]
    segments = path.split("/")
    for idx, segment in enumerate(segments):
        if _HASH_SEGMENT_RE.fullmatch(segment):
            return "/".join(segments[idx + 1 :]) or UNKNOWN_MODULE
    module = _JUNK_PREFIX_RE.sub("", path, count=1)
    return _COMMITISH_SUFFIX_RE.sub("", module) or UNKNOWN_MODULE


def _trim_function(frame: dict[str, Any], platform: str) -> None:
    function = frame.get("function")
    if frame.get("raw_function") is not None or not isinstance(function, str) or not function:
        return
    trimmed = trim_function_name(function, platform)
    if trimmed != function:
        frame["raw_function"] = function
        frame["function"] = trimmed
