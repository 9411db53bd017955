"""Artifact bundles as sentry-cli uploads them: chunks in, an assembled bundle and its index
out (docs/sourcemaps.md).

The protocol, as sentry-cli 2.x/3.x speaks it:
  1. `GET chunk-upload/` tells sentry-cli the chunk size and limits (`upload_options`);
  2. `POST artifactbundle/assemble/` with the bundle's sha1 and its chunks' sha1s answers
     which chunks the server lacks (`request_assembly`);
  3. `POST chunk-upload/` sends those chunks (`save_chunks`): each is checked against its
     sha1 and stored once per organization, through Django's storage;
  4. `POST artifactbundle/assemble/` again: with every chunk present the bundle is assembled
     by a task (`assemble`), and sentry-cli polls the same route until `ok` or `error`.
Assembling is idempotent: a bundle is keyed by organization and checksum, a second request
for an assembled bundle answers `ok` (adding projects it was not yet linked to), and an
`error` stays an error for ERROR_STICKS (so polling cannot restart it in a loop) before a new
request may try again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models.signals import post_delete
from django.utils import timezone

from tracker.attachment_files import delete_file
from tracker.models import ArtifactBundle, ArtifactFile, FileChunk, Organization, Project

logger = logging.getLogger(__name__)

State = ArtifactBundle.State
# What sentry-cli may send: artifact bundles, v2 meaning "ask which chunks are missing
# before uploading them" (deduplicated upload).
ACCEPT = ["artifact_bundles", "artifact_bundles_v2"]
CHUNKS_PER_REQUEST = 64
CONCURRENCY = 8
ERROR_STICKS = timedelta(minutes=5)
# Artifact types whose lookups symbolication makes (the manifest's `type` values).
MINIFIED_SOURCE, SOURCE_MAP = "minified_source", "source_map"


class UploadError(ValueError):
    """Bad input from the client: the message is the API's `detail`."""


def limit(name: str) -> int:
    return settings.ERRATA[name]


def upload_options(url: str) -> dict:
    """The chunk-upload options sentry-cli reads (Sentry's names and meanings)."""
    return {
        "url": url,
        "chunkSize": limit("CHUNK_UPLOAD_CHUNK_SIZE"),
        "chunksPerRequest": CHUNKS_PER_REQUEST,
        "maxFileSize": limit("ARTIFACT_BUNDLE_MAX_SIZE"),
        "maxRequestSize": limit("CHUNK_UPLOAD_MAX_REQUEST_SIZE"),
        "concurrency": CONCURRENCY,
        "hashAlgorithm": "sha1",
        "compression": ["gzip"],
        "accept": ACCEPT,
    }


# -- chunks -----------------------------------------------------------------------------------


def _chunk_name(organization: Organization, checksum: str) -> str:
    return f"chunks/{organization.pk}/{checksum[:2]}/{checksum}"


def save_chunks(organization: Organization, chunks: Iterable[tuple[str, bytes]]) -> int:
    """Store (name, data) chunks: the name is the sha1 sentry-cli computed, checked against
    the data. Chunks the organization has already are not stored again. Returns how many
    were new."""
    chunk_size = limit("CHUNK_UPLOAD_CHUNK_SIZE")
    checked: dict[str, bytes] = {}
    for name, data in chunks:
        if len(data) > chunk_size:
            raise UploadError(f"Chunk {name} is larger than the chunk size ({chunk_size} bytes).")
        checksum = hashlib.sha1(data, usedforsecurity=False).hexdigest()
        if name.lower() != checksum:
            raise UploadError(f"Checksum mismatch: chunk {name} has sha1 {checksum}.")
        checked[checksum] = data
    have = set(FileChunk.objects.filter(organization=organization, checksum__in=list(checked))
               .values_list("checksum", flat=True))
    new = 0
    for checksum, data in checked.items():
        if checksum in have:
            continue
        name = default_storage.save(_chunk_name(organization, checksum), ContentFile(data))
        try:
            with transaction.atomic():
                FileChunk.objects.create(organization=organization, checksum=checksum,
                                         size=len(data), file=name)
            new += 1
        except IntegrityError:
            # The same chunk from a concurrent request won: keep its file, drop ours if it
            # is a different one (filesystem storage renames instead of overwriting).
            if name != _chunk_name(organization, checksum):
                delete_file(name)
    return new


