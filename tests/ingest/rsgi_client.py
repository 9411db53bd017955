"""Requests through tracker.server.rsgi (the application granian serves), in this process.

Speaks the subset of Django's test client that the tests use, so the same tests run against
both paths. granian's scope and protocol objects are stood in for by small fakes with the
same interface (the RSGI spec; granian's own behaviour checked by the live-server tests).
One event loop for the whole test process, running in its own thread (as granian's does):
the async inbox keeps a database connection on it between requests, and other tests
(Playwright's sync API) may hold a loop in the main thread.
"""

from __future__ import annotations

import asyncio
import json
import threading
from urllib.parse import unquote, urlencode, urlsplit

from django.utils.datastructures import CaseInsensitiveMapping

_loop: asyncio.AbstractEventLoop | None = None


def run(coroutine):
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
        threading.Thread(target=_loop.run_forever, name="rsgi-test-loop", daemon=True).start()
    return asyncio.run_coroutine_threadsafe(coroutine, _loop).result(timeout=60)


class Headers:
    """granian's RSGIHeaders: items() keeps repeated headers."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return list(self._pairs)

    def keys(self) -> list[str]:
        return [k for k, _ in self._pairs]

    def values(self) -> list[str]:
        return [v for _, v in self._pairs]

    def get(self, key: str, default=None):
        return next((v for k, v in self._pairs if k == key.lower()), default)

    def __contains__(self, key: str) -> bool:
        return any(k == key.lower() for k, _ in self._pairs)


class Scope:
    proto = "http"
    rsgi_version = "1.6"
    http_version = "1.1"
    scheme = "http"
    server = "127.0.0.1:80"

    def __init__(self, method, path, query_string, headers, client="127.0.0.1:40000"):
        self.method, self.path, self.query_string = method, path, query_string
        self.headers, self.client = Headers(headers), client


class Protocol:
    """The request body in chunks, and whatever response the application makes."""

    def __init__(self, body: bytes, chunk_size: int = 64 * 1024) -> None:
        self._chunks = [body[i:i + chunk_size] for i in range(0, len(body), chunk_size)]
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.streamed = False

    async def __call__(self) -> bytes:
        body = b"".join(self._chunks)
        self._chunks = []
        return body

    def __aiter__(self):
        return self._iterate()

    async def _iterate(self):
        while self._chunks:
            yield self._chunks.pop(0)

    async def client_disconnect(self) -> None:
        await asyncio.Event().wait()  # the test client never goes away

    def _respond(self, status, headers, body: bytes) -> None:
        assert self.status is None, "one response per request"
        self.status, self.headers, self.body = status, list(headers), body

    def response_empty(self, status, headers) -> None:
        self._respond(status, headers, b"")

    def response_bytes(self, status, headers, body) -> None:
        self._respond(status, headers, body)

    def response_str(self, status, headers, body) -> None:
        self._respond(status, headers, body.encode())

    def response_stream(self, status, headers):
        self._respond(status, headers, b"")
        self.streamed = True
        protocol = self

        class Transport:
            async def send_bytes(self, data: bytes) -> None:
                protocol.body += data

            async def send_str(self, data: str) -> None:
                protocol.body += data.encode()

        return Transport()


class RsgiResponse:
    def __init__(self, protocol: Protocol) -> None:
        assert protocol.status is not None, "the application sent no response"
        self.status_code = protocol.status
        self.header_list = protocol.headers
        self.headers = CaseInsensitiveMapping(dict(protocol.headers))
        self.content = protocol.body
        self.streamed = protocol.streamed

    def __getitem__(self, name: str) -> str:
        return self.headers[name]

    def __contains__(self, name: str) -> bool:
        return name in self.headers

    def json(self):
        return json.loads(self.content)


class RsgiClient:
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
        from ingest import rsgi as ingest_rsgi
        from tracker.server.rsgi import application

        body = data.encode() if isinstance(data, str) else data
        url = urlsplit(path)
        # CONTENT_LENGTH overrides the real length, as in Django's test client.
        length = extra.pop("CONTENT_LENGTH", str(len(body)))
        headers = [("host", "testserver"), ("content-length", length)]
        if content_type:
            headers.append(("content-type", content_type))
        for name, value in extra.items():
            if name.startswith("HTTP_"):
                headers.append((name[5:].replace("_", "-").lower(), value))
        scope = Scope(method, unquote(url.path), url.query, headers)
        protocol = Protocol(body)
        run(application.__rsgi__(scope, protocol))
        # Let the request's wake-up finish now, not during the next test.
        run(ingest_rsgi.inbox_writer.settle())
        return RsgiResponse(protocol)


def close() -> None:
    """Close the async inbox's connection: the test database cannot be dropped while open."""
    if _loop is not None:
        from ingest import rsgi as ingest_rsgi

        run(ingest_rsgi.shutdown())
