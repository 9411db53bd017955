"""The outcome stats page: what happened to what a project's SDKs sent.

Read from the hourly Outcome buckets with two GROUP BY queries: totals per category,
outcome and reason for 24 hours and 30 days at once (conditional sums), and events per day
and outcome for the chart.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Q, Sum
from django.db.models.functions import TruncDay
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ingest.public import category_name
from tracker.access import project_access
from tracker.models import Outcome, OutcomeKind
from tracker.timeutil import floor_hour

OUTCOME_COLUMNS = [
    (OutcomeKind.ACCEPTED, "Accepted"),
    (OutcomeKind.FILTERED, "Filtered"),
    (OutcomeKind.RATE_LIMITED, "Rate limited"),
    (OutcomeKind.INVALID, "Invalid"),
    (OutcomeKind.CLIENT_DISCARD, "Client discard"),
    (OutcomeKind.ABUSE, "Abuse"),
    (OutcomeKind.CARDINALITY_LIMITED, "Cardinality limited"),
]
_LABELS = dict(OUTCOME_COLUMNS)
# Shown only when something was counted there: self-hosted setups rarely have any.
OPTIONAL = {OutcomeKind.ABUSE, OutcomeKind.CARDINALITY_LIMITED}
# Categories counted in bytes rather than items.
BYTE_CATEGORIES = {"attachment", "log_byte"}
# Events, for the chart: error, default (messages) and security reports.
EVENT_CATEGORIES = (0, 1, 3)
CHART_DAYS = 30
CHART_HEIGHT = 120
BAR_WIDTH = 26
BAR_GAP = 8


@dataclass
class CategoryRow:
    category: str
    columns: list[int]
    day: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    month: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    @property
    def in_bytes(self) -> bool:
        return self.category in BYTE_CATEGORIES

    @property
    def pairs(self) -> list[tuple[int, int]]:
        """(last 24 h, last 30 days) per outcome column."""
        return [(self.day.get(kind, 0), self.month.get(kind, 0)) for kind in self.columns]


@login_required
@require_GET
def stats(request, org_slug: str, project_slug: str):
    access = project_access(request.user, org_slug, project_slug)
    now = timezone.now()
    hour = floor_hour(now)
    since_day = hour - timedelta(hours=23)
    since_month = hour - timedelta(days=CHART_DAYS - 1, hours=hour.hour)
    buckets = Outcome.objects.filter(project_id=access.project.pk, hour__gte=since_month)

    totals = (
        buckets.values("category", "outcome", "reason")
        .annotate(month=Sum("quantity"), day=Sum("quantity", filter=Q(hour__gte=since_day)))
        .order_by("category", "outcome", "reason")
    )
    totals = list(totals)
    present = {row["outcome"] for row in totals}
    columns = [(k, label) for k, label in OUTCOME_COLUMNS if k not in OPTIONAL or k in present]
    categories, reasons = _tables(totals, [k for k, _ in columns])
    per_day = (
        buckets.filter(category__in=EVENT_CATEGORIES)
        .annotate(day=TruncDay("hour"))
        .values("day", "outcome")
        .annotate(total=Sum("quantity"))
        .order_by("day")
    )
    context = {
        "project": access.project, "org": access.project.organization,
        "can_manage": access.can_manage, "tab": "stats",
        "columns": [label for _, label in columns],
        "categories": categories, "reasons": reasons,
        "chart": _chart(per_day, since_month.date()),
        "legend": [(kind.api_name, label) for kind, label in columns],
    }
    return render(request, "stats/stats.html", context)


def _tables(totals, columns: list[int]) -> tuple[list[CategoryRow], list[dict]]:
    by_category: dict[str, CategoryRow] = {}
    reasons = []
    for row in totals:
        name = category_name(row["category"])
        entry = by_category.setdefault(name, CategoryRow(name, columns))
        entry.day[row["outcome"]] += row["day"] or 0
        entry.month[row["outcome"]] += row["month"] or 0
        if row["outcome"] != OutcomeKind.ACCEPTED:
            reasons.append({
                "outcome": _LABELS.get(row["outcome"], str(row["outcome"])),
                "category": name, "reason": row["reason"] or "—",
                "day": row["day"] or 0, "month": row["month"] or 0,
                "in_bytes": name in BYTE_CATEGORIES,
            })
    return sorted(by_category.values(), key=lambda r: r.category), reasons


def _chart(per_day, first_day: date) -> dict:
    """Stacked bars, one per day, in SVG coordinates computed here: no chart library."""
    counts: dict[date, dict[int, int]] = defaultdict(dict)
    for row in per_day:
        day = row["day"].date() if isinstance(row["day"], datetime) else row["day"]
        counts[day][row["outcome"]] = row["total"]
    days = [first_day + timedelta(days=i) for i in range(CHART_DAYS)]
    peak = max((sum(c.values()) for c in counts.values()), default=0)
    bars = []
    for i, day in enumerate(days):
        x = i * (BAR_WIDTH + BAR_GAP)
        y = CHART_HEIGHT
        segments = []
        for kind, label in OUTCOME_COLUMNS:
            value = counts.get(day, {}).get(kind, 0)
            if not value:
                continue
            height = max(1.0, value / peak * CHART_HEIGHT)
            y -= height
            segments.append({"kind": kind.api_name, "label": label, "value": value,
                             "y": round(y, 2), "height": round(height, 2)})
        bar = {"x": x, "day": day, "segments": segments,
               "total": sum(counts.get(day, {}).values())}
        days_ago = CHART_DAYS - 1 - i
        if days_ago % 7 == 0:  # a label a week, counted back from today
            last = days_ago == 0
            bar["label"] = {"x": x + (BAR_WIDTH if last else BAR_WIDTH / 2),
                            "anchor": "end" if last else "middle"}
        bars.append(bar)
    return {"bars": bars, "peak": peak, "height": CHART_HEIGHT, "bar_width": BAR_WIDTH,
            "width": CHART_DAYS * (BAR_WIDTH + BAR_GAP) - BAR_GAP}
