"""Releases as `sentry-cli` manages them: creating, finalizing and deleting them, their commits
and their deploys. The API views in tracker/api/releases.py are thin calls into this module.

Errata has no SCM integration, so commits come whole from the client (`set-commits --auto`
or `--local` send the local git history, authors and files included). A commit range named
by refs (`--commit REPO@A..B`) cannot be fetched from a provider: the release records the
head commit of each ref, as Sentry does for a repository without an integration.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from tracker import actions, sql
from tracker.models import (
    Commit,
    CommitFileChange,
    Deploy,
    Environment,
    Issue,
    Organization,
    Project,
    Release,
    ReleaseCommit,
    Repository,
)
from tracker.models.issues import parse_qualified_short_id

MAX_VERSION_LENGTH = 200
# The routes below a release (tracker/api/urls.py). A version ending in `/` and one of these
# would read as that route of a shorter version, so it is refused: every version accepted
# can be addressed.
RELEASE_SUBROUTES = ("commits", "commitfiles", "deploys", "previous-with-commits")


class ReleaseError(Exception):
    """A request the release cannot take; the message is shown to the client."""


def version_error(version: str) -> str | None:
    """Why a version can't be used, or None. Unlike Sentry, `/` is allowed: the API's URLs
    accept it percent-encoded (sentry-cli itself can't send one, but other clients can)."""
    if not version.strip():
        return "Release version must not be empty."
    if len(version) > MAX_VERSION_LENGTH:
        return f"Release version must be at most {MAX_VERSION_LENGTH} characters."
    if version in (".", ".."):
        return "Release version must not be '.' or '..'."
    if not version.isprintable():  # newlines, tabs and other control characters
        return "Release version must not contain control characters."
    if "/" in version and version.rpartition("/")[2] in RELEASE_SUBROUTES:
        return "Release version must not end in " + ", ".join(
            f"/{name}" for name in RELEASE_SUBROUTES) + "."
    return None


def short_version(version: str) -> str:
    """Sentry's short form: without the `package@` prefix; a 40-character sha cut to 12."""
    rest = version.rpartition("@")[2] or version
    if len(rest) == 40 and all(ch in "0123456789abcdefABCDEF" for ch in rest):
        return rest[:12]
    return rest


def projects_by_slug(organization: Organization,
                     slugs_or_ids: Iterable[str | int]) -> list[Project]:
    """The organization's projects named by slug or numeric id (sentry-cli sends either);
    ReleaseError if any is unknown."""
    wanted = list(dict.fromkeys(slugs_or_ids))
    ids = [int(v) for v in wanted if isinstance(v, int) or str(v).isdigit()]
    slugs = [str(v) for v in wanted if not (isinstance(v, int) or str(v).isdigit())]
    found = list(
        Project.objects.filter(organization=organization)
        .filter(Q(slug__in=slugs) | Q(pk__in=ids))
        .order_by("slug")
    )
    if not wanted or len(found) != len(wanted):
        raise ReleaseError("Invalid project ids or slugs")
    return found


@transaction.atomic
def create_release(
    organization: Organization, version: str, projects: Sequence[Project], *,
    url: str = "", ref: str = "", date_started: datetime | None = None,
    date_released: datetime | None = None,
) -> tuple[Release, bool]:
    """The release, created or found; True if anything changed (Sentry answers 201 then,
    208 for a repeated `releases new`). A repeat adds projects and fills in what the release
    still lacks (so `releases new --finalize` after `releases new` finalizes), never
    overwriting what it has."""
    release, created = Release.objects.get_or_create(
        organization=organization, version=version,
        defaults={"url": url, "ref": ref, "date_started": date_started,
                  "date_released": date_released},
    )
    changed = created
    if not created:
        fills = {"url": url, "ref": ref, "date_started": date_started,
                 "date_released": date_released}
        missing = [name for name, value in fills.items() if value and not getattr(release, name)]
        for name in missing:
            setattr(release, name, fills[name])
        if missing:
            release.save(update_fields=missing)
            changed = True
    known = set(release.projects.values_list("pk", flat=True))
    new = [p for p in projects if p.pk not in known]
    if new:
        release.projects.add(*new)
        changed = True
    return release, changed


def update_release(
    release: Release, *, url: str | None = None, ref: str | None = None,
    date_released: datetime | None = None, projects: Sequence[Project] = (),
) -> Release:
    """`releases finalize` and friends: set what is given, add the projects given."""
    fields = {"url": url, "ref": ref, "date_released": date_released}
    changed = [name for name, value in fields.items() if value is not None]
    for name in changed:
        setattr(release, name, fields[name])
    if changed:
        release.save(update_fields=changed)
    if projects:
        release.projects.add(*projects)
    return release


def delete_release(release: Release) -> None:
    """Refused while issues point at the release, as Sentry does: deleting it would erase
    their first-seen, last-seen and resolved-in versions."""
    referenced = Issue.objects.filter(
        Q(first_release=release) | Q(last_release=release) | Q(resolved_in_release=release)
    ).exists()
    if referenced:
        raise ReleaseError("This release is referenced by active issues and cannot be removed.")
    release.delete()


# --- Commits ------------------------------------------------------------------------------

@dataclass(frozen=True)
class FileChange:
    filename: str
    type: str


@dataclass(frozen=True)
class CommitData:
    """One commit as `set-commits` sends it (`id`, `repository`, `author_name`, ...)."""

    key: str
    repository: str
    message: str = ""
    author_name: str = ""
    author_email: str = ""
    date: datetime | None = None
    files: tuple[FileChange, ...] = ()


@dataclass(frozen=True)
class Ref:
    repository: str
    commit: str
    previous_commit: str | None = None


# git's name-status letters other than A and D (T, a type change; R and C, when a diff
# detects renames and copies) are all a modified file for the release's file list.
def file_change_type(letter: str) -> str:
    letter = (letter or "M")[:1].upper()
    return letter if letter in CommitFileChange.Type.values else CommitFileChange.Type.MODIFIED


# One statement per this many rows: far below SQLite's limit on bound parameters, and on
# PostgreSQL (one array per column) a bound on the statement's size.
BATCH_ROWS = 5000


def _batches(rows: Sequence, size: int = BATCH_ROWS):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


@transaction.atomic
def set_commits(release: Release, commits: Sequence[CommitData]) -> None:
    """Replace the release's commits with these, newest first, creating repositories and
    commits the organization doesn't know yet.

    Written in batches of multi-row statements (tracker/sql.py), never a statement per commit
    or file: a merge commit touching 10,000 files is two INSERTs, not 10,000."""
    _lock(release)
    repositories = _repositories(release.organization, {c.repository for c in commits})
    # One row per commit: a commit sent twice would make the upsert touch a row twice.
    unique = list({(c.repository, c.key): c for c in reversed(commits)}.values())[::-1]
    quote = connection.ops.quote_name
    refresh = ", ".join(f"{quote(c)} = excluded.{quote(c)}"
                        for c in ("message", "author_name", "author_email", "date"))
    ids: dict[tuple[int, str], int] = {}
    for batch in _batches(unique):
        returned = sql.insert(
            Commit, ("repository_id", "key", "message", "author_name", "author_email", "date"),
            [(repositories[c.repository].pk, c.key, c.message, c.author_name, c.author_email,
              c.date) for c in batch],
            on_conflict=f"(repository_id, {quote('key')}) DO UPDATE SET {refresh}",
            returning=f"id, repository_id, {quote('key')}",
        )
        ids.update({(repository_id, key): pk for pk, repository_id, key in returned})
    commit_ids = [ids[repositories[c.repository].pk, c.key] for c in unique]

    # The same commit sent again carries the same files: replace them, never duplicate.
    with_files = [(pk, c) for pk, c in zip(commit_ids, unique, strict=True) if c.files]
    for batch in _batches([pk for pk, _ in with_files]):
        CommitFileChange.objects.filter(commit_id__in=batch).delete()
    file_rows = [
        (pk, f.filename, file_change_type(f.type))
        for pk, c in with_files for f in {f.filename: f for f in c.files}.values()
    ]
    for batch in _batches(file_rows):
        sql.insert(CommitFileChange, ("commit_id", "filename", "type"), batch)
    _replace_release_commits(release, commit_ids)


@transaction.atomic
def set_refs(release: Release, refs: Sequence[Ref]) -> None:
    """Head commits by repository name (`set-commits --commit`, or `--clear` with none).
    Without a provider to list the range, each ref's head commit is the release's commit."""
    _lock(release)
    names = {r.repository for r in refs}
    repositories = {
        r.name: r for r in Repository.objects.filter(organization=release.organization,
                                                     name__in=names)
    }
    unknown = sorted(names - repositories.keys())
    if unknown:
        raise ReleaseError(f"Invalid repository names: {', '.join(unknown)}")
    heads = []
    for ref in refs:
        commit, _ = Commit.objects.get_or_create(repository=repositories[ref.repository],
                                                 key=ref.commit)
        heads.append(commit.pk)
    _replace_release_commits(release, heads)


def _lock(release: Release) -> None:
    # Two set-commits of one release at once would interleave their replacements.
    Release.objects.select_for_update().filter(pk=release.pk).first()


def _repositories(organization: Organization, names: set[str]) -> dict[str, Repository]:
    return {
        name: Repository.objects.get_or_create(organization=organization, name=name)[0]
        for name in sorted(names)
    }


def _replace_release_commits(release: Release, commit_ids: list[int]) -> None:
    ReleaseCommit.objects.filter(release=release).delete()
    unique = list(dict.fromkeys(commit_ids))
    rows = [(release.pk, pk, order) for order, pk in enumerate(unique)]
    for batch in _batches(rows):
        sql.insert(ReleaseCommit, ("release_id", "commit_id", "order"), batch)


def members_by_email(organization_id: int, emails: Iterable[str]) -> dict[str, Any]:
    """The organization's members among these commit authors, by lower-cased email: an
    author is the member whose account has that email (git keeps the case people type)."""
    wanted = {e.lower() for e in emails if e}
    if not wanted:
        return {}
    users = (
        get_user_model().objects.annotate(email_lower=Lower("email"))
        .filter(memberships__organization_id=organization_id, email_lower__in=wanted)
        .order_by("pk")
    )
    found: dict[str, Any] = {}
    for user in users:
        found.setdefault(user.email_lower, user)  # two accounts, one email: the oldest
    return found


def release_commits(release: Release):
    return (
        Commit.objects.filter(release_commits__release=release)
        .select_related("repository")
        .order_by("release_commits__order")
    )


def release_file_changes(release: Release):
    return (
        CommitFileChange.objects.filter(commit__release_commits__release=release)
        .select_related("commit__repository")
        .order_by("commit__release_commits__order", "id")
    )


def previous_with_commits(release: Release) -> Release | None:
    """The newest release before this one, sharing a project with it, that has commits:
    sentry-cli lists local commits back to its last commit."""
    earlier = Release.objects.filter(
        Q(created__lt=release.created) | Q(created=release.created, pk__lt=release.pk),
        organization_id=release.organization_id, release_commits__isnull=False,
    ).exclude(pk=release.pk)
    project_ids = list(release.projects.values_list("pk", flat=True))
    if project_ids:
        earlier = earlier.filter(projects__in=project_ids)
    return earlier.distinct().order_by("-created", "-pk").first()


# --- Issues fixed by commits ------------------------------------------------------------

# Sentry's syntax: a keyword, then one or more short ids separated by spaces or commas
# (`Fixes SHOP-1F, SHOP-2A`), case-insensitive.
_FIXES = re.compile(
    r"\b(?:Fix|Fixes|Fixed|Close|Closes|Closed|Resolve|Resolves|Resolved):?\s+"
    r"([A-Za-z0-9_\-\s,]+)\b", re.IGNORECASE)
_SHORT_ID = re.compile(r"\b([A-Z0-9_-]+-[A-Z0-9]+)\b", re.IGNORECASE)


def fixed_short_ids(message: str) -> list[tuple[str, int]]:
    """The issues a commit message says it fixes, as (project slug, short id number)."""
    found = []
    for fixes in _FIXES.finditer(message):
        for short_id in _SHORT_ID.finditer(fixes.group(1)):
            parsed = parse_qualified_short_id(short_id.group(1))
            if parsed is not None and parsed not in found:
                found.append(parsed)
    return found


def resolve_fixed_issues(release: Release) -> list[int]:
    """Resolve in this release the issues its commits say they fix, once it is finalized.

    Only unresolved (or ignored) issues of the release's projects: the release says nothing
    about other projects, and a resolution someone chose is theirs to change. Called
    when a release becomes finalized and when a finalized release gets its commits."""
    if release.date_released is None:
        return []
    projects = dict(release.projects.values_list("slug", "pk"))
    resolved: list[int] = []
    for commit in release_commits(release).only("key", "message", "repository"):
        wanted = Q(pk__in=[])
        for slug, number in fixed_short_ids(commit.message):
            if slug in projects:
                wanted |= Q(project_id=projects[slug], short_id=number)
        # An issue someone already resolved keeps their resolution.
        issues = list(Issue.objects.filter(wanted).exclude(
            status__in=(Issue.Status.MERGED, Issue.Status.RESOLVED)))
        if issues:
            resolved += actions.resolve_in_release(issues, None, release, commit=commit.key)
    return resolved


# --- Deploys ------------------------------------------------------------------------------

@transaction.atomic
def create_deploy(
    release: Release, environment: str, *, name: str = "", url: str = "",
    date_started: datetime | None = None, date_finished: datetime | None = None,
    project_slugs: Sequence[str] | None = None,
) -> Deploy:
    """A deploy of the release; its environment is created if new and attached to the
    release's projects (or the ones named, which must be the release's)."""
    projects = list(release.projects.all())
    if project_slugs:
        projects = [p for p in projects if p.slug in set(project_slugs)]
        if len(projects) != len(set(project_slugs)):
            raise ReleaseError("Invalid projects: a deploy's projects must be the release's.")
    env, _ = Environment.objects.get_or_create(organization_id=release.organization_id,
                                               name=environment)
    if projects:
        env.projects.add(*projects)
    return Deploy.objects.create(
        release=release, environment=env, name=name, url=url, date_started=date_started,
        date_finished=date_finished or timezone.now(),
    )


# --- What the API reports about releases --------------------------------------------------

@dataclass
class ReleaseFacts:
    commit_count: int = 0
    last_commit: Commit | None = None
    authors: list[tuple[str, str]] = field(default_factory=list)
    deploy_count: int = 0
    last_deploy: Deploy | None = None
    new_groups: dict[int, int] = field(default_factory=dict)  # by project id
    users: dict[str, Any] = field(default_factory=dict)  # members among the authors


def facts_for(releases: Sequence[Release]) -> dict[int, ReleaseFacts]:
    """Counts and latest items for a page of releases, in a fixed number of queries that
    don't grow with a release's commits or deploys."""
    facts = {r.pk: ReleaseFacts() for r in releases}
    if not facts:
        return facts
    in_page = ReleaseCommit.objects.filter(release_id__in=facts)
    for row in in_page.values("release_id").annotate(n=Count("id")).order_by():
        facts[row["release_id"]].commit_count = row["n"]
    for row in in_page.filter(order=0).select_related("commit__repository"):
        facts[row.release_id].last_commit = row.commit
    authors = (
        in_page.values("release_id", "commit__author_name", "commit__author_email")
        .annotate(first=Min("order"))
        .order_by("release_id", "first")
    )
    seen: dict[int, set[str]] = defaultdict(set)
    for row in authors:
        name, email = row["commit__author_name"], row["commit__author_email"]
        key = email.lower() or name
        if key and key not in seen[row["release_id"]]:
            seen[row["release_id"]].add(key)
            facts[row["release_id"]].authors.append((name, email))

    users = members_by_email(releases[0].organization_id, [
        email for f in facts.values() for _, email in f.authors])
    for f in facts.values():
        f.users = users

    deploys = Deploy.objects.filter(release_id__in=facts)
    for row in deploys.values("release_id").annotate(n=Count("id")).order_by():
        facts[row["release_id"]].deploy_count = row["n"]
    newest = Deploy.objects.filter(release_id=OuterRef("pk")).order_by("-date_finished", "-id")
    last_ids = Release.objects.filter(pk__in=facts).annotate(
        last=Subquery(newest.values("pk")[:1])).values_list("last", flat=True)
    for deploy in deploys.filter(pk__in=[i for i in last_ids if i]).select_related(
            "environment"):
        facts[deploy.release_id].last_deploy = deploy

    groups = (
        Issue.objects.filter(first_release_id__in=facts)
        .values("first_release_id", "project_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in groups:
        facts[row["first_release_id"]].new_groups[row["project_id"]] = row["n"]
    return facts
