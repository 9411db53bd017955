"""Releases and environments seen by the digest: batch get-or-create."""

from __future__ import annotations

from collections.abc import Iterable

from tracker.models import Environment, Project, Release


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
