"""Group commit: the requests of one process that arrive together share one write.

Every accepted envelope must be durable before its answer goes out. Written one by one, each
costs a statement, a commit and a WAL flush, and under load most of a request's time is that
wait. Here the first request to arrive becomes the leader: it writes its own row together with
every row queued while the previous write was running, in one statement, then wakes the
others and hands the lead to the first request that queued after its batch. Nothing is
answered before its own row is written, and a request alone (or a single-threaded test)
simply writes its own row: the batch is as large as the load makes it, with no timer.

Pure threading, no database: `write` is given a list of items and returns one error (or None)
per item, so that one bad row fails its own request only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class _Waiter(Generic[T]):
    __slots__ = ("error", "item", "lead", "ready")

    def __init__(self, item: T) -> None:
        self.item = item
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.lead = False  # set instead of a result: this request writes the next batch


class GroupCommit(Generic[T]):
    def __init__(
        self,
        write: Callable[[list[T]], Sequence[BaseException | None]],
        *,
        max_batch: int = 64,
        after: Callable[[], None] | None = None,
    ) -> None:
        self._write = write
        self._after = after  # run by the leader once its batch is answered (wake-ups)
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Waiter[T]] = []
        self._leading = False

    def submit(self, item: T) -> None:
        """Return once `item` is written; raise what writing it raised."""
        waiter = _Waiter(item)
        with self._lock:
            self._queue.append(waiter)
            # Without a leader the queue is empty, so this waiter heads it.
            lead = not self._leading
            self._leading = True
        if not lead:
            waiter.ready.wait()
        if waiter.lead or lead:
            self._lead()
        if waiter.error is not None:
            raise waiter.error

    def _lead(self) -> None:
        # The leader heads the queue: its own item is in the batch it takes.
        with self._lock:
            batch = self._queue[: self._max_batch]
            del self._queue[: self._max_batch]
        errors: Sequence[BaseException | None] = ()
        failure: BaseException | None = None
        try:
            errors = self._write([w.item for w in batch])
        except BaseException as e:
            failure = e
        finally:
            with self._lock:
                successor = self._queue[0] if self._queue else None
                self._leading = successor is not None
            if successor is not None:
                successor.lead = True
                successor.ready.set()
            for i, waiter in enumerate(batch):
                waiter.error = failure if failure is not None else errors[i]
                waiter.ready.set()
        if failure is None and self._after is not None:
            self._after()
