"""The application served in production: granian's native interface (RSGI).

The SDK-facing URLs are answered by `ingest.rsgi` on the event loop, so that one process
takes many concurrent events without a thread per request. Everything else (pages, the
API, static files) goes to Django's ASGI handler through a small bridge below.

Why RSGI rather than ASGI: with ASGI every request is a dozen messages and awaits between
granian's Rust threads and the event loop. RSGI hands over the body in one await and takes
the response in one call: more accepted events per second for the same CPU (bench/README.md,
docs/decisions/2026-11-22-rsgi.md).
"""

from __future__ import annotations

import asyncio
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

from django.core.asgi import get_asgi_application

django_application = get_asgi_application()

from django.conf import settings  # noqa: E402

# Django's ASGI handler runs each request's sync code in a thread of its own, so a persistent
# connection would be opened per page and never reused, open until its thread is collected.
# Django's advice for ASGI: no persistent connections (ingest's long-lived threads keep
# theirs, see ingest/threads.py).
for database in settings.DATABASES.values():
    database["CONN_MAX_AGE"] = 0

from ingest import rsgi as ingest_rsgi  # noqa: E402 - needs Django set up
from tracker.server import gc_tuning  # noqa: E402

gc_tuning.tune_after_startup()


class Application:
    async def __rsgi__(self, scope, proto) -> None:
        if scope.proto != "http":
            return  # no websockets here
        route = ingest_rsgi.route(scope.path)
        if route is not None:
            await ingest_rsgi.serve(scope, proto, *route)
        else:
            await serve_django(scope, proto)

    def __rsgi_init__(self, loop) -> None:
        pass

    def __rsgi_del__(self, loop) -> None:
        # granian calls this once its loop has stopped: finish in-flight inbox writes.
        loop.run_until_complete(ingest_rsgi.shutdown())


application = Application()

CLIENT_CLOSED_REQUEST = 499


async def serve_django(scope, proto) -> None:
    """One request through Django's ASGI handler: RSGI's scope and body become ASGI
    messages, and Django's response messages become one RSGI response (or a stream)."""
    asgi_scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": scope.http_version,
        "method": scope.method,
        "scheme": scope.scheme,
        "path": scope.path,  # granian has already percent-decoded it, as ASGI wants
        "query_string": scope.query_string.encode("latin-1"),
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()],
        "client": _address(scope.client),
        "server": _address(scope.server),
    }
    body = aiter(proto)
    body_done = False
    response_done = asyncio.Event()
    start: dict | None = None
    stream = None
    client_gone = False

    async def receive() -> dict:
        nonlocal body_done, client_gone
        if not body_done:
            try:
                return {"type": "http.request", "body": await anext(body), "more_body": True}
            except StopAsyncIteration:
                body_done = True
                return {"type": "http.request", "body": b"", "more_body": False}
        # Django listens for a disconnect while the view runs: tell it when the client
        # goes away, or when the response is out.
        disconnect = asyncio.ensure_future(proto.client_disconnect())
        done = asyncio.ensure_future(response_done.wait())
        try:
            finished, _ = await asyncio.wait([disconnect, done],
                                             return_when=asyncio.FIRST_COMPLETED)
            client_gone = disconnect in finished
        finally:
            disconnect.cancel()
            done.cancel()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal start, stream
        if message["type"] == "http.response.start":
            start = message
            return
        if message["type"] != "http.response.body" or start is None:
            return
        chunk, more = message.get("body", b""), message.get("more_body", False)
        if stream is None and not more:
            proto.response_bytes(start["status"], _headers(start), chunk)
            response_done.set()
            return
        if stream is None:
            stream = proto.response_stream(start["status"], _headers(start))
        if chunk:
            await stream.send_bytes(chunk)
        if not more:
            response_done.set()

    await django_application(asgi_scope, receive, send)
    if start is None and client_gone:
        # The client went away (an aborted htmx request, a closed tab): Django stopped the
        # view and answers nothing, which granian would answer, and log, as a 500. Say what
        # happened instead: 499, "client closed request", as nginx logs it.
        proto.response_empty(CLIENT_CLOSED_REQUEST, [])


def _headers(start: dict) -> list[tuple[str, str]]:
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", ())]


def _address(value: str) -> tuple[str, int] | None:
    host, port = ingest_rsgi.split_address(value)
    return (host, port) if host is not None and port is not None else None
