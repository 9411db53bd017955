"""Writing to the durable inbox and waking the digesters; claiming work for them."""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from ingest import sql
from ingest.group_commit import GroupCommit
from ingest.models import InboxItem
from tracker.redis_client import get_redis

logger = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)
MAX_ATTEMPTS = 5
WAKE_TTL_MS = 1000


_STORED_FIELDS = ("project_id", "key_id", "kind", "event_id", "received", "meta", "payload",
                  "attachments", "attachment_data", "attempts", "error")


@dataclass
class Row:
    """An accepted envelope on its way into the inbox: InboxItem's stored fields.

    A plain object rather than a model instance: on the ingest hot path, building an
    InboxItem cost about a sixth of handling the whole request.
    """

    project_id: int
    key_id: int
    kind: str  # InboxItem.Kind
    event_id: str | None
    received: datetime
    meta: dict[str, Any]
    payload: bytes = b""
    attachments: list[dict[str, Any]] = field(default_factory=list)
    attachment_data: bytes = b""
    attempts: int = 0
    error: str = ""


def store(item: Row) -> None:
    """Persist one accepted envelope; return once it is committed.

    Concurrent requests of this process share one INSERT and one commit (see group_commit):
    each returns when its own row is written, and on PostgreSQL flushed to the WAL. The
    writing request then wakes a digester, once per batch. A duplicate event id still
    waiting in the inbox inserts nothing.
    """
    _group.submit(params(item))


def params(item: Row) -> list:
    """The row's values, adapted for the database."""
    return [f.get_db_prep_save(getattr(item, f.attname), connection) for f in stored_fields()]


@functools.cache
def insert_sql(rows: int) -> str:
    stored = stored_fields()
    placeholders = "(" + ", ".join(["%s"] * len(stored)) + ")"
    return (
        f"INSERT INTO {InboxItem._meta.db_table} ({sql.columns(stored)}) "  # noqa: S608
        f"VALUES {', '.join([placeholders] * rows)} ON CONFLICT DO NOTHING"
    )


def flatten(rows: list[list]) -> list:
    return [value for row in rows for value in row]


def _write(rows: list[list]) -> list[BaseException | None]:
    """One statement for the batch, in autocommit: bulk_create would wrap it in BEGIN/COMMIT
    (three round trips instead of one). If it fails, each row is tried alone, so that a row
    the database refuses fails its own request and no other."""
    try:
        _insert(rows)
        return [None] * len(rows)
    except DatabaseError as error:
        if len(rows) == 1:
            return [error]
    errors: list[BaseException | None] = []
    for row in rows:
        try:
            _insert([row])
            errors.append(None)
        except DatabaseError as error:
            errors.append(error)
    return errors


def _insert(rows: list[list]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(insert_sql(len(rows)), flatten(rows))


def stored_fields():
    return sql.fields(InboxItem, _STORED_FIELDS)


def _wake_after_batch() -> None:
    # Looked up when called, so that tests can replace wake_digesters.
    wake_digesters()


# A batch is at most this many envelopes: bounded statements, and a bounded wait for the
# requests at the end of a long queue.
MAX_BATCH = 32
_group: GroupCommit[list] = GroupCommit(_write, max_batch=MAX_BATCH, after=_wake_after_batch)


# After a failed publish, don't try again for a while: a dead broker costs seconds per
# attempt, and ingest must keep answering fast. The sweep enqueues what waits meanwhile.
BROKER_RETRY_AFTER = 10.0
_broker_down_until = 0.0


def wake_digesters() -> None:
    """Enqueue a digest unless one is already due to run.

    With Redis, a short-lived flag debounces wake-ups: the digest task clears it *before* it
    looks for work, so a row committed after that look sets the flag again and gets its own
    wake-up. Without Redis every accepted envelope enqueues one (cheap on one machine).
    """
    if broker_resting():
        return
    client = get_redis()
    if client is not None:
        try:
            if not client.set(wake_flag(), b"1", nx=True, px=WAKE_TTL_MS):
                return
        except Exception:
            logger.warning("redis unavailable; enqueueing a digest anyway", exc_info=True)
    enqueue_digest()


def broker_resting() -> bool:
    return time.monotonic() < _broker_down_until


def enqueue_digest() -> None:
    global _broker_down_until
    from ingest import tasks  # tasks import the pipeline; keep the hot path import-light

    try:
        tasks.digest.apply_async(retry=False)
    except Exception:
        # The row is committed: the periodic sweep will enqueue it once the broker is back.
        _broker_down_until = time.monotonic() + BROKER_RETRY_AFTER
        logger.warning("broker unavailable; the inbox sweep will pick this up", exc_info=True)


def wake_flag() -> str:
    return f"{settings.REDIS_PREFIX}:digest-wake:{settings.CELERY_TASK_DEFAULT_QUEUE}"


def clear_wake_flag() -> None:
    client = get_redis()
    if client is not None:
        try:
            client.delete(wake_flag())
        except Exception:
            logger.warning("redis unavailable while clearing the wake flag", exc_info=True)


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
    statements and transaction above cost ~7 ms of a batch's CPU, mostly the ORM's)."""
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


def attachment_data(item: InboxItem) -> bytes:
    """The inline attachment bytes of a claimed row, read on their own: a plain query, where
    loading the deferred field through the ORM cost ~0.5 ms of CPU per row."""
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
