"""Sentry's chunk-upload and artifact bundle routes, as `sentry-cli sourcemaps upload` calls
them (tracker/artifact_bundles.py has the protocol; docs/sourcemaps.md the overview).

Thin views: find the organization (404 outside the token user's organizations), check the
body, call tracker/artifact_bundles.py. These routes need the `project:releases` scope, as
in Sentry: each view starts from `_organization`, the one place to check it.
"""

from __future__ import annotations

import re
import zlib

from django.urls import reverse
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from tracker import artifact_bundles, tasks
from tracker.access import get_membership
from tracker.api.scopes import scoped
from tracker.models import Organization, Project

SHA1 = re.compile(r"^[0-9a-f]{40}$")


def _organization(request: Request, org_slug: str) -> Organization:
    return get_membership(request.user, org_slug).organization


@api_view(["GET", "POST"])
@scoped(GET=("project:read", "project:releases"), POST="project:releases")
def chunk_upload(request: Request, org_slug: str) -> Response:
    organization = _organization(request, org_slug)
    if request.method == "GET":
        url = request.build_absolute_uri(reverse("api-chunk-upload", args=[org_slug]))
        return Response(artifact_bundles.upload_options(url))

    files = request.FILES.getlist("file")
    gzipped = request.FILES.getlist("file_gzip")
    if len(files) + len(gzipped) > artifact_bundles.CHUNKS_PER_REQUEST:
        raise ParseError(f"Too many chunks in one request (at most "
                         f"{artifact_bundles.CHUNKS_PER_REQUEST}).")
    chunk_size = artifact_bundles.limit("CHUNK_UPLOAD_CHUNK_SIZE")
    chunks = [(f.name, f.read(chunk_size + 1)) for f in files]
    chunks += [(f.name, _gunzip(f.read(), chunk_size)) for f in gzipped]
    if sum(len(data) for _, data in chunks) > artifact_bundles.limit(
            "CHUNK_UPLOAD_MAX_REQUEST_SIZE"):
        raise ParseError("The chunks are larger than the maximum request size "
                         "(CHUNK_UPLOAD_MAX_REQUEST_SIZE).")
    try:
        artifact_bundles.save_chunks(organization, chunks)
    except artifact_bundles.UploadError as error:
        raise ParseError(str(error)) from None
    return Response(status=200)


def _gunzip(data: bytes, chunk_size: int) -> bytes:
    """A gzip-compressed chunk, never inflated past one byte over the chunk size (so an
    oversized chunk is refused by size, and a compression bomb costs nothing)."""
    try:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return inflater.decompress(data, chunk_size + 1)
    except zlib.error:
        raise ParseError("A chunk is not valid gzip.") from None


class AssembleRequest(serializers.Serializer):
    checksum = serializers.RegexField(SHA1)
    chunks = serializers.ListField(child=serializers.RegexField(SHA1), allow_empty=True)
    projects = serializers.ListField(child=serializers.CharField(max_length=100),
                                     allow_empty=False)
    version = serializers.CharField(max_length=200, required=False, allow_blank=True)
    dist = serializers.CharField(max_length=64, required=False, allow_blank=True)


@api_view(["POST"])
@scoped(POST="project:releases")
def artifact_bundle_assemble(request: Request, org_slug: str) -> Response:
    organization = _organization(request, org_slug)
    body = AssembleRequest(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    slugs = set(data["projects"])
    projects = list(Project.objects.filter(organization=organization, slug__in=slugs))
    if len(projects) != len(slugs):
        raise ParseError("One or more projects are invalid.")  # Sentry's words
    try:
        answer = artifact_bundles.request_assembly(
            organization, data["checksum"], data["chunks"], projects,
            release=data.get("version") or "", dist=data.get("dist") or "")
    except artifact_bundles.UploadError as error:
        raise ParseError(str(error)) from None
    if answer.bundle_id is not None:
        tasks.start_assembly(answer.bundle_id)
    return Response(answer.json())
