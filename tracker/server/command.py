"""The command line of the web server, one place for `make run`, the tests and benchmarks.

granian serves tracker.server.rsgi: the SDK-facing URLs are answered on its event loop (see
ingest/rsgi.py), everything else by Django. One process per worker, one event loop each;
Django's sync views run in a thread of their process. No Django import here: the benchmark
scripts use this before Django is set up.
"""

from __future__ import annotations

import sys


def command(*, port: int, workers: int, host: str = "0.0.0.0", access_log: bool = False,  # noqa: S104
            log_level: str = "info", interface: str = "rsgi",
            threads: int | None = None) -> list[str]:
    """interface="wsgi" serves tracker.server.wsgi instead, with `threads` Python threads per
    worker: the benchmarks' bare-view ceiling."""
    args = [
        sys.executable, "-m", "granian", "--interface", interface,
        f"tracker.server.{interface}:application",
        "--host", host, "--port", str(port), "--workers", str(workers),
        "--log-level", log_level, "--respawn-failed-workers",
    ]
    if interface != "wsgi":
        args += ["--loop", "uvloop"]  # a cheaper event loop than asyncio's: see pyproject
    if threads is not None:
        args += ["--blocking-threads", str(threads)]
    if access_log:
        args.append("--access-log")
    return args
