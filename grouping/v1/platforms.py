"""Platform families and URL tests shared by several grouping steps."""

from __future__ import annotations

NATIVE_PLATFORMS = frozenset({"native", "c", "cocoa", "objc", "swift"})
JAVASCRIPT_PLATFORMS = frozenset({"javascript", "node"})

# Platform -> family; anything else is "other".
FAMILIES = {p: "native" for p in NATIVE_PLATFORMS} | {p: "javascript" for p in JAVASCRIPT_PLATFORMS}

_URL_PREFIXES = ("http:", "https:", "applewebdata:", "blob:")
_URL_FRAME_PREFIXES = ("file:", "http:", "https:", "applewebdata:", "blob:")


def family(platform: str | None) -> str:
    """`native`, `javascript` or `other`, the families stack-trace rules test."""
    return FAMILIES.get(platform or "", "other")


def has_url_origin(path: str | None, *, file_is_url: bool) -> bool:
    """Whether an abs_path came from a URL; `file:` counts only when asked to."""
    if not path:
        return False
    if path.startswith(_URL_PREFIXES):
        return True
    return file_is_url and path.startswith("file:")


def is_url(path: str | None) -> bool:
    """The frame URL test of the single-frame JavaScript rule (`file:` included)."""
    return path is not None and path.startswith(_URL_FRAME_PREFIXES)
