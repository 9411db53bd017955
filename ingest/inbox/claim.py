"""Claiming inbox rows for a digest worker: leases, renewing them, and giving up on a row."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ingest.models import InboxItem
from tracker import sql

logger = logging.getLogger(__name__)

# Short, so that the rows of a killed worker (or of a batch a database blip broke) are taken
# up again within half a minute; a batch that runs longer keeps its rows by renewing the lease
# as it goes (`renew`).
LEASE = timedelta(seconds=30)
MAX_ATTEMPTS = 5


def _claimable(now):
    return Q(attempts__lt=MAX_ATTEMPTS) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def claim(batch_size: int) -> list[InboxItem]:
    """Lease up to `batch_size` rows for this worker, oldest first.

    On PostgreSQL concurrent claimers skip each other's locked rows; SQLite runs one writer
    at a time, so the select-then-update cannot interleave there either.
    """
    now = timezone.now()
    until = now + LEASE
    if connection.vendor == "postgresql":
        return _claim_postgresql(now, until, batch_size)
    with transaction.atomic():
        rows = InboxItem.objects.filter(_claimable(now)).order_by("id")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        ids = list(rows.values_list("id", flat=True)[:batch_size])
        if not ids:
            return []
        InboxItem.objects.filter(id__in=ids).update(
            claimed_until=until, attempts=F("attempts") + 1
        )
    # Inline attachment bytes (up to 1 MiB a row) are read only when an event's attachments
    # are saved, one row at a time: a batch of 100 would otherwise hold them all at once.
    return list(InboxItem.objects.filter(id__in=ids).defer("attachment_data").order_by("id"))


def _claim_postgresql(now, until, batch_size: int) -> list[InboxItem]:
    """The same in one statement: pick, lock, lease and read the rows at once (the three
    statements and the transaction above cost a batch several times the CPU, mostly the
    ORM's)."""
    table = InboxItem._meta.db_table
    columns = sql.columns(
        [f for f in InboxItem._meta.concrete_fields if f.name != "attachment_data"])
    items = list(InboxItem.objects.raw(
        f"UPDATE {table} SET claimed_until = %s, attempts = attempts + 1 "  # noqa: S608
        f"WHERE id IN (SELECT id FROM {table} WHERE attempts < %s "
        "AND (claimed_until IS NULL OR claimed_until < %s) "
        "ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED) "
        f"RETURNING {columns}",
        [until, MAX_ATTEMPTS, now, batch_size],
    ))
    items.sort(key=lambda item: item.pk)  # RETURNING keeps no order
    return items


def renew(items: list[InboxItem]) -> None:
    """The heartbeat of a running batch: extend the lease on its rows once half of it is
    gone. The batch calls it before each step, so a healthy batch keeps its rows however
    long it runs, and it costs nothing while the lease is young (most batches take well
    under a second).

    Only rows still leased to this batch are extended: their `claimed_until` is still the
    value this batch set. A row whose lease ran out and that another worker claimed has a
    later one, and stays that worker's (digesting it twice is harmless, just wasted).
    """
    now = timezone.now()
    by_lease: dict[datetime, list[InboxItem]] = {}
    for item in items:
        if item.claimed_until is not None and item.claimed_until - now < LEASE / 2:
            by_lease.setdefault(item.claimed_until, []).append(item)
    until = now + LEASE
    for held, group in by_lease.items():
        renewed = InboxItem.objects.filter(
            id__in=[item.pk for item in group], claimed_until=held
        ).update(claimed_until=until)
        if renewed < len(group):
            logger.warning("%d inbox rows were claimed by another worker while this batch ran "
                           "(it was paused past its lease)", len(group) - renewed)
        for item in group:
            item.claimed_until = until


def attachment_data(item: InboxItem) -> bytes:
    """The inline attachment bytes of a claimed row, read on their own: a plain query, where
    loading the deferred field through the ORM costs several times the CPU per row."""
    if "attachment_data" in item.__dict__:
        return bytes(item.attachment_data or b"")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT attachment_data FROM {InboxItem._meta.db_table} WHERE id = %s",  # noqa: S608
            [item.pk],
        )
        row = cursor.fetchone()
    return bytes(row[0] or b"") if row else b""


def has_pending() -> bool:
    return InboxItem.objects.filter(_claimable(timezone.now())).exists()


def give_up(item: InboxItem, error: str) -> None:
    """Record why an item failed; after MAX_ATTEMPTS it stays, unclaimed, for an operator."""
    InboxItem.objects.filter(pk=item.pk).update(error=error[:4000], claimed_until=None)
    item.claimed_until = None  # no longer leased: renewing must leave it alone
