"""Blocking work from the event loop (ingest/asgi.py): a thread, and Django's connections.

Django opens a database connection per thread and looks after it around each request, on
its request signals. Work sent to a thread from the loop gets the same care here, and the
connections those threads opened are closed at shutdown: an open one keeps the database
busy (and, in tests, undroppable) after the server is gone.
"""

from __future__ import annotations

import asyncio

from django.db import close_old_connections, connections

_opened: set = set()


async def run(function, *args):
    """function(*args) in a thread of the loop's pool."""
    return await asyncio.to_thread(_call, function, *args)


def _call(function, *args):
    close_old_connections()  # those that broke or grew old
    try:
        return function(*args)
    finally:
        close_old_connections()
        _opened.update(connections.all(initialized_only=True))


async def close_connections() -> None:
    await asyncio.to_thread(_close)


def _close() -> None:
    # Each belongs to another thread, which may be gone: allow closing it from this one.
    for conn in list(_opened):
        conn.inc_thread_sharing()
        try:
            conn.close()
        finally:
            conn.dec_thread_sharing()
    _opened.clear()
