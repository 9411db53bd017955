"""The SDK-facing URLs on granian's event loop, in front of Django.

granian serves tracker.server.rsgi through its native interface (RSGI), and ingest requests
never enter Django's request machinery: their body is read here, `ingest.endpoint.plan` runs
in its no-I/O mode on the event loop, and the inbox row is committed by the inbox writer
together with the rows of concurrent requests; small attachments travel in the row, large
ones are written to the file store from a thread. Whatever else would block (a key not
looked up lately, quotas, recording an outcome) makes the planning start over in a thread,
with I/O: the same code the Django views run, so both answer alike.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import re

from django.conf import settings
from django.http import QueryDict

from ingest import endpoint, keys, threads, urls
from ingest.inbox.writer import Writer
from ingest.protocol.errors import WouldBlock

logger = logging.getLogger(__name__)

# ingest/urls.py's table, matched against the whole path.
_ROUTES = tuple(
    (re.compile("^/" + regex.removeprefix("^")), kind) for regex, kind, _ in urls.ROUTES
)

inbox_writer = Writer()
_NO_QUERY = QueryDict()


def route(path: str) -> tuple[str, str | None] | None:
    """(endpoint, raw project id) when `path` is an ingest URL."""
    if not path.startswith("/api/"):
        return None
    for pattern, kind in _ROUTES:
        match = pattern.match(path)
        if match is not None:
            return kind, match.groupdict().get("project_id")
    return None


async def serve(scope, proto, kind: str, project_id: str | None) -> None:
    try:
        headers = endpoint.Headers(scope.headers.items())
        declared = headers.get("Content-Length")
        chunks = await _read_body(proto, declared)
        request = endpoint.Request(
            method=scope.method,
            kind=kind,
            raw_project_id=project_id,
            headers=headers,
            query=QueryDict(scope.query_string) if scope.query_string else _NO_QUERY,
            remote_addr=split_address(scope.client)[0],
            content_length=declared,
            body=lambda: iter(chunks),
        )
        answer = await _answer(request)
    except Exception:  # reading the body failed (the client went away, say)
        answer = endpoint.failed()
    proto.response_bytes(
        answer.status,
        [("content-type", answer.content_type), *answer.headers.items()],
        answer.body,
    )


def split_address(address: str) -> tuple[str | None, int | None]:
    """(host, port) of RSGI's "host:port" ("[::1]:port" for IPv6)."""
    host, _, port = address.rpartition(":")
    return host.removeprefix("[").removesuffix("]") or None, int(port) if port.isdigit() else None


async def shutdown() -> None:
    await inbox_writer.close()
    await threads.close_connections()


async def _answer(request: endpoint.Request) -> endpoint.Answer:
    try:
        try:
            answer, keep = endpoint.plan(request, io=False)
        except WouldBlock:
            # Only the planning moves to a thread: the row still goes through the writer.
            answer, keep = await threads.run(functools.partial(endpoint.plan, request, io=True))
        finally:
            if keys.stale:
                _refresh_keys()
        if keep is not None:
            keep.inline()
            if keep.attachments:  # too large for the row: to the file store first
                await threads.run(endpoint.stage, keep)
            await inbox_writer.store(keep.item)
    except Exception:
        answer = endpoint.failed()
    return endpoint.with_cors(answer, request)


_refreshing: asyncio.Task | None = None


def _refresh_keys() -> None:
    """Refresh the memo of keys used past LOCAL_TTL, one thread at a time, in the background."""
    global _refreshing
    if _refreshing is None or _refreshing.done():
        _refreshing = asyncio.get_running_loop().create_task(_refresh_stale_keys())


async def _refresh_stale_keys() -> None:
    while keys.stale:
        public_key = keys.stale.pop()
        try:
            # get_key looks an expired memo up again; the stale one answers meanwhile.
            await threads.run(keys.get_key, public_key)
        except Exception:
            logger.warning("could not refresh DSN key %s", public_key, exc_info=True)


async def _read_body(proto, declared: str | None) -> list[bytes]:
    """The body's chunks, reading at most one chunk past the request size limit:
    decode_body then refuses it with the same 413 as on the sync path."""
    limit = settings.ERRATA["MAX_REQUEST_SIZE"]
    length = endpoint.declared_length(declared)
    if length is not None and length > limit:
        return []  # refused on the declared length alone, unread
    chunks: list[bytes] = []
    size = 0
    async for chunk in proto:
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return chunks
