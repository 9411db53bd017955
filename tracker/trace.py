"""How the issue page shows a stack trace: all frames or the app's only, newest or oldest
call first, formatted or as plain text to paste into a bug report.

The choice travels in the page's query string (`frames=app`, `order=newest`, `view=raw`), so
it survives event navigation, Back and a shared link, and works without JavaScript. These
functions work on exceptions as the event templates shape them (tracker.templatetags.events).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.http import QueryDict


@dataclass(frozen=True)
class TraceView:
    app_only: bool = False
    newest_first: bool = False
    raw: bool = False

    @classmethod
    def from_query(cls, data: QueryDict) -> TraceView:
        return cls(app_only=data.get("frames") == "app",
                   newest_first=data.get("order") == "newest",
                   raw=data.get("view") == "raw")

    @property
    def query(self) -> str:
        """This view as a query string ("" for the default), with its leading "?"."""
        params = {"frames": "app" if self.app_only else "",
                  "order": "newest" if self.newest_first else "",
                  "view": "raw" if self.raw else ""}
        encoded = urlencode({k: v for k, v in params.items() if v})
        return f"?{encoded}" if encoded else ""

    # The controls' links: this view with one choice changed.
    @property
    def all_frames(self) -> str:
        return replace(self, app_only=False).query or "?"

    @property
    def app_frames(self) -> str:
        return replace(self, app_only=True).query

    @property
    def oldest(self) -> str:
        return replace(self, newest_first=False).query or "?"

    @property
    def newest(self) -> str:
        return replace(self, newest_first=True).query

    @property
    def formatted(self) -> str:
        return replace(self, raw=False).query or "?"

    @property
    def raw_text(self) -> str:
        return replace(self, raw=True).query


def arranged_frames(frames: list[dict], trace: TraceView) -> tuple[list[dict], int]:
    """The frames to show, and how many system frames were left out.

    With no frame of the app's own, "app frames only" would show nothing: all frames stay.
    """
    shown = frames
    if trace.app_only and any(f["in_app"] for f in frames):
        shown = [f for f in frames if f["in_app"]]
    hidden = len(frames) - len(shown)
    return (shown[::-1] if trace.newest_first else shown), hidden


def _arrange(exc: dict, trace: TraceView) -> dict:
    exc["frames"], exc["hidden"] = arranged_frames(exc["frames"], trace)
    return exc


def arrange_chain(chain: list[dict], trace: TraceView) -> list[dict]:
    """A cause chain: newest first also puts the exception that was raised last on top."""
    chain = [_arrange(exc, trace) for exc in chain]
    return chain[::-1] if trace.newest_first else chain


def arrange_tree(node: dict, trace: TraceView) -> dict:
    _arrange(node, trace)
    for child in node["members"] + node["causes"]:
        arrange_tree(child, trace)
    return node


def _frame_lines(frame: dict) -> list[str]:
    where = f'  File "{frame["filename"]}"'
    if frame["lineno"]:
        where += f", line {frame['lineno']}"
    lines = [f"{where}, in {frame['function']}"]
    current = next((line["text"] for line in frame["lines"] if line["current"]), "")
    if current.strip():
        lines.append(f"    {current.strip()}")
    return lines


def _exception_lines(exc: dict, trace: TraceView) -> list[str]:
    head = exc["type"] + (f": {exc['value']}" if exc["value"] else "")
    frames = [line for frame in exc["frames"] for line in _frame_lines(frame)]
    if not frames:
        return [head]
    if trace.newest_first:
        return [head, "Traceback (most recent call first):", *frames]
    return ["Traceback (most recent call last):", *frames, head]


def raw_chain(chain: list[dict], trace: TraceView) -> str:
    """Plain text of an arranged cause chain, for pasting into a bug report."""
    link = ("The above exception was caused by:" if trace.newest_first
            else "The above exception was the direct cause of the following exception:")
    blocks = ["\n".join(_exception_lines(exc, trace)) for exc in chain]
    return f"\n\n{link}\n\n".join(blocks)


def raw_tree(root: dict, trace: TraceView) -> str:
    """Plain text of an arranged exception group: each exception indented under its group."""
    out: list[str] = []

    def walk(node: dict, depth: int, label: str) -> None:
        pad = "  " * depth
        if label:
            out.append(f"{pad}[{label}]")
        out.extend(pad + line for line in _exception_lines(node, trace))
        for n, member in enumerate(node["members"], 1):
            out.append("")
            walk(member, depth + 1, f"member {n} of {len(node['members'])}")
        for cause in node["causes"]:
            out.append("")
            walk(cause, depth + 1, cause.get("link", ""))

    walk(root, 0, "")
    return "\n".join(out)
