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


class SessionBucket(models.Model):
    """Release-health session counts per hour, release, environment and status."""

    project = models.ForeignKey("tracker.Project", models.CASCADE, related_name="+")
    hour = models.DateTimeField()
    release = models.CharField(max_length=200, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(max_length=16)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "hour", "release", "environment", "status"],
                name="sessionbucket_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.count} {self.status} sessions"
