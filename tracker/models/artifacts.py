"""Source maps and minified files as sentry-cli uploads them: chunks, artifact bundles and
the index of what each bundle holds (docs/sourcemaps.md).

sentry-cli splits a bundle (a zip with a `manifest.json`) into sha1-named chunks, uploads
the ones the server lacks and asks the server to assemble them. Chunks and bundles belong to
an organization: a checksum never reveals another organization's upload.
"""

from __future__ import annotations

from django.db import models

from tracker.models.orgs import Organization
from tracker.models.projects import Project


class FileChunk(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="+")
    checksum = models.CharField(max_length=40)  # sha1 of the (uncompressed) chunk, hex
    size = models.PositiveIntegerField()
    file = models.FileField(max_length=512)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "checksum"],
                                               name="filechunk_unique")]

    def __str__(self) -> str:
        return self.checksum


class ArtifactBundle(models.Model):
    """One assemble request of sentry-cli and, once assembled, the bundle it built."""

    class State(models.TextChoices):
        # Sentry's ChunkFileState values, as sentry-cli polls for them.
        CREATED = "created"
        ASSEMBLING = "assembling"
        OK = "ok"
        ERROR = "error"

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="+")
    checksum = models.CharField(max_length=40)  # sha1 of the whole bundle
    chunks = models.JSONField(default=list)  # chunk checksums, in order
    projects = models.ManyToManyField(Project, related_name="+")
    release = models.CharField(max_length=200, blank=True, default="")
    dist = models.CharField(max_length=64, blank=True, default="")
    state = models.CharField(max_length=16, choices=State.choices, default=State.CREATED)
    detail = models.TextField(blank=True, default="")  # why assembling failed
    bundle_id = models.CharField(max_length=64, blank=True, default="")  # manifest's debug_id
    file = models.FileField(max_length=512, blank=True, default="")
    size = models.PositiveBigIntegerField(default=0)
    artifact_count = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    date_assembled = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "checksum"],
                                               name="artifactbundle_unique")]
        indexes = [models.Index(fields=["organization", "release", "dist"],
                                name="artifactbundle_release")]

    def __str__(self) -> str:
        return self.bundle_id or self.checksum


class ArtifactFile(models.Model):
    """One file inside an assembled bundle, as its manifest describes it: how events find it
    (by debug ID, or by release, dist and URL) without opening the zip."""

    bundle = models.ForeignKey(ArtifactBundle, models.CASCADE, related_name="files")
    path = models.CharField(max_length=1024)  # the member's name in the zip
    url = models.CharField(max_length=1024, blank=True, default="")  # e.g. ~/static/app.js
    type = models.CharField(max_length=32)  # minified_source, source_map, source, ...
    debug_id = models.UUIDField(null=True, blank=True)
    sourcemap = models.CharField(max_length=1024, blank=True, default="")  # its Sourcemap header
    size = models.PositiveBigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["debug_id", "type"], name="artifactfile_debug_id"),
            models.Index(fields=["url"], name="artifactfile_url"),
        ]

    def __str__(self) -> str:
        return self.url or self.path
