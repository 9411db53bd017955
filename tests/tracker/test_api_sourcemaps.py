"""Source map upload: the real `sentry-cli sourcemaps inject` + `upload` against a live
Errata (chunk-upload, artifact bundle assembly by a real worker), and the routes' answers to
bad input."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage

from tests.factories import make_org, make_user
from tests.sourcemaps import MINIFIED, SOURCE_MAP, sentry_cli
from tests.tracker.test_api import make_token
from tracker import artifact_bundles
from tracker.models import ArtifactBundle, ArtifactFile, FileChunk


def write_dist(root: Path, minified: str = MINIFIED, source_map: str = SOURCE_MAP) -> Path:
    dist = root / "dist"
    dist.mkdir(parents=True, exist_ok=True)
    (dist / "app.js").write_text(minified)
    (dist / "app.js.map").write_text(source_map)
    return dist


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_sentry_cli_uploads_a_debug_id_bundle(errata_server, digest_worker, user, project,
                                              tmp_path):
    token = make_token(user)
    dist = write_dist(tmp_path)
    sentry_cli(errata_server, token, tmp_path, "sourcemaps", "inject", str(dist))
    debug_id = (dist / "app.js").read_text().rsplit("//# debugId=", 1)[1].strip()
    result = sentry_cli(errata_server, token, tmp_path, "sourcemaps", "upload", "--wait",
                        str(dist))
    assert "chunk-upload" in result.stderr and "artifactbundle/assemble" in result.stderr

    [bundle] = ArtifactBundle.objects.all()
    assert bundle.state == "ok" and list(bundle.projects.all()) == [project]
    files = {f.url: f for f in bundle.files.all()}
    assert set(files) == {"~/app.js", "~/app.js.map"}
    assert str(files["~/app.js"].debug_id) == debug_id
    assert files["~/app.js"].type == "minified_source"
    assert files["~/app.js.map"].type == "source_map"
    assert json.loads(artifact_bundles.read_artifact(files["~/app.js.map"]))["sources"]

    # The same upload again: nothing new is stored, the answer is `ok` straight away.
    chunk_count = FileChunk.objects.count()
    sentry_cli(errata_server, token, tmp_path, "sourcemaps", "upload", "--wait", str(dist))
    assert ArtifactBundle.objects.count() == 1 and FileChunk.objects.count() == chunk_count


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_sentry_cli_uploads_a_release_bound_bundle(errata_server, digest_worker, user, project,
                                                   tmp_path):
    token = make_token(user)
    dist = write_dist(tmp_path)  # no debug IDs: found by release, dist and URL
    sentry_cli(errata_server, token, tmp_path, "sourcemaps", "upload", "--wait",
               "--release", "shop@1.0",
               "--dist", "web", "--url-prefix", "~/static/js", str(dist))
    [bundle] = ArtifactBundle.objects.all()
    assert (bundle.state, bundle.release, bundle.dist) == ("ok", "shop@1.0", "web")
    assert set(bundle.files.values_list("url", flat=True)) == {
        "~/static/js/app.js", "~/static/js/app.js.map"}


# -- the routes, through Django's test client ------------------------------------------------


def _bundle_zip(files: dict[str, bytes], manifest: dict | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        if manifest is not False:
            archive.writestr("manifest.json", json.dumps(manifest or {"files": {
                name: {"url": f"~/{name}", "type": "minified_source"} for name in files}}))
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def cli(client, user, project):
    token = make_token(user)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    class Client:
        def upload(self, *chunks: bytes, names=None, gzipped=False):
            field = "file_gzip" if gzipped else "file"
            files = [io.BytesIO(gzip.compress(c) if gzipped else c) for c in chunks]
            for f, c, name in zip(files, chunks, names or [None] * len(chunks), strict=True):
                f.name = name or hashlib.sha1(c).hexdigest()
            return client.post("/api/0/organizations/acme/chunk-upload/", {field: files},
                               **headers)

        def assemble(self, **body):
            return client.post("/api/0/organizations/acme/artifactbundle/assemble/",
                               json.dumps(body), content_type="application/json", **headers)

        def get(self, path):
            return client.get(path, **headers)

    return Client()


def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def test_chunk_upload_options(cli, settings):
    options = cli.get("/api/0/organizations/acme/chunk-upload/").json()
    assert options["url"] == "http://testserver/api/0/organizations/acme/chunk-upload/"
    assert options["hashAlgorithm"] == "sha1" and "artifact_bundles" in options["accept"]
    assert options["chunkSize"] == settings.ERRATA["CHUNK_UPLOAD_CHUNK_SIZE"]
    assert options["maxFileSize"] == settings.ERRATA["ARTIFACT_BUNDLE_MAX_SIZE"]


def test_assemble_asks_for_missing_chunks_then_assembles(cli, project):
    data = _bundle_zip({"app.js": MINIFIED.encode()})
    first, second = data[:100], data[100:]
    body = {"checksum": _sha1(data), "chunks": [_sha1(first), _sha1(second)],
            "projects": ["shop"]}
    answer = cli.assemble(**body).json()
    assert answer == {"state": "not_found", "missingChunks": [_sha1(first), _sha1(second)],
                      "detail": None}
    assert cli.upload(first).status_code == 200
    assert cli.assemble(**body).json()["missingChunks"] == [_sha1(second)]
    assert cli.upload(second, gzipped=True).status_code == 200
    # The broker is not consumed here: the task waits; run it as the worker would.
    assert cli.assemble(**body).json()["state"] == "created"
    assert cli.assemble(**body).json()["state"] == "created"  # queued once
    bundle = ArtifactBundle.objects.get()
    assert artifact_bundles.assemble(bundle.pk) == "ok"
    assert artifact_bundles.assemble(bundle.pk) == "ok"  # idempotent
    assert cli.assemble(**body).json() == {"state": "ok", "missingChunks": [], "detail": None}
    assert ArtifactFile.objects.get().url == "~/app.js"


@pytest.mark.parametrize("data, detail", [
    (b"not a zip", "not a zip archive"),
    (_bundle_zip({"app.js": b"x"}, manifest=False), "no manifest.json"),
])
def test_a_bad_bundle_ends_in_error_with_its_reason(cli, project, data, detail):
    body = {"checksum": _sha1(data), "chunks": [_sha1(data)], "projects": ["shop"]}
    cli.upload(data)
    assert cli.assemble(**body).json()["state"] == "created"
    assert artifact_bundles.assemble(ArtifactBundle.objects.get().pk) == "error"
    answer = cli.assemble(**body).json()  # sentry-cli polls: the error stays
    assert answer["state"] == "error" and detail in answer["detail"]


def test_bad_input_is_a_clear_400(cli, project, settings):
    assert cli.upload(b"chunk", names=["0" * 40]).json() == {
        "detail": f"Checksum mismatch: chunk {'0' * 40} has sha1 {_sha1(b'chunk')}."}
    settings.ERRATA = {**settings.ERRATA, "CHUNK_UPLOAD_CHUNK_SIZE": 4}
    assert "larger than the chunk size" in cli.upload(b"chunk").json()["detail"]
    assert "larger than the chunk size" in cli.upload(b"chunk", gzipped=True).json()["detail"]
    assert cli.upload(b"x", names=["x"] * 1, gzipped=True).status_code == 400
    answer = cli.assemble(checksum="a" * 40, chunks=["b" * 40], projects=["nope"])
    assert answer.status_code == 400
    assert answer.json() == {"detail": "One or more projects are invalid."}
    assert cli.assemble(checksum="xyz", chunks=[], projects=["shop"]).status_code == 400
    settings.ERRATA = {**settings.ERRATA, "CHUNK_UPLOAD_CHUNK_SIZE": 1024,
                       "ARTIFACT_BUNDLE_MAX_SIZE": 1024}
    answer = cli.assemble(checksum="a" * 40, chunks=["b" * 40, "c" * 40, "d" * 40],
                          projects=["shop"])
    assert answer.status_code == 400 and "ARTIFACT_BUNDLE_MAX_SIZE" in answer.json()["detail"]


def test_another_organizations_routes_are_404(cli, db):
    make_org("Other", owner=make_user("bob"))
    assert cli.get("/api/0/organizations/other/chunk-upload/").status_code == 404
    assert cli.assemble(checksum="a" * 40, chunks=[], projects=["shop"]).status_code == 200


def test_chunk_and_bundle_files_go_with_their_organization(cli, org, project,
                                                           django_capture_on_commit_callbacks):
    data = _bundle_zip({"app.js": MINIFIED.encode()})
    cli.upload(data)
    cli.assemble(checksum=_sha1(data), chunks=[_sha1(data)], projects=["shop"])
    artifact_bundles.assemble(ArtifactBundle.objects.get().pk)
    names = [FileChunk.objects.get().file.name, ArtifactBundle.objects.get().file.name]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        org.delete()
    assert not any(default_storage.exists(name) for name in names)
