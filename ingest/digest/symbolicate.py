"""JavaScript symbolication: minified frames mapped back to what the developer wrote, through
the source maps sentry-cli uploaded (docs/sourcemaps.md).

Runs in `prepare`, after normalization and before grouping, so issues group on original
files, functions and source lines and the same bug in two builds is one issue. For each
frame the source map is found by the debug ID the SDK reports for the frame's file
(`debug_meta.images`), else by the event's release and dist and the file's URL (`~/path`
matching any host). A frame that maps gets the original abs_path, filename, function,
lineno, colno, source context and in_app; its minified values stay in `data.minified`
(`data.sourcemap` names the map, as in Sentry, and grouping reads it). A frame that cannot
be mapped stays minified and the event gets an `errors` entry saying why (Sentry's types:
js_no_source, js_invalid_source, js_too_large, js_invalid_sourcemap_location,
js_missing_sources_content). Symbolication never fails an event and never retries.

Parsed maps are kept per process, least recently used first out, up to SOURCEMAP_CACHE_SIZE
bytes (counting the files' sizes), so a burst of events from one bundle parses its map once.
"""

from __future__ import annotations

import logging
import posixpath
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from symbolic.sourcemap import SourceMapView, SourceView

from tracker import artifact_bundles
from tracker.models import ArtifactBundle, ArtifactFile, Project

logger = logging.getLogger(__name__)

# Browser SDKs send `javascript`, @sentry/node sends `node`: both run bundled, mapped code.
PLATFORMS = ("javascript", "node")
CONTEXT_LINES = 5
MAX_CONTEXT_LINE = 500  # a minified line is no context; original lines this long are cut
MAX_ERRORS = 10
# Original paths that are not the application's code: dependencies and bundler runtime.
_NOT_IN_APP = re.compile(
    r"(^|/)node_modules/|^webpack/(bootstrap|runtime)|^\(webpack\)|^webpack:///?(webpack|\(webpack\))"
    r"|^webpack:///~/|/@vite/|^vite/|^\x00|^commonjsHelpers|^/?__vite|^\(disabled\)"
)
_WEBPACK_PREFIX = re.compile(r"^webpack://[^/]*/")


def symbolicate(event: dict[str, Any], project: Project) -> None:
    """Map the event's JavaScript frames in place; add `errors` for those that stay minified."""
    if event.get("platform") not in PLATFORMS:
        return
    frames = list(_frames(event))
    if not frames:
        return
    run = _Run(event, project)
    for frame in frames:
        try:
            run.frame(frame)
        except Exception:
            # A bug, or storage failing: this frame stays minified, the event is stored.
            logger.exception("could not symbolicate a frame of event %s", event.get("event_id"))
            run.error({"type": "js_invalid_source", "url": _url(frame),
                       "reason": "server error"})
    if run.errors:
        event["errors"] = [*(event.get("errors") or []), *run.errors[:MAX_ERRORS]]


def _frames(event: dict[str, Any]):
    for container in ("exception", "threads"):
        for value in (event.get(container) or {}).get("values") or []:
            frames = ((value or {}).get("stacktrace") or {}).get("frames") or []
            for frame in frames:
                if (isinstance(frame, dict) and _url(frame)
                        and isinstance(frame.get("lineno"), int)
                        and isinstance(frame.get("colno"), int)):
                    yield frame


def _url(frame: dict[str, Any]) -> str:
    """The frame's script URL: browser SDKs send it as `filename` only, others as
    `abs_path` (Sentry reads the one as the other when abs_path is missing)."""
    value = frame.get("abs_path") or frame.get("filename")
    return value if isinstance(value, str) else ""


@dataclass
class _Source:
    """The map a minified file resolves to, or why it does not."""

    parsed: _ParsedMap | None = None
    map_url: str = ""
    resolved_with: str = ""
    error: dict[str, Any] | None = None


