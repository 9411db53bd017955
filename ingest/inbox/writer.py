"""The inbox writer of the event loop (ingest/rsgi.py): group commit, no threads.

The one writer that batches: each request awaits its row's commit. While one INSERT is in
flight, the rows of the requests that arrive meanwhile wait in `_pending`; the next INSERT
takes them all. One statement, one commit and one WAL flush for many events, and no thread
handing the GIL back and forth with the event loop (under load that hand-off cost more than
the request itself: docs/decisions/2026-11-21-async-ingest.md).

PostgreSQL only (psycopg's async connection, one per server process). With another database
each row is stored by `row.store` in a thread. If the batch's statement fails, each row is
tried alone, so that a row the database refuses fails its own request and no other.
"""

from __future__ import annotations

import asyncio
import logging

import psycopg
import redis.asyncio as aioredis
from django.conf import settings
from django.db import connection

from ingest import threads
from ingest.inbox import row, wake
from ingest.models import InboxItem
from tracker import sql

logger = logging.getLogger(__name__)


# A batch is at most this many envelopes: bounded statements, and a bounded wait for the
# requests at the end of a long queue.
MAX_BATCH = 32
# Seconds between two wake-ups from one process: the longest a committed row can wait for
# its digest to be enqueued, on top of the digest's own latency.
WAKE_INTERVAL = 0.05


class Writer:
    def __init__(self) -> None:
        # Read once: Django's connection objects are context-local, slow to reach from a loop.
        self._postgresql = "postgresql" in settings.DATABASES["default"]["ENGINE"]
        self._pending: list[tuple[tuple, asyncio.Future]] = []
        self._draining: asyncio.Task | None = None
        self._connection: psycopg.AsyncConnection | None = None
        self._wake_again = False
        self._next_wake = 0.0
        self._trailing_wake: asyncio.TimerHandle | None = None
        self._waking: asyncio.Task | None = None
        self._redis: aioredis.Redis | None = None

    async def store(self, item: row.Row) -> None:
        """Return once `item` is committed; raise what the database raised for it."""
        if not self._postgresql:
            await threads.run(row.store, item)
            return
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        self._pending.append((item.values(), done))
        if self._draining is None or self._draining.done():
            self._draining = loop.create_task(self._drain())
        await done

    async def settle(self) -> None:
        """Let in-flight writes and wake-ups finish, the deferred wake-up included."""
        if self._trailing_wake is not None:
            self._trailing_wake.cancel()
            self._wake_now()
        for task in (self._draining, self._waking):
            if task is not None and not task.done():
                await asyncio.wait([task])

    async def close(self) -> None:
        """At shutdown: finish what is in flight, then close the connections."""
        await self.settle()
        if self._connection is not None:
            await self._connection.close()
            self._connection = None
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: MAX_BATCH]
            del self._pending[: MAX_BATCH]
            try:
                errors = await self._write([params for params, _ in batch])
            except BaseException as e:  # cancelled, or a bug: no request may wait forever
                for _, done in batch:
                    if not done.done():
                        done.set_exception(e if isinstance(e, Exception) else RuntimeError(e))
                raise
            for (_, done), error in zip(batch, errors, strict=True):
                if error is None:
                    done.set_result(None)
                else:
                    done.set_exception(error)
            if any(error is None for error in errors):
                self._wake()

    async def _write(self, rows: list[tuple]) -> list[Exception | None]:
        """One statement for the batch, or each row alone if that fails."""
        try:
            await self._insert(rows)
            return [None] * len(rows)
        except psycopg.Error as error:
            if len(rows) == 1:
                return [error]
        errors: list[Exception | None] = []
        for one in rows:
            try:
                await self._insert([one])
                errors.append(None)
            except psycopg.Error as error:
                errors.append(error)
        return errors

    async def _insert(self, rows: list[tuple]) -> None:
        if self._connection is None or self._connection.closed:
            self._connection = None
            options = connection.get_connection_params()
            options.pop("cursor_factory", None)  # Django's sync cursor class
            self._connection = await psycopg.AsyncConnection.connect(**options, autocommit=True)
        statement, params = sql.insert_statement(
            InboxItem, row.COLUMNS, rows, on_conflict=row.ON_CONFLICT, vendor="postgresql",
            arrays=row.ARRAYS)
        try:
            await self._connection.execute(statement, params)
        except psycopg.OperationalError:
            # The connection may be gone (database restarted): start a new one next time.
            connection_, self._connection = self._connection, None
            await connection_.close()
            raise

    def _wake(self) -> None:
        """wake.wake_digesters for the event loop, at most once per WAKE_INTERVAL.

        Under load every batch would ask Redis whether a digest is due; once per interval is
        enough, provided the rows committed in between are covered: the wake skipped now
        runs when the interval ends. The flag is set with an async Redis client, and only when
        it was not set already does a thread publish the task (Celery's client is sync).
        """
        loop = asyncio.get_running_loop()
        if loop.time() < self._next_wake:
            if self._trailing_wake is None:
                self._trailing_wake = loop.call_at(self._next_wake, self._wake_now)
            return
        self._wake_now()

    def _wake_now(self) -> None:
        loop = asyncio.get_running_loop()
        self._trailing_wake = None
        self._next_wake = loop.time() + WAKE_INTERVAL
        self._wake_again = True
        if self._waking is None or self._waking.done():
            self._waking = loop.create_task(self._wake_loop())

    async def _wake_loop(self) -> None:
        while self._wake_again:
            self._wake_again = False
            if wake.broker_resting() or not await self._set_wake_flag():
                continue
            try:
                await threads.run(wake.enqueue_digest)
            except Exception:
                logger.exception("could not wake the digesters; the sweep will")

    async def _set_wake_flag(self) -> bool:
        """True unless the flag was already set (a digest is due to run anyway)."""
        if not settings.REDIS_URL:
            return True
        if self._redis is None:
            self._redis = aioredis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        try:
            return bool(
                await self._redis.set(wake.flag(), b"1", nx=True, px=wake.FLAG_TTL_MS)
            )
        except Exception:
            logger.warning("redis unavailable; enqueueing a digest anyway", exc_info=True)
            return True

