"""The durable inbox: what ingest accepted and the pipeline has not digested yet.

Ingest writes one row per accepted envelope before it answers; the Celery message only tells
a worker to drain the inbox. A worker claims rows with a conditional UPDATE and a lease, so a
killed worker's rows are picked up again when the lease runs out, and a periodic sweep
re-enqueues work when the broker was down. Digesting is idempotent (events are unique per
project), so at-least-once delivery gives exactly-once effects.
"""

from __future__ import annotations

from django.db import models


class InboxItem(models.Model):
    class Kind(models.TextChoices):
        EVENT = "event"  # an envelope with an event item, or a store request
        OTHER = "other"  # no event: sessions, client reports, feedback, late attachments

    # Plain ids, no foreign keys: this insert is on the ingest hot path.
    project_id = models.BigIntegerField()
    key_id = models.BigIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.EVENT)
    event_id = models.UUIDField(null=True)
    received = models.DateTimeField()
    # Envelope headers the pipeline needs (sent_at, sdk), the client address, the small
    # non-event items (client reports, sessions, feedback) and ingest-side outcomes.
    meta = models.JSONField(default=dict)
    payload = models.BinaryField(default=b"", blank=True)  # the event JSON, as sent
    # Attachment descriptors: name, content_type, attachment_type, size, and either the
    # storage key where ingest staged the bytes or, for small ones, "inline": [offset, size]
    # into attachment_data (the pipeline writes those to the file store).
    attachments = models.JSONField(default=list)
    attachment_data = models.BinaryField(default=b"", blank=True)
    claimed_until = models.DateTimeField(null=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Set when digesting failed MAX_ATTEMPTS times: kept for an operator, never dropped.
    error = models.TextField(blank=True, default="")

    class Meta:
        constraints = [
            # A duplicate event id is accepted once: a retried or double-sent envelope
            # inserts nothing while the first copy still waits here.
            models.UniqueConstraint(
                fields=["project_id", "event_id"],
                condition=models.Q(kind="event"),
                name="inbox_unique_event",
            )
        ]
        indexes = [models.Index(fields=["claimed_until", "id"], name="inbox_claim")]

    def __str__(self) -> str:
        return f"{self.kind} {self.event_id} for project {self.project_id}"


class QuotaCounter(models.Model):
    """A quota window's usage when no Redis is configured (embedded setups).

    `key` names the quota and its window (`quota:p12e:202611`), so old windows are simply
    rows nobody reads any more; a periodic task deletes them.
    """

    key = models.CharField(max_length=128, unique=True)
    used = models.PositiveBigIntegerField(default=0)
    refunded = models.PositiveBigIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.used - self.refunded}"
