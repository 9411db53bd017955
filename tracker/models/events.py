"""Events, attachments and user feedback.

The event table is the one that grows: rows are narrow (the payload is one JSON column, the
filterable fields are denormalized strings, no per-row joins), and every index starts with a
column retention can range over. docs/decisions/2026-11-21-event-table.md has the partitioning path.
"""

from __future__ import annotations

import uuid

from django.db import models

from tracker.fields import JSONTextField
from tracker.models.issues import Handling, Issue, Level
from tracker.models.projects import Project


def event_id_hex(value: uuid.UUID | str) -> str:
    """An event id as 32 hex digits: UUIDField values come back as UUID (PostgreSQL) or as
    hex text (SQLite), the inbox's as either."""
    return value.hex if isinstance(value, uuid.UUID) else str(value).replace("-", "")


class Event(models.Model):
    project = models.ForeignKey(Project, models.CASCADE, related_name="+", db_index=False)
    issue = models.ForeignKey(Issue, models.CASCADE, related_name="events", db_index=False)
    event_id = models.UUIDField()
    timestamp = models.DateTimeField(help_text="When it happened, by the client's clock.")
    received = models.DateTimeField()
    level = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.ERROR)
    title = models.CharField(max_length=512, blank=True, default="")
    release = models.CharField(max_length=200, blank=True, default="")
    environment = models.CharField(max_length=64, blank=True, default="")
    user_key = models.CharField(max_length=200, blank=True, default="")
    handling = models.CharField(max_length=16, choices=Handling.choices, default=Handling.HANDLED)
    data = JSONTextField(default=dict)  # the normalized event; see JSONTextField for why text

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "event_id"], name="event_unique_event_id")
        ]
        indexes = [
            models.Index(fields=["issue", "timestamp"], name="event_issue_timestamp"),
            models.Index(fields=["project", "timestamp"], name="event_project_timestamp"),
        ]

    def __str__(self) -> str:
        return self.event_id.hex


class Attachment(models.Model):
    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    event_id = models.UUIDField()
    issue = models.ForeignKey(Issue, models.CASCADE, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=256)
    content_type = models.CharField(max_length=128, blank=True, default="")
    attachment_type = models.CharField(max_length=64, default="event.attachment")
    size = models.PositiveBigIntegerField(default=0)
    sha1 = models.CharField(max_length=40, blank=True, default="")
    file = models.FileField(max_length=512)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # Saving is keyed by the stored file: a redelivered event saves it only once.
            models.UniqueConstraint(fields=["file"], name="attachment_unique_file")
        ]
        indexes = [
            models.Index(fields=["project", "event_id"], name="attachment_event"),
            # Attachments sent apart from an event not stored yet (ingest.digest.apart): few,
            # looked up often.
            models.Index(fields=["created"], name="attachment_waiting",
                         condition=models.Q(issue__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.name


class UserReport(models.Model):
    """User feedback (`user_report` and `feedback` items), linked to its event's issue."""

    project = models.ForeignKey(Project, models.CASCADE, related_name="+")
    event_id = models.UUIDField(null=True, blank=True)
    issue = models.ForeignKey(Issue, models.SET_NULL, null=True, blank=True, related_name="+")
    name = models.CharField(max_length=128, blank=True, default="")
    email = models.CharField(max_length=128, blank=True, default="")
    comments = models.TextField(blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["project", "event_id"], name="userreport_event"),
            # Feedback sent before its event was stored (ingest.digest.apart).
            models.Index(fields=["created"], name="userreport_waiting",
                         condition=models.Q(issue__isnull=True, event_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"feedback from {self.name or self.email or 'anonymous'}"
