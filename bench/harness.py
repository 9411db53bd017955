"""What the benchmarks share: a PostgreSQL database, a server, load, and measurements."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "var" / "bench"
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379")


def env_for(database: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": f"{PG}/{database}",
        "REDIS_URL": f"{REDIS}/12",
        "CELERY_BROKER_URL": f"{REDIS}/13",
        "REDIS_PREFIX": f"bench-{database}",
        "CELERY_QUEUE": f"bench-{database}",
        "ERRATA_VAR_DIR": str(DATA / database),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True).stdout


def python(env: dict[str, str], code: str) -> str:
    """Run code with Django set up against the benchmark database; return its stdout."""
    prelude = "import django; django.setup()\n"
    return subprocess.run([sys.executable, "-c", prelude + code], cwd=ROOT, env=env,
                          check=True, capture_output=True, text=True).stdout


def fresh_database(database: str) -> dict[str, str]:
    """Drop, create and migrate `database`; create a project; return env with BENCH_* set."""
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", database],
                   check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    env = env_for(database)
    Path(env["ERRATA_VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    # Digest tasks left in the broker by an earlier run would be worked through first.
    python(env, "from tracker.celery import app; app.control.purge()")
    manage(env, "migrate", "--noinput", "-v0")
    ids = python(env, """
from django.contrib.auth import get_user_model
from tracker.provisioning import create_organization, create_project
user = get_user_model().objects.create_user("bench")
project = create_project(create_organization("Bench", user), "Bench")
print(project.pk, project.keys.get().public_key)
""").split()
    env.update(BENCH_PROJECT=ids[0], BENCH_KEY=ids[1])
    return env


def envelopes(name: str, *, bugs: int, events: int) -> Path:
    """The replay set `name`, generated with the real sentry-sdk on first use."""
    from bench.envelopes import generate

    out = DATA / "envelopes" / name
    if not (out / "index.lua").exists():
        index = generate(out, bugs=bugs, events=events)
        lines = ",\n".join(
            f'  {{file = "{e["file"]}", encoding = "{e["encoding"]}"}}' for e in index)
        (out / "index.lua").write_text("return {\n" + lines + "\n}\n")
    return out


@contextlib.contextmanager
def server(env: dict[str, str], *, workers: int, port: int = 8931, interface: str = "rsgi"):
    """The production web server (granian, tracker.server.rsgi) with production settings; yields
    (url, pid). interface="wsgi" serves tracker.server.wsgi instead, one thread per worker: the
    fastest setting for a bare sync view here (the ceiling)."""
    from tracker.server import command as web_server

    command = web_server.command(port=port, workers=workers, host="127.0.0.1",
                                 log_level="warning", interface=interface,
                                 threads=1 if interface == "wsgi" else None)
    proc = subprocess.Popen(command, cwd=ROOT, env={**env, "PORT": str(port)})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/login/", timeout=2).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.2)
    try:
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def process_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        with contextlib.suppress(OSError):
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            todo += [int(c) for c in children]
    return pids


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


class PeakRss:
    """Samples the summed RSS of a process tree in the background; `.peak` in MB."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(process_tree(self.pid)))
            time.sleep(0.2)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wrk(url: str, path: str, data: Path, *, connections: int, seconds: int, auth: str,
        stop: threading.Event | None = None) -> dict:
    """Run wrk with replay.lua for `seconds` (or until `stop` is set); return its figures
    plus the load generator's own CPU use."""
    threads = min(connections, 2)
    with tempfile.NamedTemporaryFile(suffix=".json") as result:
        env = {**os.environ, "BENCH_DIR": str(data), "BENCH_PATH": path, "BENCH_AUTH": auth,
               "BENCH_RESULT": result.name}
        start = time.monotonic()
        proc = subprocess.Popen(
            ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s",
             "--timeout", "10s", "-s", str(Path(__file__).with_name("replay.lua")), url],
            env=env, stdout=subprocess.DEVNULL,
        )
        cpu = 0.0
        while proc.poll() is None:
            with contextlib.suppress(OSError, IndexError):
                cpu = cpu_seconds(proc.pid)
            if stop is not None and stop.is_set():
                proc.send_signal(signal.SIGINT)  # wrk stops, reports and exits
                proc.wait()
                break
            time.sleep(0.1)
        wall = time.monotonic() - start
        figures = json.loads(Path(result.name).read_text())
    figures["wrk_cpu_percent"] = round(100 * cpu / wall, 1)
    return figures


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines() if "model name" in line), "?")
    return f"{os.cpu_count()} cores ({cpu}), {platform.system()} {platform.release()}"
