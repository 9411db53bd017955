"""Suspect commits without an SCM integration: which recorded commits probably caused an issue.

The candidates are the commits of the issue's first release and of the releases before it,
back to (and including) the nearest earlier release with commits: a release recorded without
commits shipped what the commits of the releases before it changed. A candidate is suspect
when a file it added or modified is a file of one of the event's in-app frames, matched by
path suffix on whole path components (`/srv/app/shop/checkout.py` in the stack trace and
`shop/checkout.py` in the repository, or `checkout.py` and `src/checkout.py`), because the
paths an SDK reports start wherever the code was deployed, and repository paths at its root.

Ranked by how well it matches: each matching frame adds the number of path components in
common, counted double for the frames nearest the crash (the last ones, as SDKs send them).
Ties go to the newer release, then to the newer commit in it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from tracker.models import CommitFileChange, Event, Issue, Release, ReleaseCommit
from tracker.models.commits import Commit
from tracker.releases import members_by_email

# How far back to look for a release with commits, and how many frames to read: bounds on
# the work done for one page view.
MAX_RELEASES = 20
MAX_FRAMES = 50
# The frames nearest the crash that count double.
CRASH_FRAMES = 3
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://[^/]*", re.IGNORECASE)


@dataclass
class Suspect:
    commit: Commit
    release: Release
    score: int = 0
    files: list[str] = field(default_factory=list)
    user: Any = None  # the member who wrote it, if the author's email is a member's

    @property
    def summary(self) -> str:
        return self.commit.message.strip().split("\n", 1)[0]


def path_parts(path: str) -> tuple[str, ...]:
    """A frame's or a repository's path as components: no scheme and host (`app:///`,
    `webpack://`, `https://cdn...`), `/` or `\\` separated, no `.` or empty ones."""
    path = _SCHEME.sub("", path.split("?", 1)[0]).replace("\\", "/")
    return tuple(part for part in path.split("/") if part not in ("", "."))


def match_length(frame: tuple[str, ...], file: tuple[str, ...]) -> int:
    """Components in common at the end, if one path is a suffix of the other; else 0."""
    shorter = min(len(frame), len(file))
    if shorter == 0 or frame[-shorter:] != file[-shorter:]:
        return 0
    return shorter


def in_app_paths(data: dict) -> list[tuple[str, ...]]:
    """The event's in-app frame paths, crash-nearest first. If no frame says whether it is
    in-app, all frames are taken: an SDK that doesn't mark them shouldn't hide them all."""
    stacks = []
    exception = data.get("exception") if isinstance(data, dict) else None
    values = exception.get("values") if isinstance(exception, dict) else None
    for value in reversed(values if isinstance(values, list) else []):
        if isinstance(value, dict):
            stacks.append(value.get("stacktrace"))
    if isinstance(data, dict):
        stacks.append(data.get("stacktrace"))
    frames = [
        frame for stack in stacks if isinstance(stack, dict)
        and isinstance(stack.get("frames"), list)
        for frame in reversed(stack["frames"]) if isinstance(frame, dict)
    ]
    marked = any("in_app" in frame for frame in frames)
    paths = []
    for frame in frames:
        if marked and frame.get("in_app") is not True:
            continue
        path = frame.get("abs_path") or frame.get("filename")
        if isinstance(path, str) and (parts := path_parts(path)):
            paths.append(parts)
    return paths[:MAX_FRAMES]


def candidate_releases(issue: Issue) -> list[Release]:
    """The issue's first release and the ones before it, newest first, back to the nearest
    earlier one with commits; none if none of them has commits."""
    first = issue.first_release
    if first is None:
        return []
    earlier = (
        Release.objects.filter(projects=issue.project_id)
        .filter(Q(created__lt=first.created) | Q(created=first.created, pk__lt=first.pk))
        .order_by("-created", "-pk")[:MAX_RELEASES]
    )
    chain = [first, *earlier]
    with_commits = set(
        ReleaseCommit.objects.filter(release__in=[r.pk for r in chain])
        .values_list("release_id", flat=True).distinct()
    )
    if not with_commits:
        return []  # nothing recorded: no commit to suspect
    for position, release in enumerate(chain[1:], start=1):
        if release.pk in with_commits:
            return chain[:position + 1]
    return chain


def suspects(issue: Issue, event: Event | None) -> list[Suspect]:
    """The suspect commits for this event of the issue, best first."""
    if event is None:
        return []
    paths = in_app_paths(event.data)
    releases = candidate_releases(issue)
    if not paths or not releases:
        return []
    rank = {release.pk: i for i, release in enumerate(releases)}
    # Only files named like a frame's file are read: a commit may touch 10,000 files.
    names = {parts[-1] for parts in paths}
    named = Q()
    for name in names:
        named |= Q(filename=name) | Q(filename__endswith="/" + name)
    changes = list(
        CommitFileChange.objects.filter(named, type__in=("A", "M"),
                                        commit__release_commits__release__in=list(rank))
        .values_list("commit_id", "filename", "commit__release_commits__release_id",
                     "commit__release_commits__order")
    )
    found: dict[int, Suspect] = {}
    order: dict[int, tuple[int, int]] = {}
    commits = Commit.objects.select_related("repository").in_bulk({row[0] for row in changes})
    by_pk = {release.pk: release for release in releases}
    for commit_id, filename, release_id, position in changes:
        score = _score(paths, path_parts(filename))
        if not score:
            continue
        key = (rank[release_id], position)
        suspect = found.get(commit_id)
        if suspect is None or key < order[commit_id]:
            # A commit in several candidate releases belongs to the newest of them.
            found[commit_id] = suspect = Suspect(
                commits[commit_id], by_pk[release_id],
                score=suspect.score if suspect else 0,
                files=suspect.files if suspect else [])
            order[commit_id] = key
        if filename not in suspect.files:
            suspect.score += score
            suspect.files.append(filename)
    ranked = sorted(found.values(), key=lambda s: (-s.score, order[s.commit.pk]))
    users = members_by_email(issue.project.organization_id,
                             [s.commit.author_email for s in ranked])
    for suspect in ranked:
        suspect.user = users.get(suspect.commit.author_email.lower())
    return ranked


def _score(paths: Iterable[tuple[str, ...]], file: tuple[str, ...]) -> int:
    score = 0
    for i, frame in enumerate(paths):
        length = match_length(frame, file)
        score += length * (2 if i < CRASH_FRAMES else 1)
    return score
