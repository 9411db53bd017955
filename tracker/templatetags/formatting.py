"""Compact numbers and ages for dense tables: `1.2k`, `3h ago`, and `when`: an age with the
absolute time, in the user's time zone (tracker.timezones), on hover."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

_STEPS = ((60, "s", 1), (3600, "m", 60), (86400, "h", 3600), (86400 * 30, "d", 86400),
          (86400 * 365, "mo", 86400 * 30))


@register.filter
def ago(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 10:
        return "just now"
    for limit, unit, size in _STEPS:
        if seconds < limit:
            return f"{seconds // size}{unit} ago"
    return f"{seconds // (86400 * 365)}y ago"


@register.filter
def compact(number: int | None) -> str:
    if number is None:
        return "0"
    for size, suffix in ((1_000_000_000, "b"), (1_000_000, "m"), (1_000, "k")):
        if number >= size:
            value = number / size
            text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return str(number)


@register.filter
def rate(fraction: float | None) -> str:
    """A rate (0..1) as a percentage to three decimals at most: 0.9 is `90%`, 13/14
    `92.857%`; no value (no sessions) is a dash."""
    if fraction is None:
        return "—"
    text = f"{fraction * 100:.3f}".rstrip("0").rstrip(".")
    return f"{text}%"


@register.filter
def when(moment: datetime | None) -> SafeString | str:
    """`<time>` showing how long ago, with the absolute time in the user's time zone as its
    tooltip and the exact instant (UTC offset included) as its `datetime`."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return format_html('<time datetime="{}" title="{}">{}</time>', local.isoformat(),
                       local.strftime("%Y-%m-%d %H:%M:%S %Z"), ago(moment))