@dataclass
class _Run:
    event: dict[str, Any]
    project: Project
    sources: dict[str, _Source] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    reported: set[tuple] = field(default_factory=set)

    def __post_init__(self) -> None:
        images = (self.event.get("debug_meta") or {}).get("images") or []
        self.debug_ids = {
            image["code_file"]: image["debug_id"] for image in images
            if isinstance(image, dict) and image.get("type") == "sourcemap"
            and isinstance(image.get("code_file"), str) and isinstance(image.get("debug_id"), str)
        }

    def error(self, error: dict[str, Any]) -> None:
        key = tuple(sorted((k, str(v)) for k, v in error.items()))
        if key not in self.reported:
            self.reported.add(key)
            self.errors.append(error)

    def frame(self, frame: dict[str, Any]) -> None:
        abs_path = _url(frame)
        if abs_path not in self.sources:
            self.sources[abs_path] = self._resolve(abs_path)
        source = self.sources[abs_path]
        if source.error is not None:
            self.error(source.error)
            return
        if source.parsed is None:
            return
        _apply(frame, source, self)

    def _resolve(self, abs_path: str) -> _Source:
        debug_id = self.debug_ids.get(abs_path)
        release = str(self.event.get("release") or "")
        dist = str(self.event.get("dist") or "")
        found = _find_by_debug_id(self.project, debug_id) if debug_id else None
        how = "debug-id"
        if found is None and release:
            found, how = _find_by_url(self.project, release, dist, abs_path), "release"
        if found is None:
            if not debug_id and not _looks_like_script(abs_path):
                # The page itself (inline handlers), `<anonymous>`, `native`: no map expected.
                return _Source()
            error = {"type": "js_no_source", "url": abs_path}
            if debug_id:
                error["debug_id"] = debug_id
            if release:
                error.update(release=release, dist=dist)
            return _Source(error=error)
        map_file, minified = found
        limit = settings.ERRATA["SOURCEMAP_MAX_SIZE"]
        if map_file.size > limit or (minified is not None and minified.size > limit):
            return _Source(error={"type": "js_too_large", "url": map_file.url or abs_path,
                                  "max_size": limit})
        try:
            parsed = _parsed(map_file, minified)
        except _InvalidMap as bad:
            return _Source(error={"type": "js_invalid_source", "url": map_file.url or abs_path,
                                  "reason": str(bad)})
        return _Source(parsed, map_file.url or abs_path, how)


_SCRIPT = re.compile(r"\.(js|mjs|cjs|jsx|ts|tsx|bundle)$", re.IGNORECASE)


def _looks_like_script(abs_path: str) -> bool:
    return bool(_SCRIPT.search(urlsplit(abs_path).path))


# -- finding the files ------------------------------------------------------------------------


def _ok_files(project: Project):
    return ArtifactFile.objects.select_related("bundle").filter(
        bundle__projects=project, bundle__state=ArtifactBundle.State.OK,
    ).order_by("-bundle__created", "-pk")


def _find_by_debug_id(project: Project, debug_id: str):
    parsed = artifact_bundles.parse_uuid(debug_id)
    if parsed is None:
        return None
    files = {f.type: f for f in reversed(_ok_files(project).filter(
        debug_id=parsed, type__in=[artifact_bundles.SOURCE_MAP,
                                     artifact_bundles.MINIFIED_SOURCE])[:4])}
    if artifact_bundles.SOURCE_MAP not in files:
        return None
    return files[artifact_bundles.SOURCE_MAP], files.get(artifact_bundles.MINIFIED_SOURCE)


def url_candidates(abs_path: str) -> list[str]:
    """The URLs an uploaded file may carry for this frame's file: the full URL, without
    query or fragment, and `~/path` (any host), as sentry-cli writes them."""
    bare = abs_path.split("#", 1)[0]
    candidates = [abs_path, bare.split("?", 1)[0]]
    parts = urlsplit(bare)
    if parts.scheme and parts.path:
        candidates.append("~" + parts.path)
    elif bare.startswith("/"):
        candidates.append("~" + bare.split("?", 1)[0])
    return list(dict.fromkeys(candidates))