def missing_chunks(organization: Organization, checksums: list[str]) -> list[str]:
    have = set(FileChunk.objects.filter(organization=organization, checksum__in=checksums)
               .values_list("checksum", flat=True))
    return [c for c in dict.fromkeys(checksums) if c not in have]


# -- assembling -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssembleAnswer:
    state: str
    missing: list[str]
    detail: str | None = None
    bundle_id: int | None = None  # set when the caller must enqueue the assembly

    def json(self) -> dict:
        return {"state": self.state, "missingChunks": self.missing, "detail": self.detail}


def request_assembly(organization: Organization, checksum: str, chunks: list[str],
                     projects: list[Project], release: str = "", dist: str = "") -> AssembleAnswer:
    """One `artifactbundle/assemble/` request: what state the bundle is in, which chunks are
    missing, and whether an assembly should start (`bundle_id`)."""
    if not chunks:
        return AssembleAnswer("not_found", [])
    if len(chunks) * limit("CHUNK_UPLOAD_CHUNK_SIZE") > (
            limit("ARTIFACT_BUNDLE_MAX_SIZE") + limit("CHUNK_UPLOAD_CHUNK_SIZE")):
        raise UploadError(f"The bundle is larger than the maximum of "
                          f"{limit('ARTIFACT_BUNDLE_MAX_SIZE')} bytes (ARTIFACT_BUNDLE_MAX_SIZE).")
    with transaction.atomic():
        bundle, _ = ArtifactBundle.objects.select_for_update().get_or_create(
            organization=organization, checksum=checksum,
            defaults={"chunks": chunks, "release": release, "dist": dist},
        )
        bundle.projects.add(*projects)
        if bundle.state == State.OK:
            return AssembleAnswer(State.OK, [])
        if bundle.state == State.ASSEMBLING:
            return AssembleAnswer(State.ASSEMBLING, [])
        if bundle.state == State.ERROR and bundle.date_assembled and (
                timezone.now() - bundle.date_assembled < ERROR_STICKS):
            return AssembleAnswer(State.ERROR, [], bundle.detail)
        missing = missing_chunks(organization, chunks)
        if missing:
            # Not started yet: the chunk list, release and dist are the latest request's.
            bundle.chunks, bundle.release, bundle.dist = chunks, release, dist
            bundle.state, bundle.detail = State.CREATED, ""
            bundle.save(update_fields=["chunks", "release", "dist", "state", "detail"])
            return AssembleAnswer("not_found", missing)
        if bundle.state == State.CREATED and bundle.date_assembled is not None:
            # Queued already by an earlier request (date_assembled marks "queued" here).
            return AssembleAnswer(State.CREATED, [])
        bundle.chunks, bundle.release, bundle.dist = chunks, release, dist
        bundle.state, bundle.detail, bundle.date_assembled = State.CREATED, "", timezone.now()
        bundle.save(update_fields=["chunks", "release", "dist", "state", "detail",
                                   "date_assembled"])
    return AssembleAnswer(State.CREATED, [], bundle_id=bundle.pk)


def assemble(bundle_id: int) -> str:
    """The task's body: join the chunks, check the bundle, store it and index its files.
    Safe to run twice; returns the final state."""
    with transaction.atomic():
        bundle = ArtifactBundle.objects.select_for_update().filter(pk=bundle_id).first()
        if bundle is None or bundle.state in (State.OK, State.ERROR):
            return bundle.state if bundle else State.ERROR
        bundle.state = State.ASSEMBLING
        bundle.save(update_fields=["state"])
    try:
        _assemble(bundle)
    except UploadError as error:
        _finish(bundle, State.ERROR, str(error))
    except Exception:
        logger.exception("could not assemble artifact bundle %s", bundle.pk)
        _finish(bundle, State.ERROR, "The bundle could not be assembled (server error).")
    return bundle.state


def _finish(bundle: ArtifactBundle, state: str, detail: str = "") -> None:
    bundle.state, bundle.detail, bundle.date_assembled = state, detail, timezone.now()
    bundle.save(update_fields=["state", "detail", "date_assembled"])


