"""The ASGI application served in production (granian): ingest first, then Django.

The SDK-facing URLs are answered by `ingest.asgi` on the event loop, so that one process
takes many concurrent events without a thread per request; everything else goes to
Django's ASGI handler.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
django_application = get_asgi_application()

from ingest import asgi as ingest_asgi  # noqa: E402 - needs Django set up
from tracker import gc_tuning  # noqa: E402

gc_tuning.tune_after_startup()


async def application(scope, receive, send):
    if scope["type"] == "http":
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        route = ingest_asgi.route(path)
        if route is not None:
            return await ingest_asgi.serve(scope, receive, send, *route)
        return await django_application(scope, receive, send)
    if scope["type"] == "lifespan":
        return await _lifespan(receive, send)
    raise ValueError(f"unsupported ASGI scope {scope['type']!r}")


async def _lifespan(receive, send):
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await ingest_asgi.shutdown()
            await send({"type": "lifespan.shutdown.complete"})
            return
