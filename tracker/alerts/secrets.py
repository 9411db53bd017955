"""Secrets of alert actions, masked wherever a page shows them.

A webhook's signing secret and a Slack incoming-webhook URL (its path is the token) are never
shown whole: owners and admins see the first characters, other members nothing of them.
"""

from __future__ import annotations

from urllib.parse import urlsplit

HIDDEN = "••••"


def mask(secret: str) -> str:
    """The first 4 characters and an ellipsis; a short secret is hidden completely."""
    if not secret:
        return ""
    return f"{secret[:4]}…" if len(secret) > 8 else HIDDEN


def mask_url(url: str) -> str:
    """Scheme and host only: the path and query of a Slack webhook URL are its token."""
    if not url:
        return ""
    parts = urlsplit(url)
    if not parts.netloc:
        return HIDDEN
    return f"{parts.scheme}://{parts.netloc}/…"
