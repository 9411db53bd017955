"""Helpers for tests against a live server: real SDKs in subprocesses, a real worker."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from tracker.celery import app
from tracker.server import command

ROOT = Path(__file__).resolve().parent.parent
NODE_DIR = ROOT / "tests" / "node"


@contextlib.contextmanager
def celery_worker():
    """A real Celery worker consuming the real broker, in a thread of this process."""
    with start_worker(
        app, pool="solo", concurrency=1, perform_ping_check=False, loglevel="WARNING",
        shutdown_timeout=30, queues=[app.conf.task_default_queue],
    ) as worker:
        yield worker


def live_database_url() -> str:
    """DATABASE_URL of the test database, for processes the tests start."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**overrides: str) -> dict[str, str]:
    """Environment for an Errata process on the test database, sending its tasks to the
    queue this test uses (tests without a worker use one nobody consumes)."""
    return {**os.environ, "DATABASE_URL": live_database_url(),
            "CELERY_QUEUE": settings.CELERY_TASK_DEFAULT_QUEUE, **overrides}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@functools.cache
def _collect_static() -> None:
    """Once per test process: the live server serves css and htmx like production does."""
    call_command("collectstatic", "--noinput", verbosity=0)


@contextlib.contextmanager
def running_server(*, log: Path | None = None, **env: str):
    """The production web server (granian, tracker.server.rsgi) serving Errata on the test database,
    in its own process, until exit.

    With `log`, the server writes its log there, access log included (as `make run` does),
    for a test to read what it says about each request."""
    _collect_static()
    port = _free_port()
    args = command.command(port=port, workers=1, host="127.0.0.1", log_level="warning")
    output = None
    if log is not None:
        args = command.command(port=port, workers=1, host="127.0.0.1", log_level="info",
                               access_log=True)
        output = log.open("ab")
    proc = subprocess.Popen(
        args, env=process_env(PORT=str(port), **env), stdout=output,
        stderr=subprocess.STDOUT if output else None,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                with urllib.request.urlopen(url + "/login/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        if output is not None:
            output.close()


def wait_until(condition: Callable[[], object], timeout: float = 30, interval: float = 0.1):
    """Poll until `condition()` is truthy; return its value or fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


def dsn_for(live_server_url: str, project) -> str:
    key = project.keys.filter(is_active=True).first()
    host = live_server_url.split("://", 1)[1]
    return f"http://{key.public_key}@{host}/{project.pk}"


def run_python_sdk(dsn: str, body: str, *, init: str = "", timeout: float = 60) -> str:
    """Run `body` in a fresh Python process with sentry_sdk initialised on `dsn`."""
    script = (
        "import sentry_sdk\n"
        f"sentry_sdk.init({dsn!r}, default_integrations=False, {init})\n"
        + textwrap.dedent(body)
        + "\nsentry_sdk.flush(timeout=10)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1"}, check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"SDK script failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def ensure_node_sdk() -> Path:
    """Install @sentry/node (pinned in tests/node/package-lock.json) once."""
    if not (NODE_DIR / "node_modules" / "@sentry" / "node").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--silent"],
            cwd=NODE_DIR, check=True, timeout=300,
        )
    return NODE_DIR


def run_node_sdk(dsn: str, body: str, timeout: float = 60) -> str:
    ensure_node_sdk()
    script = (
        "const Sentry = require('@sentry/node');\n"
        f"Sentry.init({{dsn: {json.dumps(dsn)}, defaultIntegrations: false}});\n"
        f"(async () => {{\n{body}\nawait Sentry.flush(10000);\n}})();\n"
    )
    result = subprocess.run(
        ["node", "-e", script], cwd=NODE_DIR, capture_output=True, text=True,
        timeout=timeout, check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"node SDK script failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout
