"""Helpers for source map tests: upload a bundle as sentry-cli builds it, and JavaScript
events whose frames point into a minified script."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path

from tracker import artifact_bundles
from tracker.models import ArtifactBundle, Project

SENTRY_CLI = Path(sys.executable).with_name("sentry-cli")

MINIFIED = 'function a(){throw new Error("boom")}a();\n//# sourceMappingURL=app.js.map\n'
SOURCE_MAP = json.dumps({
    "version": 3, "sources": ["../src/app.js"],
    "sourcesContent": ['function explode() {\n  throw new Error("boom");\n}\nexplode();\n'],
    "names": ["explode", "Error"],
    "mappings": "AAAA,SAASA,IACP,MAAM,IAAIC,MAAM,OAClB,CACAD",
})


def sentry_cli(server: str, token: str, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SENTRY_", "GITHUB_"))}
    env.update(SENTRY_URL=server, SENTRY_AUTH_TOKEN=token, SENTRY_ORG="acme",
               SENTRY_PROJECT="shop", SENTRY_DISABLE_UPDATE_CHECK="1", HOME=str(cwd),
               GIT_CONFIG_GLOBAL=os.devnull)
    result = subprocess.run([str(SENTRY_CLI), "--log-level=debug", *args], cwd=cwd, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise AssertionError(f"sentry-cli {' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def bundle_zip(files: dict[str, tuple[str, bytes, dict]], release: str = "",
               dist: str = "") -> bytes:
    """A bundle as sentry-cli writes it: `{url: (type, data, headers)}` plus a manifest."""
    out = io.BytesIO()
    manifest: dict = {"files": {}, "debug_id": str(uuid.uuid4())}
    if release:
        manifest.update(release=release, dist=dist or None)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for index, (url, (kind, data, headers)) in enumerate(files.items()):
            path = f"files/_/_/{index}"
            archive.writestr(path, data)
            manifest["files"][path] = {"url": url, "type": kind, "headers": headers}
        archive.writestr("manifest.json", json.dumps(manifest))
    return out.getvalue()


def upload(project: Project, files: dict[str, tuple[str, bytes, dict]], *, release: str = "",
           dist: str = "") -> ArtifactBundle:
    """Upload and assemble a bundle through the same functions the API calls."""
    data = bundle_zip(files, release, dist)
    checksum = hashlib.sha1(data).hexdigest()
    artifact_bundles.save_chunks(project.organization, [(checksum, data)])
    answer = artifact_bundles.request_assembly(project.organization, checksum, [checksum],
                                               [project], release=release, dist=dist)
    assert answer.bundle_id is not None, answer
    artifact_bundles.assemble(answer.bundle_id)
    return ArtifactBundle.objects.get(pk=answer.bundle_id)


def js_event(url: str, line: int, column: int, *, function: str = "c",
             debug_id: str | None = None, **extra) -> dict:
    """A JavaScript error as @sentry/browser sends it, one frame into `url`."""
    event = {
        "platform": "javascript",
        "exception": {"values": [{"type": "TypeError", "value": "item pen has no price",
                                  "stacktrace": {"frames": [
                                      {"filename": url, "abs_path": url, "function": function,
                                       "lineno": line, "colno": column, "in_app": True}]}}]},
        **extra,
    }
    if debug_id:
        event["debug_meta"] = {"images": [{"type": "sourcemap", "code_file": url,
                                           "debug_id": debug_id}]}
    return event
