"""Outcome accounting, aggregated per hour (docs/protocol.md §10.6)."""

from __future__ import annotations

from django.db import models

from ingest.protocol.outcomes import OutcomeKind


class Outcome(models.Model):
    """Sum of quantities per (hour, org, project, key, outcome, reason, category).

    Plain integer ids instead of foreign keys: accounting outlives deleted keys and projects,
    and the hot upsert should not check constraints. `key_id` 0 means "no key".
    """

    hour = models.DateTimeField()
    organization_id = models.BigIntegerField()
    project_id = models.BigIntegerField()
    key_id = models.BigIntegerField(default=0)
    outcome = models.PositiveSmallIntegerField(
        choices=[(kind.value, kind.api_name) for kind in OutcomeKind])
    reason = models.CharField(max_length=64, blank=True, default="")
    category = models.PositiveSmallIntegerField()
    quantity = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "hour", "project_id", "key_id", "outcome", "reason", "category",
                    "organization_id",
                ],
                name="outcome_bucket_unique",
            )
        ]
        indexes = [models.Index(fields=["project_id", "hour"], name="outcome_project_hour")]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.reason} x{self.quantity}"


class SessionStatus(models.IntegerChoices):
    """Where a session is counted, from best to worst: an update only ever moves a session
    to a worse status (docs/release-health.md). The order is the rank stored per session."""

    HEALTHY = 1, "healthy"
    ERRORED = 2, "errored"  # handled errors only
    UNHANDLED = 3, "unhandled"  # an unhandled error that did not end the process
    ABNORMAL = 4, "abnormal"  # ended abruptly without a crash (killed, hung)
    CRASHED = 5, "crashed"  # an error ended the process


class SessionBucket(models.Model):
    """Release-health session counts per hour, release, environment and status (one of
    SessionStatus's labels). A session is counted in the hour it started."""

    project = models.ForeignKey("tracker.Project", models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    release = models.CharField(max_length=200, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "hour", "release", "environment", "status"],
                name="sessionbucket_unique",
            )
        ]
        indexes = [models.Index(fields=["project", "release", "hour"],
                                name="sessionbucket_release_hour")]

    def __str__(self) -> str:
        return f"{self.count} {self.status} sessions"


class SessionState(models.Model):
    """One session (`sid`) as folded so far: the bucket it is counted in, so that a later
    update moves it to a worse status instead of counting it again, and its user's distinct
    id (`did`), for the distinct users of a release. `previous` is the status before the last update
    (0: not counted before), read back by the folding statement."""

    project = models.ForeignKey("tracker.Project", models.CASCADE, related_name="+")
    sid = models.UUIDField()
    hour = models.DateTimeField()
    release = models.CharField(max_length=200, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    status = models.PositiveSmallIntegerField(choices=SessionStatus.choices)
    previous = models.PositiveSmallIntegerField(default=0)
    # False while only later updates were seen: the session counts from its first update.
    counted = models.BooleanField(default=True)
    distinct_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "sid"], name="sessionstate_unique")
        ]
        indexes = [models.Index(fields=["project", "release", "hour"],
                                name="sessionstate_release_hour")]

    def __str__(self) -> str:
        return f"session {self.sid} ({self.get_status_display()})"