def _assemble(bundle: ArtifactBundle) -> None:
    max_size = limit("ARTIFACT_BUNDLE_MAX_SIZE")
    stored = dict(FileChunk.objects.filter(organization_id=bundle.organization_id,
                                           checksum__in=bundle.chunks)
                  .values_list("checksum", "file"))
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as joined:
        digest, size = hashlib.sha1(usedforsecurity=False), 0
        for checksum in bundle.chunks:
            if checksum not in stored:
                raise UploadError(f"Chunk {checksum} is missing.")
            with default_storage.open(stored[checksum], "rb") as chunk:
                data = chunk.read()
            size += len(data)
            if size > max_size:
                raise UploadError(f"The bundle is larger than the maximum of {max_size} bytes "
                                  "(ARTIFACT_BUNDLE_MAX_SIZE).")
            digest.update(data)
            joined.write(data)
        if digest.hexdigest() != bundle.checksum:
            raise UploadError(f"Checksum mismatch: the chunks join to {digest.hexdigest()}, "
                              f"not {bundle.checksum}.")
        joined.seek(0)
        manifest, files = _read_manifest(joined)
        joined.seek(0)
        name = default_storage.save(
            f"artifact-bundles/{bundle.organization_id}/{bundle.checksum}.zip", File(joined))
    with transaction.atomic():
        bundle.files.all().delete()  # a run that died after indexing: index again
        for artifact in files:
            artifact.bundle = bundle
        ArtifactFile.objects.bulk_create(files, batch_size=500)
        bundle.file, bundle.size, bundle.artifact_count = name, size, len(files)
        bundle.bundle_id = str(manifest.get("debug_id") or "")[:64]
        # The manifest names the release when sentry-cli was given one; the request may too.
        bundle.release = bundle.release or str(manifest.get("release") or "")[:200]
        bundle.dist = bundle.dist or str(manifest.get("dist") or "")[:64]
        bundle.save(update_fields=["file", "size", "artifact_count", "bundle_id", "release",
                                   "dist"])
        _finish(bundle, State.OK)


def _read_manifest(joined) -> tuple[dict, list[ArtifactFile]]:
    try:
        archive = zipfile.ZipFile(joined)
    except zipfile.BadZipFile:
        raise UploadError("The bundle is not a zip archive.") from None
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except KeyError:
            raise UploadError("The bundle has no manifest.json.") from None
        except ValueError:
            raise UploadError("The bundle's manifest.json is not valid JSON.") from None
        entries = manifest.get("files") if isinstance(manifest, dict) else None
        if not isinstance(entries, dict):
            raise UploadError("The bundle's manifest.json has no files.")
        max_files = limit("ARTIFACT_BUNDLE_MAX_FILES")
        if len(entries) > max_files:
            raise UploadError(f"The bundle holds {len(entries)} files; the maximum is "
                              f"{max_files} (ARTIFACT_BUNDLE_MAX_FILES).")
        members = {info.filename: info.file_size for info in archive.infolist()}
    files = []
    for path, entry in entries.items():
        if path not in members or not isinstance(entry, dict):
            raise UploadError(f"The manifest lists {path}, which is not in the bundle.")
        headers = {str(k).lower(): str(v) for k, v in (entry.get("headers") or {}).items()}
        files.append(ArtifactFile(
            path=path[:1024], url=str(entry.get("url") or "")[:1024],
            type=str(entry.get("type") or "")[:32], debug_id=parse_uuid(headers.get("debug-id")),
            sourcemap=(headers.get("sourcemap") or headers.get("x-sourcemap") or "")[:1024],
            size=members[path],
        ))
    return manifest, files


def parse_uuid(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value[:36])
    except ValueError:
        return None


# -- reading ----------------------------------------------------------------------------------


def read_artifact(artifact: ArtifactFile) -> bytes:
    """The file's bytes, from its bundle in storage."""
    # Both storages give a seekable file (S3's spools to a temporary file), so only the
    # member is read, not the whole bundle.
    with (default_storage.open(artifact.bundle.file.name, "rb") as stored,
          zipfile.ZipFile(stored) as archive):
        return archive.read(artifact.path)


# -- files go with their rows -----------------------------------------------------------------


def _file_row_deleted(sender, instance, using: str, **kwargs) -> None:
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: delete_file(name), using=using)


def connect() -> None:
    """Called once, by the app's ready(): chunk and bundle files go when their rows go."""
    for model in (FileChunk, ArtifactBundle):
        post_delete.connect(_file_row_deleted, sender=model,
                            dispatch_uid=f"tracker.artifact_bundles.{model.__name__}")
