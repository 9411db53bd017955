"""Issues (Sentry's groups), the hashes that lead to them, and discarded fingerprints."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models

from tracker.models.orgs import Team
from tracker.models.projects import Project
from tracker.models.releases import Release

# Crockford's base32 without I, L, O, U: short ids are read aloud and typed.
_SHORT_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def base32(number: int) -> str:
    digits = []
    while True:
        number, rest = divmod(number, 32)
        digits.append(_SHORT_ID_ALPHABET[rest])
        if number == 0:
            return "".join(reversed(digits))


_QUALIFIED_SHORT_ID = re.compile(
    r"^(?P<slug>[A-Za-z0-9_-]+)-(?P<id>[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{1,12})$")


def parse_qualified_short_id(text: str) -> tuple[str, int] | None:
    """`SHOP-1F` (any case) as its project slug and number, ("shop", 47); None if it isn't
    one. The inverse of Issue.qualified_short_id."""
    match = _QUALIFIED_SHORT_ID.match(text)
    if match is None:
        return None
    number = 0
    for char in match["id"].upper():
        number = number * 32 + _SHORT_ID_ALPHABET.index(char)
    return match["slug"].lower(), number


class Level(models.IntegerChoices):
    """Numeric like Python's logging levels, so "at least warning" is a comparison."""

    DEBUG = 10, "debug"
    INFO = 20, "info"
    WARNING = 30, "warning"
    ERROR = 40, "error"
    FATAL = 50, "fatal"

    @classmethod
    def from_name(cls, name: str | None) -> Level:
        return _LEVELS_BY_NAME.get((name or "").lower(), cls.ERROR)


_LEVELS_BY_NAME = {label: Level(value) for value, label in Level.choices}


class Handling(models.TextChoices):
    HANDLED = "handled"
    UNHANDLED = "unhandled"
    CRASH = "crash"


class Priority(models.IntegerChoices):
    LOW = 25, "low"
    MEDIUM = 50, "medium"
    HIGH = 75, "high"


class Issue(models.Model):
    class Status(models.TextChoices):
        UNRESOLVED = "unresolved"
        RESOLVED = "resolved"
        IGNORED = "ignored"
        MERGED = "merged"

    class Substatus(models.TextChoices):
        NEW = "new"
        ONGOING = "ongoing"
        REGRESSED = "regressed"
        ESCALATING = "escalating"
        IGNORED_FOREVER = "ignored_forever"
        IGNORED_UNTIL = "ignored_until_condition_met"

    project = models.ForeignKey(Project, models.CASCADE, related_name="issues")
    short_id = models.PositiveIntegerField()
    type = models.CharField(max_length=16, default="error")
    title = models.CharField(max_length=512)
    culprit = models.CharField(max_length=256, blank=True, default="")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.ERROR)
    platform = models.CharField(max_length=32, blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.UNRESOLVED)
    substatus = models.CharField(
        max_length=32, choices=Substatus.choices, default=Substatus.NEW, blank=True
    )
    handling = models.CharField(max_length=16, choices=Handling.choices, default=Handling.HANDLED)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.HIGH)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    times_seen = models.PositiveBigIntegerField(default=1)
    users_seen = models.PositiveIntegerField(default=0)
    first_release = models.ForeignKey(
        Release, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_release = models.ForeignKey(
        Release, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee_team = models.ForeignKey(
        Team, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_in_release = models.ForeignKey(
        Release, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Sentry's two resolutions through a release: fixed in `resolved_in_release` itself (its
    # events and newer ones regress), or "in the next release" after it (only newer ones do).
    resolved_in_next_release = models.BooleanField(default=False)
    ignored_until = models.DateTimeField(null=True, blank=True)
    ignored_until_times_seen = models.PositiveBigIntegerField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", models.SET_NULL, null=True, blank=True, related_name="merged_issues"
    )
    # title, metadata (type, value, filename, function, severity...), location, sdk.
    data = models.JSONField(default=dict, blank=True)
    # Title, culprit and in-app frame functions and modules, for free-text search.
    search_text = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "short_id"], name="issue_unique_short_id")
        ]
        indexes = [
            models.Index(fields=["project", "status", "-last_seen"], name="issue_list_last_seen"),
            models.Index(fields=["project", "-last_seen"], name="issue_last_seen"),
            # The organization-wide list: one status, newest first, across projects.
            models.Index(fields=["status", "-last_seen"], name="issue_status_last_seen"),
        ]

    def __str__(self) -> str:
        return f"{self.qualified_short_id}: {self.title}"

    @property
    def qualified_short_id(self) -> str:
        return f"{self.project.slug.upper()}-{base32(self.short_id)}"

    @property
    def level_name(self) -> str:
        return Level(self.level).label