def _find_by_url(project: Project, release: str, dist: str, abs_path: str):
    files = _ok_files(project).filter(bundle__release=release, bundle__dist=dist)
    candidates = url_candidates(abs_path)
    minified = next(iter(files.filter(url__in=candidates,
                                      type=artifact_bundles.MINIFIED_SOURCE)[:1]), None)
    if minified is not None:
        names = [minified.url + ".map"]
        if minified.sourcemap:
            # Relative to the minified file's URL; `~/` is a path on any host.
            base = minified.url[1:] if minified.url.startswith("~/") else minified.url
            joined = urljoin(base, minified.sourcemap)
            names += url_candidates("~" + joined if joined.startswith("/") else joined)
        map_file = next(iter(files.filter(bundle=minified.bundle, url__in=names,
                                          type=artifact_bundles.SOURCE_MAP)[:1]), None)
        if map_file is None and minified.debug_id:
            found = _find_by_debug_id(project, str(minified.debug_id))
            return found
        return (map_file, minified) if map_file is not None else None
    # No minified file uploaded, only its map, named after it.
    map_file = next(iter(files.filter(url__in=[c + ".map" for c in candidates],
                                      type=artifact_bundles.SOURCE_MAP)[:1]), None)
    return (map_file, None) if map_file is not None else None


# -- parsed maps, cached ----------------------------------------------------------------------


class _InvalidMap(Exception):
    pass


class _ParsedMap:
    __slots__ = ("functions", "lines", "minified", "size", "view")

    def __init__(self, view: SourceMapView, minified: SourceView | None, size: int):
        self.view, self.minified, self.size = view, minified, size
        self.lines: dict[int, list[str] | None] = {}  # source id -> its lines
        # (line, column, minified name) -> original enclosing function. Resolving it reads
        # the minified source up to the position: worth remembering for a burst of events.
        self.functions: OrderedDict[tuple, str | None] = OrderedDict()

    def source_lines(self, src_id: int) -> list[str] | None:
        if src_id not in self.lines:
            view = self.view.get_sourceview(src_id)
            text = view.get_source() if view is not None else None
            self.lines[src_id] = text.splitlines() if text is not None else None
        return self.lines[src_id]

    def lookup(self, line: int, column: int, minified_name: str | None):
        # V8 qualifies names (`Object.b`, `HTMLButtonElement.onclick`); the minified source
        # declares the last part.
        minified_name = (minified_name or "").rsplit(".", 1)[-1]
        if self.minified is None or not minified_name or "<" in minified_name:
            return self.view.lookup(line, column), None
        key = (line, column, minified_name)
        if key in self.functions:
            self.functions.move_to_end(key)
            return self.view.lookup(line, column), self.functions[key]
        token = self.view.lookup(line, column, minified_name, self.minified)
        self.functions[key] = token.function_name if token is not None else None
        if len(self.functions) > 10000:
            self.functions.popitem(last=False)
        return token, self.functions[key]


class _Cache:
    """Parsed maps by bundle checksum and member (content never changes under a checksum),
    bounded by bytes."""

    def __init__(self) -> None:
        self.entries: OrderedDict[tuple, _ParsedMap] = OrderedDict()
        self.size = 0
        self.lock = threading.Lock()

    def get(self, key: tuple) -> _ParsedMap | None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is not None:
                self.entries.move_to_end(key)
            return entry

    def put(self, key: tuple, entry: _ParsedMap) -> None:
        limit = settings.ERRATA["SOURCEMAP_CACHE_SIZE"]
        with self.lock:
            if key in self.entries or entry.size > limit:
                return
            self.entries[key] = entry
            self.size += entry.size
            while self.size > limit:
                _, old = self.entries.popitem(last=False)
                self.size -= old.size

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.size = 0


