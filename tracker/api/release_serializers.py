"""Sentry-shaped JSON for releases, commits, repositories and deploys, and the request bodies
sentry-cli sends for them.

Output is plain dicts, like tracker/api/serializers.py; input goes through DRF serializers,
whose 400 answers (`{"field": ["message"]}`) are the ones Sentry gives.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from tracker import releases
from tracker.api.serializers import iso
from tracker.models import Commit, CommitFileChange, Deploy, Project, Release, Repository

# --- Output -------------------------------------------------------------------------------


def serialize_release(release: Release, facts: releases.ReleaseFacts,
                      projects: list[Project]) -> dict[str, Any]:
    package, _, rest = release.version.rpartition("@")
    short = releases.short_version(release.version)
    return {
        "id": release.pk,
        "version": release.version,
        "shortVersion": short,
        "versionInfo": {"package": package or None, "version": {"raw": rest},
                        "description": short, "buildHash": None},
        "status": "open",
        "ref": release.ref or None,
        "url": release.url or None,
        "dateCreated": iso(release.created),
        "dateReleased": iso(release.date_released),
        "data": {},
        "owner": None,
        "newGroups": sum(facts.new_groups.values()),
        "commitCount": facts.commit_count,
        "lastCommit": serialize_commit(facts.last_commit, facts.users)
        if facts.last_commit else None,
        "deployCount": facts.deploy_count,
        "lastDeploy": serialize_deploy(facts.last_deploy) if facts.last_deploy else None,
        "authors": [author(name, email, facts.users) for name, email in facts.authors],
        "projects": [{
            "id": p.pk, "slug": p.slug, "name": p.name,
            "newGroups": facts.new_groups.get(p.pk, 0),
            "platform": p.platform or None, "platforms": [p.platform] if p.platform else [],
            "hasHealthData": False,
        } for p in projects],
        "firstEvent": None,
        "lastEvent": None,
        "currentProjectMeta": {},
        "userAgent": None,
    }


def serialize_user(user) -> dict[str, Any]:
    return {
        "id": str(user.pk), "username": user.get_username(), "email": user.email,
        "name": user.get_full_name() or user.get_username(), "isActive": user.is_active,
    }


def author(name: str, email: str, users: dict[str, Any] | None = None) -> dict[str, Any]:
    """A commit author: the member with that email (releases.members_by_email) as Sentry
    shows a user, else the name and email git recorded."""
    user = (users or {}).get(email.lower()) if email else None
    return serialize_user(user) if user is not None else {"name": name, "email": email}


def serialize_repository(repository: Repository) -> dict[str, Any]:
    # Without an integration Sentry names the provider "unknown": sentry-cli then skips the
    # repository when it looks for heads (`set-commits --auto`) and sends the local git
    # history instead, which is what Errata records.
    return {
        "id": str(repository.pk),
        "name": repository.name,
        "url": repository.url or None,
        "provider": {"id": "unknown", "name": "Unknown Provider"},
        "status": "active",
        "dateCreated": iso(repository.created),
        "integrationId": None,
        "externalSlug": None,
        "externalId": None,
    }


def serialize_commit(commit: Commit, users: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": commit.key,
        "message": commit.message or None,
        "dateCreated": iso(commit.date),
        "pullRequest": None,
        "suspectCommitType": "",
        "author": author(commit.author_name, commit.author_email, users)
        if commit.author_name or commit.author_email else None,
        "repository": serialize_repository(commit.repository),
    }


def serialize_file_change(change: CommitFileChange,
                          users: dict[str, Any] | None = None) -> dict[str, Any]:
    commit = change.commit
    return {
        "id": str(change.pk),
        "orgId": commit.repository.organization_id,
        "author": author(commit.author_name, commit.author_email, users),
        "commitMessage": commit.message,
        "filename": change.filename,
        "type": change.type,
        "repoName": commit.repository.name,
    }


def serialize_deploy(deploy: Deploy) -> dict[str, Any]:
    return {
        "id": str(deploy.pk),
        "environment": deploy.environment.name,
        "dateStarted": iso(deploy.date_started),
        "dateFinished": iso(deploy.date_finished),
        "name": deploy.name or None,
        "url": deploy.url or None,
    }


# --- Input --------------------------------------------------------------------------------


# A request's bounds: far above what a CI run sends (sentry-cli sends at most the commits
# since the previous release, 20 for a first one), low enough that one request is a few
# batched statements (tracker/releases.py), never a timeout.
MAX_COMMITS = 10_000
MAX_FILES = 100_000


class FileChangeInput(serializers.Serializer):
    path = serializers.CharField(max_length=500)
    type = serializers.CharField(max_length=2)


class CommitInput(serializers.Serializer):
    id = serializers.CharField(max_length=64)
    repository = serializers.CharField(max_length=200, required=False, allow_blank=True)
    message = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                    trim_whitespace=False)
    author_name = serializers.CharField(max_length=128, required=False, allow_blank=True,
                                        allow_null=True)
    author_email = serializers.CharField(max_length=200, required=False, allow_blank=True,
                                         allow_null=True)
    timestamp = serializers.DateTimeField(required=False, allow_null=True)
    patch_set = FileChangeInput(many=True, required=False)

    def to_commit(self, data: dict[str, Any], default_repository: str) -> releases.CommitData:
        return releases.CommitData(
            key=data["id"], repository=data.get("repository") or default_repository,
            message=data.get("message") or "", author_name=data.get("author_name") or "",
            author_email=data.get("author_email") or "", date=data.get("timestamp"),
            files=tuple(releases.FileChange(f["path"], f["type"])
                        for f in data.get("patch_set") or []),
        )


class RefInput(serializers.Serializer):
    repository = serializers.CharField(max_length=200)
    commit = serializers.CharField(max_length=130)
    previousCommit = serializers.CharField(max_length=64, required=False, allow_null=True,
                                           allow_blank=True)

    def validate(self, attrs):
        # Sentry accepts a range in `commit` (`A..B`): the head is B.
        previous, dots, head = attrs["commit"].rpartition("..")
        if dots:
            attrs["commit"], attrs["previousCommit"] = head, previous or None
        if not attrs["commit"] or len(attrs["commit"]) > 64:
            raise serializers.ValidationError({"commit": ["Invalid commit."]})
        return attrs


class ReleaseChanges(serializers.Serializer):
    """What both create (POST) and update (PUT) take."""

    ref = serializers.CharField(max_length=250, required=False, allow_blank=True,
                                allow_null=True)
    url = serializers.CharField(max_length=400, required=False, allow_blank=True,
                                allow_null=True)
    dateReleased = serializers.DateTimeField(required=False, allow_null=True)
    commits = CommitInput(many=True, required=False, max_length=MAX_COMMITS)
    refs = RefInput(many=True, required=False, max_length=MAX_COMMITS)
    projects = serializers.ListField(child=serializers.CharField(max_length=50),
                                     required=False)
    status = serializers.CharField(required=False)

    def validate_commits(self, value: list[dict]) -> list[dict]:
        files = sum(len(commit.get("patch_set") or ()) for commit in value)
        if files > MAX_FILES:
            raise serializers.ValidationError(
                f"At most {MAX_FILES} changed files in all commits of one request "
                f"(got {files}).")
        return value

    def validate_status(self, value: str) -> str:
        # Said out loud rather than ignored: `releases archive` must not report success.
        if value != "open":
            raise serializers.ValidationError("Archiving releases is not supported yet.")
        return value


class ReleaseCreate(ReleaseChanges):
    version = serializers.CharField(max_length=releases.MAX_VERSION_LENGTH,
                                    trim_whitespace=False)
    projects = serializers.ListField(child=serializers.CharField(max_length=50),
                                     allow_empty=False)
    dateStarted = serializers.DateTimeField(required=False, allow_null=True)

    def validate_version(self, value: str) -> str:
        error = releases.version_error(value)
        if error:
            raise serializers.ValidationError(error)
        return value


class DeployCreate(serializers.Serializer):
    environment = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=64, required=False, allow_blank=True,
                                 allow_null=True)
    url = serializers.CharField(max_length=400, required=False, allow_blank=True,
                                allow_null=True)
    dateStarted = serializers.DateTimeField(required=False, allow_null=True)
    dateFinished = serializers.DateTimeField(required=False, allow_null=True)
    projects = serializers.ListField(child=serializers.CharField(max_length=50),
                                     required=False, allow_null=True)

    def validate_environment(self, value: str) -> str:
        if "/" in value or not value.isprintable() or value.strip() != value:
            raise serializers.ValidationError("Invalid environment name.")
        return value
