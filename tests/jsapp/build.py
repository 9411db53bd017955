"""Builds the small shop app in tests/jsapp/src with esbuild (npm, tests/node): minified,
with source maps, as a browser loads it (`window.shop.addPen()`, `window.shop.payBigCart()`).
Build 2 has more code, so its minified names and columns differ from build 1's."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import shutil
import subprocess
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
ESBUILD = HERE.parent / "node" / "node_modules" / ".bin" / "esbuild"


def build(root: Path, build_number: int = 1, *, name: str = "app") -> Path:
    """`root/dist/<name>.js` and its `.map`, from a copy of the sources in `root/src` (so the
    map names them `../src/...`, as in a project); returns the script's path."""
    shutil.copytree(HERE / "src", root / "src", dirs_exist_ok=True)
    entry = root / "src" / ("main.js" if build_number == 1 else "main2.js")
    out = root / "dist" / f"{name}.js"
    subprocess.run(
        [str(ESBUILD), str(entry), "--bundle", "--minify", "--sourcemap", "--format=iife",
         "--global-name=shop", f"--outfile={out}", "--log-level=warning"],
        check=True, capture_output=True, timeout=60,
    )
    return out


def build_node(root: Path) -> Path:
    """The TypeScript module tests/jsapp/ts/orders.ts compiled for Node (CommonJS, minified,
    with its source map) to `root/dist/orders.js`, from a copy in `root/ts`."""
    shutil.copytree(HERE / "ts", root / "ts", dirs_exist_ok=True)
    out = root / "dist" / "orders.js"
    subprocess.run(
        [str(ESBUILD), str(root / "ts" / "orders.ts"), "--bundle", "--minify", "--sourcemap",
         "--platform=node", "--format=cjs", f"--outfile={out}", "--log-level=warning"],
        check=True, capture_output=True, timeout=60,
    )
    return out


def build_sentry(root: Path) -> Path:
    """The real @sentry/browser (npm, tests/node) bundled as one script, `window.Sentry`."""
    out = root / "sentry.js"
    if not out.exists():
        subprocess.run(
            [str(ESBUILD), str(HERE / "sentry-entry.js"), "--bundle", "--minify",
             "--format=iife", "--global-name=Sentry", f"--outfile={out}", "--log-level=warning"],
            check=True, capture_output=True, timeout=120,
            env={**os.environ, "NODE_PATH": str(HERE.parent / "node" / "node_modules")},
        )
    return out


def page(root: Path, path: str, *, dsn: str, script: str, init: str = "") -> str:
    """Write a page at `root/path` that loads the SDK (`/sentry.js`), initialises it on
    `dsn` (plus `init`, JS object entries) and loads `script`; its buttons break the shop."""
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(f"""<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title>
<script src="/sentry.js"></script>
<script>Sentry.init({{dsn: {json.dumps(dsn)}, {init}}});</script>
<script src="{script}"></script></head>
<body>
<button id="pen" onclick="shop.addPen()">Add a pen</button>
<button id="pay" onclick="shop.payBigCart()">Pay</button>
</body></html>
""")
    return "/" + path


@contextlib.contextmanager
def static_server(root: Path):
    """Serve `root` over HTTP on 127.0.0.1 (another origin than Errata: another port)."""
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


def position(script: Path, needle: str) -> tuple[int, int]:
    """1-based line and column of `needle` in the built script (where a stack frame points)."""
    for number, line in enumerate(script.read_text().splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {script}")
