"""Recording outcomes: one multi-row upsert into the hourly buckets."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from tracker.models import Outcome


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
        hour = r.timestamp.replace(minute=0, second=0, microsecond=0)
        key = (hour, r.organization_id, r.project_id, r.key_id or 0, int(r.outcome),
               r.reason or "", int(r.category))
        buckets[key] += r.quantity
    if not buckets:
        return
    table = Outcome._meta.db_table
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(buckets))
    params: list = []
    for key, quantity in buckets.items():
        params.extend((*key, quantity))
    columns = ", ".join((*_COLUMNS, "quantity"))
    conflict = "hour, project_id, key_id, outcome, reason, category, organization_id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {rows} "  # noqa: S608
            f"ON CONFLICT ({conflict}) DO UPDATE SET quantity = {table}.quantity + "
            "excluded.quantity",
            params,
        )
