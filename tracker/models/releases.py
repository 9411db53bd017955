"""Releases, their deploys and environments, per organization as in Sentry."""

from __future__ import annotations

import re
from functools import cmp_to_key

from django.db import models

from tracker.models.orgs import Organization
from tracker.models.projects import Project

_SEMVER = re.compile(
    r"^v?(?P<nums>\d+(?:\.\d+){0,3})(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$"
)


def semver_key(version: str) -> tuple | None:
    """A sort key for `1.2.3`, `v1.2`, `shop@1.2.3-rc.1+build5`; None if not semver-like.

    The package prefix (before `@`) is part of the key so versions of different packages
    never compare as ordered. A prerelease sorts before its release.
    """
    package, _, rest = version.rpartition("@")
    match = _SEMVER.match(rest)
    if match is None:
        return None
    nums = tuple(int(n) for n in match["nums"].split("."))
    nums += (0,) * (4 - len(nums))
    pre = match["pre"]
    pre_key = (1,) if pre is None else (0, *(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in pre.split(".")
    ))
    return (package, nums, pre_key)


class Release(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="releases")
    version = models.CharField(max_length=200)
    projects = models.ManyToManyField(Project, blank=True, related_name="releases")
    date_released = models.DateTimeField(null=True, blank=True)
    date_started = models.DateTimeField(null=True, blank=True)
    url = models.URLField(max_length=400, blank=True, default="")
    ref = models.CharField(max_length=250, blank=True, default="",
                           help_text="A VCS reference (a commit or tag) the release was cut from.")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "version"], name="release_unique")
        ]

    def __str__(self) -> str:
        return self.version

    def is_newer_than(self, other: Release) -> bool:
        """The one release order: by semver when both versions parse (same package), else
        by release date (when it was finalized, or created if it never was)."""
        return compare(self, other) > 0


def compare(a: Release, b: Release) -> int:
    """-1, 0 or 1 as `a` is older than, the same as, or newer than `b` (see is_newer_than).
    Releases whose dates tie fall back on creation order, so no two differ and compare 0."""
    if a.pk is not None and a.pk == b.pk:
        return 0
    key_a, key_b = semver_key(a.version), semver_key(b.version)
    if key_a is not None and key_b is not None and key_a[0] == key_b[0]:
        if key_a[1:] != key_b[1:]:
            return 1 if key_a[1:] > key_b[1:] else -1
        return 0
    order_a = (a.date_released or a.created, a.created, a.pk or 0)
    order_b = (b.date_released or b.created, b.created, b.pk or 0)
    return (order_a > order_b) - (order_a < order_b)


# How many of a project's most recently created releases `latest` compares: a bound on the
# work (releases are created in order, give or take a few).
LATEST_AMONG = 200


def latest(project_id: int) -> Release | None:
    """The project's newest release right now, in the release order (`compare`)."""
    recent = list(Release.objects.filter(projects=project_id)
                  .order_by("-created", "-pk")[:LATEST_AMONG])
    return max(recent, key=cmp_to_key(compare)) if recent else None


class Environment(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="environments")
    name = models.CharField(max_length=64)
    projects = models.ManyToManyField(Project, blank=True, related_name="environments")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="environment_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Deploy(models.Model):
    """A release deployed to an environment (`sentry-cli deploys new`)."""

    release = models.ForeignKey(Release, models.CASCADE, related_name="deploys")
    environment = models.ForeignKey(Environment, models.CASCADE, related_name="deploys")
    name = models.CharField(max_length=64, blank=True, default="")
    url = models.URLField(max_length=400, blank=True, default="")
    date_started = models.DateTimeField(null=True, blank=True)
    date_finished = models.DateTimeField()

    class Meta:
        ordering = ["-date_finished", "-id"]

    def __str__(self) -> str:
        return f"{self.release} to {self.environment}"
