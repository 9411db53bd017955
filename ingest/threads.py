"""Blocking work from the event loop (ingest/rsgi.py): a thread, and Django's connections.

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
    _close_broken()
    try:
        return function(*args)
    finally:
        _close_broken()
        _opened.update(connections.all(initialized_only=True))


def _close_broken() -> None:
    """Close the connections that failed, as Django does between requests, but keep healthy
    ones whatever their age: these threads live as long as the server (tracker.server.rsgi turns
    persistent connections off for Django's own per-request threads)."""
    for conn in connections.all(initialized_only=True):
        conn.close_at = None
    close_old_connections()


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
