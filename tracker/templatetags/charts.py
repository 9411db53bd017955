"""Inline SVG charts from hourly counts: no JavaScript, no chart library.

Only numbers reach the SVG, formatted by format_html, so nothing from an event can inject
markup here.
"""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def sparkline(counts: Sequence[int], width: int = 120, height: int = 24,
              label: str = "24 hours") -> SafeString:
    """One bar per bucket (hour or day), oldest first, scaled to the busiest; `label` says
    what the bars cover."""
    if not counts:
        counts = [0] * 24
    peak = max(counts) or 1
    step = width / len(counts)
    bars = []
    for index, count in enumerate(counts):
        bar = round(count / peak * (height - 2), 1) if count else 0
        if bar:
            bars.append((round(index * step, 1), round(height - bar, 1),
                         round(max(step - 1, 1), 1), bar))
    total = sum(counts)
    return format_html(
        '<svg class="spark" width="{}" height="{}" viewBox="0 0 {} {}" role="img" '
        'aria-label="{} events in {}"><line x1="0" y1="{}" x2="{}" y2="{}" '
        'class="base"/>{}</svg>',
        width, height, width, height, total, label, height - 0.5, width, height - 0.5,
        format_html_join("", '<rect x="{}" y="{}" width="{}" height="{}"/>', bars),
    )


@register.simple_tag
def bar_chart(days: Sequence[tuple[str, int]], width: int = 280, height: int = 64) -> SafeString:
    """Daily bars with a tooltip each: `days` is [(label, count)], oldest first."""
    if not days:
        return format_html("")
    peak = max(count for _, count in days) or 1
    step = width / len(days)
    bars = format_html_join(
        "",
        '<g><title>{}: {} events</title><rect x="{}" y="{}" width="{}" height="{}"/></g>',
        (
            (label, count, round(i * step + 1, 1),
             round(height - 14 - (count / peak * (height - 16)), 1) if count else height - 15,
             round(step - 2, 1), round(count / peak * (height - 16), 1) if count else 1)
            for i, (label, count) in enumerate(days)
        ),
    )
    return format_html(
        '<svg class="daychart" width="100%" height="{}" viewBox="0 0 {} {}" '
        'preserveAspectRatio="none" role="img" aria-label="events per day">{}'
        '<text x="0" y="{}">{}</text><text x="{}" y="{}" text-anchor="end">{}</text></svg>',
        height, width, height, bars, height - 2, days[0][0], width, height - 2, days[-1][0],
    )
