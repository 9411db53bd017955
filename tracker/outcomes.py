"""Recording outcomes: one multi-row upsert into the hourly buckets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from tracker import sql
from tracker.models import Outcome
from tracker.timeutil import floor_hour


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    timestamp: datetime
    organization_id: int
    project_id: int
    key_id: int | None
    outcome: int
    reason: str
    category: int
    quantity: int


_COLUMNS = ("hour", "organization_id", "project_id", "key_id", "outcome", "reason", "category")


def record_outcomes(records: Iterable[OutcomeRecord]) -> None:
    """Add the quantities to their hourly buckets, in one statement whatever the count.

    Bucket rows are summed in the database (`quantity = quantity + excluded.quantity`), so
    concurrent writers never lose an increment.
    """
    buckets: Counter[tuple] = Counter()
    for r in records:
        key = (floor_hour(r.timestamp), r.organization_id, r.project_id, r.key_id or 0,
               int(r.outcome), r.reason or "", int(r.category))
        buckets[key] += r.quantity
    sql.add(
        Outcome, (*_COLUMNS, "quantity"),
        [(*key, quantity) for key, quantity in sorted(buckets.items())],
        key=("hour", "project_id", "key_id", "outcome", "reason", "category",
             "organization_id"),
        sums=("quantity",),
    )
