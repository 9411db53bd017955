"""Realistic envelopes made by the real sentry-sdk, for load tests.

Programs with many distinct "bugs" (different modules, functions, stack depths, locals,
breadcrumbs and messages) run with sentry-sdk against a capturing server. Each envelope is
stored as sent (brotli or gzip, as the SDK compressed it) after its event ids are removed, so
that every replay is a new event to the server (ingest assigns ids to events without one).
"""

from __future__ import annotations

import gzip
import http.server
import json
import random
import subprocess
import sys
import threading
from pathlib import Path

import brotli

PROGRAM = r'''
import random, sys, uuid
import sentry_sdk
sentry_sdk.init(sys.argv[1], default_integrations=False, release=f"shop@2.{sys.argv[3]}.0",
                environment="production", max_breadcrumbs=60, in_app_include=["shop"],
                _experiments={"transport_compression_algo": sys.argv[2]})
rng = random.Random(int(sys.argv[3]))
MODULES = ["shop.cart", "shop.checkout", "shop.payments", "shop.search", "shop.accounts",
           "shop.inventory", "shop.shipping", "shop.emails", "shop.api.v2", "shop.reports"]
ERRORS = [ValueError, KeyError, TypeError, ZeroDivisionError, AttributeError, LookupError,
          RuntimeError, PermissionError, TimeoutError, IndexError]

def make_bug(n):
    depth = rng.randint(1, 25)
    module = MODULES[n % len(MODULES)]
    error = ERRORS[n % len(ERRORS)]
    names = [f"step_{n}_{i}" for i in range(depth)]
    src = []
    for i, name in enumerate(names):
        callee = names[i + 1] if i + 1 < depth else None
        payload = "x" * rng.randint(10, 600)
        body = (f"    note = {payload!r}\n    order_id = random.randint(1, 10**6)\n" +
                (f"    return {callee}(value)\n" if callee else
                 f"    raise error(f'bug {n} failed for order {{order_id}}')\n"))
        src.append(f"def {name}(value):\n{body}")
    # A module name makes the frames look like application code (in-app), as in real apps.
    scope = {"random": random, "error": error, "__name__": f"{module}.bug{n}"}
    code = compile("\n".join(src), f"/srv/shop/{module.replace('.', '/')}.py", "exec")
    exec(code, scope)
    return scope[names[0]]

bugs = [make_bug(n) for n in range(int(sys.argv[4]))]
for i in range(int(sys.argv[5])):
    n = rng.randrange(len(bugs))
    for b in range(rng.randint(0, 50)):
        sentry_sdk.add_breadcrumb(category="http", message=f"GET /api/items/{b}",
                                  data={"status": 200, "ms": rng.random() * 100})
    with sentry_sdk.new_scope() as scope:
        scope.set_user({"id": str(rng.randint(1, 500)), "email": "someone@example.com"})
        scope.set_tag("bug", str(n))
        if rng.random() < 0.1:
            scope.add_attachment(bytes=rng.randbytes(rng.randint(1000, 20000)),
                                 filename="state.bin")
        if rng.random() < 0.15:
            sentry_sdk.capture_message(f"Slow query for tenant {rng.randint(1, 99)} took "
                                       f"{rng.randint(100, 9000)}ms (request {uuid.uuid4()})")
        else:
            try:
                bugs[n](i)
            except Exception:
                sentry_sdk.capture_exception()
    sentry_sdk.get_isolation_scope().clear_breadcrumbs()
sentry_sdk.flush(timeout=30)
'''


class _Capture(http.server.BaseHTTPRequestHandler):
    bodies: list[tuple[str, bytes]] = []

    def do_POST(self):  # http.server's method naming
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Capture.bodies.append((self.headers.get("Content-Encoding") or "", raw))
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def _strip_ids(body: bytes) -> bytes | None:
    lines = body.split(b"\n")
    header = json.loads(lines[0])
    if "event_id" not in header:
        return None  # a session or client report envelope: not what we replay
    header.pop("event_id")
    lines[0] = json.dumps(header, separators=(",", ":")).encode()
    out, i = [lines[0]], 1
    while i < len(lines):
        item_header = json.loads(lines[i]) if lines[i] else None
        if item_header is None:
            i += 1
            continue
        length = item_header.get("length")
        rest = b"\n".join(lines[i + 1:])
        payload = rest[:length] if length is not None else lines[i + 1]
        if item_header.get("type") == "event":
            event = json.loads(payload)
            event.pop("event_id", None)
            payload = json.dumps(event, separators=(",", ":")).encode()
            item_header["length"] = len(payload)
        out += [json.dumps(item_header, separators=(",", ":")).encode(), payload]
        consumed = (payload if item_header.get("type") != "event" else rest[:length]
                    if length is not None else lines[i + 1])
        i += 1 + consumed.count(b"\n") + 1
    return b"\n".join(out) + b"\n"


def generate(out: Path, *, bugs: int, events: int, seed: int = 1) -> list[dict]:
    """Write envelopes to `out` and return their index: [{file, encoding, size}]."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://{'0' * 32}@127.0.0.1:{server.server_address[1]}/1"
    for run, algo in enumerate(["br", "gzip", "br"]):
        subprocess.run([sys.executable, "-c", PROGRAM, dsn, algo, str(seed + run), str(bugs),
                        str(events // 3)], check=True)
    server.shutdown()
    out.mkdir(parents=True, exist_ok=True)
    index = []
    decoders = {"br": brotli.decompress, "gzip": gzip.decompress}
    encoders = {"br": lambda b: brotli.compress(b, quality=4), "gzip": gzip.compress}
    random.Random(seed).shuffle(_Capture.bodies)
    for n, (encoding, raw) in enumerate(_Capture.bodies):
        stripped = _strip_ids(decoders.get(encoding, lambda b: b)(raw))
        if stripped is None:
            continue
        body = encoders.get(encoding, lambda b: b)(stripped)
        name = f"{n:05d}.envelope"
        (out / name).write_bytes(body)
        index.append({"file": name, "encoding": encoding, "size": len(stripped),
                      "sent": len(body)})
    (out / "index.json").write_text(json.dumps(index))
    return index