cache = _Cache()


def _parsed(map_file: ArtifactFile, minified: ArtifactFile | None) -> _ParsedMap:
    # Keyed by content: a bundle's checksum and the members' names.
    key = (map_file.bundle.checksum, map_file.path,
           (minified.bundle.checksum, minified.path) if minified is not None else None)
    entry = cache.get(key)
    if entry is not None:
        return entry
    data = artifact_bundles.read_artifact(map_file)
    try:
        view = SourceMapView.from_json_bytes(data)
    except Exception as error:  # symbolic raises its own error types for bad maps
        raise _InvalidMap(str(error) or type(error).__name__) from None
    source = None
    size = len(data)
    if minified is not None:
        code = artifact_bundles.read_artifact(minified)
        source, size = SourceView.from_bytes(code), size + len(code)
    entry = _ParsedMap(view, source, size)
    cache.put(key, entry)
    return entry


# -- one frame --------------------------------------------------------------------------------


def _apply(frame: dict[str, Any], source: _Source, run: _Run) -> None:
    parsed = source.parsed
    assert parsed is not None
    line, column = frame["lineno"] - 1, frame["colno"] - 1
    token, function = parsed.lookup(line, column, frame.get("function"))
    if token is None or token.src is None:
        run.error({"type": "js_invalid_sourcemap_location", "url": _url(frame),
                   "row": frame["lineno"], "column": frame["colno"]})
        return
    minified = {k: frame[k] for k in ("abs_path", "filename", "function", "lineno", "colno",
                                      "in_app", "context_line") if frame.get(k) is not None}
    abs_path = _original_path(token.src, _url(frame))
    frame["abs_path"] = abs_path
    frame["filename"] = _filename(abs_path)
    if function:
        frame["function"] = function
    frame["lineno"], frame["colno"] = token.src_line + 1, token.src_col + 1
    frame["in_app"] = not _NOT_IN_APP.search(token.src) and not _NOT_IN_APP.search(abs_path)
    for key in ("context_line", "pre_context", "post_context"):
        frame.pop(key, None)
    lines = parsed.source_lines(token.src_id) if token.src_id is not None else None
    if lines is None:
        run.error({"type": "js_missing_sources_content", "source": token.src,
                   "url": source.map_url})
    elif token.src_line < len(lines):
        n = token.src_line
        frame["pre_context"] = [_cut(x) for x in lines[max(0, n - CONTEXT_LINES):n]]
        frame["context_line"] = _cut(lines[n])
        frame["post_context"] = [_cut(x) for x in lines[n + 1:n + 1 + CONTEXT_LINES]]
    data = frame.get("data")
    data = data if isinstance(data, dict) else {}
    frame["data"] = {**data, "symbolicated": True, "sourcemap": source.map_url,
                     "resolved_with": source.resolved_with, "minified": minified}


def _cut(line: str) -> str:
    return line if len(line) <= MAX_CONTEXT_LINE else line[:MAX_CONTEXT_LINE] + "…"


def _original_path(src: str, minified_url: str) -> str:
    """The original file's path: as the map names it when absolute (`webpack://...`,
    `http://...`), else relative to the minified file's URL, as Sentry joins it."""
    if re.match(r"^[a-zA-Z][\w+.-]*:", src):
        return src
    if src.startswith("/"):
        parts = urlsplit(minified_url)
        return f"{parts.scheme}://{parts.netloc}{src}" if parts.scheme else src
    return urljoin(minified_url, src)


def _filename(abs_path: str) -> str:
    """What the page shows: the path without scheme and host, without webpack's prefix."""
    if abs_path.startswith("webpack:"):
        name = _WEBPACK_PREFIX.sub("", abs_path)
        return name[2:] if name.startswith("./") else name
    parts = urlsplit(abs_path)
    if parts.scheme and parts.netloc:
        return posixpath.normpath(parts.path) if parts.path else abs_path
    return abs_path
