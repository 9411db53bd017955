"""An accepted envelope as an inbox row, and the plain way to store one.

The web process stores rows through `ingest.inbox.writer` on the event loop, where concurrent
requests share one INSERT. Everything else that stores a row (Django's views under WSGI or the
test client, the sample-event button, SQLite behind the loop) uses `store`: one row, one
statement, then a wake-up for the digesters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingest.inbox import wake
from ingest.models import InboxItem
from tracker import sql

# The columns a new row sets, in Row's field order.
COLUMNS = ("project_id", "key_id", "kind", "event_id", "received", "meta", "payload",
           "attachments", "attachment_data", "attempts", "error")
# A duplicate event id still waiting in the inbox inserts nothing.
ON_CONFLICT = "DO NOTHING"
# A VALUES list, not one array per column: for a batch of a few large rows PostgreSQL spends
# more unpacking arrays (bench/README.md, ingest).
ARRAYS = False


@dataclass
class Row:
    """InboxItem's stored fields. A plain object rather than a model instance: on the ingest
    hot path, building an InboxItem was a large share of handling the whole request."""

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

    def values(self) -> tuple:
        # Not dataclasses.astuple: it deep-copies meta and attachments.
        return (self.project_id, self.key_id, self.kind, self.event_id, self.received,
                self.meta, self.payload, self.attachments, self.attachment_data, self.attempts,
                self.error)


def store(row: Row) -> None:
    """Persist one accepted envelope, return once it is committed, and wake a digester."""
    sql.insert(InboxItem, COLUMNS, [row.values()], on_conflict=ON_CONFLICT, arrays=ARRAYS)
    wake.wake_digesters()
