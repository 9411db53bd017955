"""Builds the small shop app in tests/jsapp/src with esbuild (npm, tests/node): minified,
with source maps, as a browser loads it (`window.shop.addPen()`, `window.shop.payBigCart()`).
Build 2 has more code, so its minified names and columns differ from build 1's."""

from __future__ import annotations

import shutil
import subprocess
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


def position(script: Path, needle: str) -> tuple[int, int]:
    """1-based line and column of `needle` in the built script (where a stack frame points)."""
    for number, line in enumerate(script.read_text().splitlines(), start=1):
        if needle in line:
            return number, line.index(needle) + 1
    raise AssertionError(f"{needle!r} not in {script}")
