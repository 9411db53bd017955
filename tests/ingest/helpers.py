"""Building envelopes and posting them like SDKs do, for the ingest and pipeline tests."""

from __future__ import annotations

import json
import time
import uuid

from ingest.digest import batch
from ingest.models import InboxItem


def envelope(*items: tuple[dict, bytes | dict], headers: dict | None = None) -> bytes:
    lines = [json.dumps(headers or {}).encode()]
    for item_headers, payload in items:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        lines += [json.dumps({**item_headers, "length": len(body)}).encode(), body]
    return b"\n".join(lines) + b"\n"


def event_envelope(event: dict | None = None, *, event_id: str | None = None,
                   attachments: list[tuple[str, bytes, str]] = ()) -> bytes:
    event_id = event_id or uuid.uuid4().hex
    event = {"message": "hello", **(event or {})}
    items = [({"type": "event"}, event)]
    items += [
        ({"type": "attachment", "filename": name, "attachment_type": kind}, data)
        for name, data, kind in attachments
    ]
    return envelope(*items, headers={"event_id": event_id})


def exception_event(type_: str = "ValueError", value: str = "boom", **extra) -> dict:
    return {"platform": "python", "exception": {"values": [{"type": type_, "value": value}]},
            **extra}


def post(client, project, body: bytes, *, key: str | None = None, path: str = "envelope",
         **headers):
    key = key or project.keys.get().public_key
    return client.post(
        f"/api/{project.pk}/{path}/?sentry_key={key}&sentry_version=7", body,
        content_type="application/x-sentry-envelope", **headers,
    )


def digest_all(timeout: float = 30) -> None:
    """Digest until the inbox is empty. A worker started by a live test in this process may
    hold some rows: wait for it to finish them rather than return early."""
    deadline = time.monotonic() + timeout
    while True:
        while batch.digest_batch():
            pass
        if not InboxItem.objects.exists():
            return
        if time.monotonic() > deadline:
            raise AssertionError("inbox rows left undigested")
        time.sleep(0.05)
