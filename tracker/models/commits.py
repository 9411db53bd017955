"""Repositories and their commits, and which commits went into a release, as in Sentry.

Errata has no SCM integration: commits arrive from `sentry-cli releases set-commits`, which
reads them from the local git history and sends each with its author and the files it
touched. A repository is created the first time a commit names it.
"""

from __future__ import annotations

from django.db import models

from tracker.models.orgs import Organization
from tracker.models.releases import Release


class Repository(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="repositories")
    name = models.CharField(max_length=200)
    url = models.URLField(max_length=400, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "repositories"
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="repository_unique")
        ]

    def __str__(self) -> str:
        return self.name


class Commit(models.Model):
    repository = models.ForeignKey(Repository, models.CASCADE, related_name="commits")
    key = models.CharField(max_length=64, help_text="The commit's id (a git sha).")
    message = models.TextField(blank=True, default="")
    author_name = models.CharField(max_length=128, blank=True, default="")
    author_email = models.CharField(max_length=200, blank=True, default="")
    date = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["repository", "key"], name="commit_unique")]

    def __str__(self) -> str:
        return self.key[:12]


class CommitFileChange(models.Model):
    class Type(models.TextChoices):
        ADDED = "A"
        MODIFIED = "M"
        DELETED = "D"

    commit = models.ForeignKey(Commit, models.CASCADE, related_name="file_changes")
    filename = models.CharField(max_length=500)
    type = models.CharField(max_length=1, choices=Type.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["commit", "filename"], name="commit_file_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.filename}"


class ReleaseCommit(models.Model):
    """A commit of a release; `order` 0 is the newest, as sentry-cli sends them."""

    release = models.ForeignKey(Release, models.CASCADE, related_name="release_commits")
    commit = models.ForeignKey(Commit, models.CASCADE, related_name="release_commits")
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["release", "commit"], name="release_commit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.release} #{self.order}: {self.commit}"