class DiscardedFingerprint(models.Model):
    """What is left of an issue deleted with "delete and discard" (Sentry's tombstone).

    Its hashes keep pointing here, so the pipeline drops future events that hash the same;
    deleting this row deletes those hashes and lets such events create a new issue again.
    """

    project = models.ForeignKey(Project, models.CASCADE, related_name="discarded_fingerprints")
    previous_issue_id = models.BigIntegerField()
    previous_short_id = models.CharField(max_length=64, blank=True, default="")
    title = models.CharField(max_length=512)
    culprit = models.CharField(max_length=256, blank=True, default="")
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.ERROR)
    data = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    times_seen = models.PositiveBigIntegerField(default=0, help_text="Events discarded since.")
    last_seen = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"discarded: {self.title}"


class IssueHash(models.Model):
    """One grouping hash of a project; unique, so concurrent workers meet on the same row."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    hash = models.CharField(max_length=32)
    issue = models.ForeignKey(Issue, models.CASCADE, null=True, blank=True, related_name="hashes")
    discarded = models.ForeignKey(
        DiscardedFingerprint, models.CASCADE, null=True, blank=True, related_name="hashes"
    )
    grouping_config = models.CharField(max_length=32, default="v1")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "issue hashes"
        constraints = [
            models.UniqueConstraint(fields=["project", "hash"], name="issuehash_unique")
        ]

    def __str__(self) -> str:
        return self.hash


class IssueActivity(models.Model):
    """A row per state change or comment, written only by tracker.actions."""

    class Kind(models.TextChoices):
        FIRST_SEEN = "first_seen"
        RESOLVED = "resolved"
        RESOLVED_IN_RELEASE = "resolved_in_release"
        UNRESOLVED = "unresolved"
        REGRESSION = "regression"
        IGNORED = "ignored"
        UNIGNORED = "unignored"
        ASSIGNED = "assigned"
        UNASSIGNED = "unassigned"
        MERGED = "merged"
        UNMERGED = "unmerged"
        PRIORITY = "priority"
        COMMENT = "comment"

    issue = models.ForeignKey(Issue, models.CASCADE, related_name="activities")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "issue activities"
        indexes = [models.Index(fields=["issue", "-created"], name="activity_issue_created")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.issue_id}"


class IssueTag(models.Model):
    """Tag values seen on an issue's events, with counts: search and the tag distribution."""

    issue = models.ForeignKey(Issue, models.CASCADE, related_name="tags")
    key = models.CharField(max_length=200)
    value = models.CharField(max_length=200)
    times_seen = models.PositiveBigIntegerField(default=0)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "key", "value"], name="issuetag_unique")
        ]
        indexes = [models.Index(fields=["key", "value"], name="issuetag_key_value")]

    def __str__(self) -> str:
        return f"{self.key}={self.value}"


class IssueHourlyCount(models.Model):
    """Events per issue per hour: sparklines, charts and frequency alerts without COUNT(*)."""

    issue = models.ForeignKey(Issue, models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "hour"], name="issuehourlycount_unique")
        ]

    def __str__(self) -> str:
        return f"{self.count} at {self.hour:%Y-%m-%d %H}h"


class IssueUserState(models.Model):
    """What one user marked on one issue: seen (Sentry's GroupSeen) and bookmarked (its
    GroupBookmark). One row per (issue, user), written only when a user says so."""

    issue = models.ForeignKey(Issue, models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="+")
    last_seen = models.DateTimeField(null=True, blank=True)
    bookmarked = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "user"], name="issueuserstate_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.issue_id}"
