"""Requests through tracker.asgi (the application granian serves), in this process.

Speaks the subset of Django's test client that the ingest tests use, so the same tests run
against both interfaces. One event loop for the whole test process, running in its own
thread (as granian's does): the async inbox keeps a database connection on it between
requests, and other tests (Playwright's sync API) may hold a loop in the main thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
from urllib.parse import urlencode, urlsplit

from django.utils.datastructures import CaseInsensitiveMapping

_loop: asyncio.AbstractEventLoop | None = None


def _run(coroutine):
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
        threading.Thread(target=_loop.run_forever, name="asgi-test-loop", daemon=True).start()
    return asyncio.run_coroutine_threadsafe(coroutine, _loop).result(timeout=60)


class AsgiResponse:
    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        self.status_code = status
        self.headers = CaseInsensitiveMapping(
            {k.decode("latin-1"): v.decode("latin-1") for k, v in headers})
        self.content = body

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def __contains__(self, name: str) -> bool:
        return name in self.headers

    def json(self):
        return json.loads(self.content)


class AsgiClient:
    def post(self, path, data=b"", content_type="application/octet-stream", **extra):
        return self.generic("POST", path, data, content_type, **extra)

    def put(self, path, data=b"", content_type="application/octet-stream", **extra):
        return self.generic("PUT", path, data, content_type, **extra)

    def get(self, path, data=None, **extra):
        if data:
            path = f"{path}{'&' if '?' in path else '?'}{urlencode(data)}"
        return self.generic("GET", path, b"", None, **extra)

    def options(self, path, **extra):
        return self.generic("OPTIONS", path, b"", None, **extra)

    def generic(self, method, path, data=b"", content_type=None, **extra):
        from tracker.asgi import application

        body = data.encode() if isinstance(data, str) else data
        url = urlsplit(path)
        headers = [(b"host", b"testserver"), (b"content-length", str(len(body)).encode())]
        if content_type:
            headers.append((b"content-type", content_type.encode()))
        for name, value in extra.items():
            if name.startswith("HTTP_"):
                headers.append((name[5:].replace("_", "-").lower().encode(), value.encode()))
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": url.path, "raw_path": url.path.encode(),
            "query_string": url.query.encode(), "root_path": "", "headers": headers,
            "client": ("127.0.0.1", 40000), "server": ("testserver", 80),
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]
        sent: list[dict] = []

        async def receive():
            if messages:
                return messages.pop(0)
            return {"type": "http.disconnect"}

        async def send(message):
            sent.append(message)

        from ingest import asgi as ingest_asgi

        _run(application(scope, receive, send))
        # Let the request's wake-up finish now, not during the next test.
        _run(ingest_asgi.inbox_writer.settle())
        start = next(m for m in sent if m["type"] == "http.response.start")
        body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
        return AsgiResponse(start["status"], start.get("headers", []), body)


def close() -> None:
    """Close the async inbox's connection: the test database cannot be dropped while open."""
    if _loop is not None:
        from ingest import asgi as ingest_asgi

        _run(ingest_asgi.shutdown())

