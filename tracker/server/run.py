"""Web server, Celery worker and Celery beat together in the foreground (`manage.py run`).

For the embedded single-machine setup (`make run`). Production runs the three as separate
containers (docker/compose.yml). Ctrl-C or SIGTERM stops all of them; if one dies, the others
are stopped too, so a broken setup never looks half alive.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable

from tracker.server import command


def processes(*, port: int, web_workers: int) -> dict[str, list[str]]:
    python = sys.executable
    return {
        "web": command.command(port=port, workers=web_workers, access_log=True),
        # One worker process: the embedded database has a single writer anyway.
        "worker": [
            python, "-m", "celery", "-A", "tracker", "worker", "--concurrency", "1",
            "--loglevel", "INFO",
        ],
        "beat": [python, "-m", "celery", "-A", "tracker", "beat", "--loglevel", "INFO"],
    }


def supervise(commands: dict[str, list[str]], say: Callable[[str], object]) -> None:
    """Run the commands until interrupted or until one of them exits."""
    # Own sessions: a terminal's Ctrl-C reaches only this supervisor, which then stops the
    # children in order, instead of every process receiving it at once.
    procs = {
        name: subprocess.Popen(cmd, start_new_session=True)  # noqa: S603
        for name, cmd in commands.items()
    }
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        while not stopping:
            dead = [name for name, p in procs.items() if p.poll() is not None]
            if dead:
                say(f"{', '.join(dead)} exited; stopping the others")
                break
            time.sleep(0.5)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        deadline = time.monotonic() + 15
        for p in procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()
