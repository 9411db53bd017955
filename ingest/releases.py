"""Releases and environments seen by the pipeline: batch get-or-create, and release order."""

from __future__ import annotations

import re
from collections.abc import Iterable

from tracker.models import Environment, Project, Release

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


def is_newer(candidate: Release, than: Release) -> bool:
    """Semver order when both versions parse (same package), else creation order."""
    a, b = semver_key(candidate.version), semver_key(than.version)
    if a is not None and b is not None and a[0] == b[0]:
        return a[1:] > b[1:]
    return (candidate.created, candidate.pk) > (than.created, than.pk)


def ensure_releases(project: Project, versions: Iterable[str]) -> dict[str, Release]:
    """Release rows for these versions in the project's organization, created if missing."""
    wanted = {v for v in versions if v}
    if not wanted:
        return {}
    org_id = project.organization_id
    found = {r.version: r for r in Release.objects.filter(organization_id=org_id,
                                                           version__in=wanted)}
    missing = wanted - found.keys()
    if missing:
        Release.objects.bulk_create(
            [Release(organization_id=org_id, version=v) for v in sorted(missing)],
            ignore_conflicts=True,
        )
        found.update(
            (r.version, r)
            for r in Release.objects.filter(organization_id=org_id, version__in=missing)
        )
    # Releases belong to the organization; link them to every project that reports them.
    Release.projects.through.objects.bulk_create(
        [Release.projects.through(release_id=r.pk, project_id=project.pk) for r in found.values()],
        ignore_conflicts=True,
    )
    return found


def ensure_environments(project: Project, names: Iterable[str]) -> None:
    wanted = {n for n in names if n}
    if not wanted:
        return
    org_id = project.organization_id
    known = set(
        Environment.objects.filter(organization_id=org_id, name__in=wanted, projects=project)
        .values_list("name", flat=True)
    )
    missing = wanted - known
    if not missing:
        return
    Environment.objects.bulk_create(
        [Environment(organization_id=org_id, name=n) for n in sorted(missing)],
        ignore_conflicts=True,
    )
    Environment.projects.through.objects.bulk_create(
        [
            Environment.projects.through(environment_id=env_id, project_id=project.pk)
            for env_id in Environment.objects.filter(organization_id=org_id, name__in=missing)
            .values_list("id", flat=True)
        ],
        ignore_conflicts=True,
    )
