"""Regenerate the corpus of real SDK envelopes used by tests/corpus/test_corpus.py.

    .venv/bin/python tests/corpus/generate.py

Runs small programs with the real sentry-sdk and @sentry/node (tests/node) against a
capturing HTTP server on localhost and writes each envelope, decoded, to envelopes/. Every
event carries a `corpus_case` tag; expected.json says which cases must share an issue and
the title of each (update the random request id in the py-message-with-ids title after
regenerating).
"""

from __future__ import annotations

import gzip
import http.server
import json
import shutil
import subprocess
import sys
import threading
import zlib
from pathlib import Path

import brotli

HERE = Path(__file__).resolve().parent
OUT = HERE / "envelopes"
NODE = HERE.parent / "node"
KEY = "0123456789abcdef0123456789abcdef"

PYTHON_PROGRAM = r'''
import sys, uuid, logging
import sentry_sdk
from sentry_sdk.integrations.logging import LoggingIntegration
sentry_sdk.init(sys.argv[1], default_integrations=False, release="shop@1.4.2",
                environment="production",
                integrations=[LoggingIntegration(event_level=logging.ERROR)])

def case(name):
    sentry_sdk.get_isolation_scope().set_tag("corpus_case", name)

def parse_quantity(text):
    return int(text)

def handle_form(values):
    return [parse_quantity(v) for v in values]

case("py-int-parse")
for bad in ["abc", "12x", "seven"]:
    try:
        handle_form(["1", bad])
    except ValueError:
        sentry_sdk.capture_exception()

SETTINGS = {"currency": "EUR"}
def setting(name):
    return SETTINGS[name]

case("py-missing-setting")
for name in ["timezone", "locale", "tax_rate"]:
    try:
        setting(name)
    except KeyError:
        sentry_sdk.capture_exception()

class PaymentError(Exception):
    pass

def charge(card):
    try:
        return {"visa": 1}[card]
    except KeyError as e:
        raise PaymentError(f"cannot charge {card}") from e

case("py-chained")
for card in ["amex", "diners"]:
    try:
        charge(card)
    except PaymentError:
        sentry_sdk.capture_exception()

def validate(order):
    errors = []
    if not order.get("email"):
        errors.append(ValueError(f"order {order['id']} has no email"))
    if not order.get("items"):
        errors.append(TypeError(f"order {order['id']} has no items"))
    if errors:
        raise ExceptionGroup("invalid order", errors)

case("py-exception-group")
for order_id in [17, 42]:
    try:
        validate({"id": order_id})
    except ExceptionGroup:
        sentry_sdk.capture_exception()

case("py-message-with-ids")
for n in [1, 2, 3]:
    sentry_sdk.capture_message(
        f"Could not reach 10.0.0.{n} for request {uuid.uuid4()} after {n + 2} retries",
        level="error")

case("py-logging-template")
log = logging.getLogger("shop.payments")
for order in ["A-1001", "B-2002"]:
    log.error("Payment failed for order %s", order)

def db_read():
    raise ConnectionRefusedError("read replica down")

def db_write():
    raise TimeoutError("primary timed out")

for name, fn in [("py-fingerprint-read", db_read), ("py-fingerprint-write", db_write)]:
    case(name)
    with sentry_sdk.new_scope() as scope:
        scope.fingerprint = ["database-unavailable"]
        try:
            fn()
        except Exception:
            sentry_sdk.capture_exception()

sentry_sdk.flush(timeout=10)
'''

NODE_PROGRAM = r'''
const Sentry = require("@sentry/node");
Sentry.init({dsn: process.argv[1], defaultIntegrations: false, release: "web@2.0.0"});
function caseTag(name) { Sentry.getIsolationScope().setTag("corpus_case", name); }
function total(cart) { return cart.items.reduce((sum, item) => sum + item.price, 0); }
(async () => {
  caseTag("node-type-error");
  for (const cart of [{}, {id: 2}, {id: 3}]) {
    try { total(cart); } catch (e) { Sentry.captureException(e); }
  }
  caseTag("node-message");
  for (const user of ["u-1", "u-2"]) { Sentry.captureMessage(`Login failed for user ${user}`); }
  for (const [name, fn] of [["node-fingerprint-a", () => { throw new RangeError("too big"); }],
                            ["node-fingerprint-b", () => null.x]]) {
    caseTag(name);
    Sentry.withScope((scope) => {
      scope.setFingerprint(["checkout"]);
      try { fn(); } catch (e) { Sentry.captureException(e); }
    });
  }
  await Sentry.flush(10000);
})();
'''


class Capture(http.server.BaseHTTPRequestHandler):
    bodies: list[bytes] = []

    def do_POST(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            raw = b""
            while True:
                size = int(self.rfile.readline().strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    break
                raw += self.rfile.read(size)
                self.rfile.readline()
        else:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        body = {"gzip": gzip.decompress, "br": brotli.decompress,
                "deflate": zlib.decompress}.get(encoding, lambda b: b)(raw)
        Capture.bodies.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def case_of(body: bytes) -> str | None:
    lines = body.split(b"\n")
    for i, line in enumerate(lines):
        if line.startswith(b"{") and b'"type":"event"' in line.replace(b" ", b""):
            event = json.loads(lines[i + 1])
            tags = event.get("tags") or {}
            return tags.get("corpus_case") if isinstance(tags, dict) else dict(tags).get(
                "corpus_case")
    return None


def main() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    dsn = f"http://{KEY}@127.0.0.1:{server.server_address[1]}/1"
    subprocess.run([sys.executable, "-c", PYTHON_PROGRAM, dsn], check=True)
    subprocess.run(["node", "-e", NODE_PROGRAM, dsn], cwd=NODE, check=True)
    server.shutdown()
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    counts: dict[str, int] = {}
    for body in Capture.bodies:
        case = case_of(body)
        if case is None:
            continue  # sessions, client reports
        counts[case] = counts.get(case, 0) + 1
        (OUT / f"{case}-{counts[case]}.envelope").write_bytes(body)
    print(json.dumps(counts, indent=2))


if __name__ == "__main__":
    main()
