"""Projects and their DSN keys."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from tracker import sql
from tracker.models.orgs import Organization, Team


class Project(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="projects")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50)
    platform = models.CharField(max_length=32, blank=True, default="")
    teams = models.ManyToManyField(Team, blank=True, related_name="projects")
    is_active = models.BooleanField(default=True, help_text="Inactive projects reject events.")
    allowed_origins = models.TextField(
        default="*",
        help_text="Browser origins allowed to send events, one per line: *, example.com, "
        "*.example.com or https://example.com:8443.",
    )
    crash_report_limit = models.IntegerField(
        null=True,
        blank=True,
        help_text="Crash reports kept per issue: -1 all, 0 none, N at most N; "
        "empty: the organization's setting.",
    )
    monthly_error_quota = models.PositiveIntegerField(null=True, blank=True)
    monthly_attachment_quota = models.PositiveBigIntegerField(null=True, blank=True)
    event_retention_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Days events are kept; empty: the organization's setting.",
    )
    max_stored_events = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="At most this many events are kept: the oldest go first, but every issue "
        "keeps its first and latest events and those that regressed it. Empty: no cap.",
    )
    grouping_config = models.CharField(max_length=32, default="v1")
    fingerprint_rules = models.TextField(blank=True, default="")
    enhancement_rules = models.TextField(
        blank=True, default="", help_text="Stack trace rules (in-app and grouping)."
    )
    resolve_age = models.PositiveIntegerField(
        null=True, blank=True, help_text="Hours of silence after which an issue auto-resolves."
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="project_unique_slug")
        ]

    def __str__(self) -> str:
        return f"{self.organization.slug}/{self.slug}"

    def next_short_id(self) -> int:
        """Atomically allocate the next per-project issue number.

        One upsert statement: concurrent callers serialize on the counter row, so two issues
        never share a number, and no row has to exist beforehand.
        """
        [(value,)] = sql.insert(
            ProjectCounter, ("project_id", "value"), [(self.pk, 1)],
            on_conflict="(project_id) DO UPDATE SET value = {t}.value + 1", returning="value")
        return value


class ProjectCounter(models.Model):
    """The last issue number handed out; kept apart so the upsert doesn't lock the project."""

    project = models.OneToOneField(Project, models.CASCADE, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


def generate_key() -> str:
    return secrets.token_hex(16)


class ProjectKey(models.Model):
    project = models.ForeignKey(Project, models.CASCADE, related_name="keys")
    label = models.CharField(max_length=64, blank=True, default="Default")
    public_key = models.CharField(max_length=32, unique=True, default=generate_key)
    secret_key = models.CharField(max_length=32, default=generate_key)
    is_active = models.BooleanField(default=True)
    rate_limit_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Events accepted per window; empty: no limit."
    )
    rate_limit_window = models.PositiveIntegerField(
        default=60, help_text="Rate limit window in seconds."
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created", "id"]

    def __str__(self) -> str:
        return f"{self.label} ({self.public_key[:8]}…)"

    @property
    def dsn(self) -> str:
        url = urlsplit(settings.PUBLIC_URL)
        prefix = url.path.rstrip("/")
        return f"{url.scheme}://{self.public_key}@{url.netloc}{prefix}/{self.project_id}"
