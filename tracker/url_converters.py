"""Path converters shared by the pages and the API."""

from __future__ import annotations

from django.urls import register_converter


class ReleaseVersionConverter:
    """A release version in a URL: anything but empty, `/` included (clients percent-encode
    it, and the server decodes it before routing). The routes below a release come before
    its detail route, so `1.0/deploys/` is the deploys of `1.0`."""

    regex = ".+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReleaseVersionConverter, "version")
