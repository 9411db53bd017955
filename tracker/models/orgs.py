"""Organizations, their members and teams: the unit of access control."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

# Crash-report limit values, as Sentry spells them: -1 keeps all, 0 keeps none, N keeps N per
# issue. A project's None means "use the organization's".
CRASH_REPORTS_ALL = -1
CRASH_REPORTS_NONE = 0


class Organization(models.Model):
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    crash_report_limit = models.IntegerField(
        default=CRASH_REPORTS_ALL,
        help_text="Crash reports (minidumps, Apple crash reports) kept per issue: "
        "-1 all, 0 none, N at most N.",
    )
    monthly_error_quota = models.PositiveIntegerField(
        null=True, blank=True, help_text="Errors accepted per calendar month; empty: unlimited."
    )
    monthly_attachment_quota = models.PositiveBigIntegerField(
        null=True, blank=True, help_text="Attachment bytes per calendar month; empty: unlimited."
    )
    event_retention_days = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)],
        help_text="Days events are kept; empty: the server's EVENT_RETENTION_DAYS.",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Member(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner"
        ADMIN = "admin"
        MEMBER = "member"

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="member_unique_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"

    @property
    def can_manage(self) -> bool:
        """Owners and admins change settings, keys and rules; members triage."""
        return self.role in (self.Role.OWNER, self.Role.ADMIN)


class Team(models.Model):
    organization = models.ForeignKey(Organization, models.CASCADE, related_name="teams")
    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50)
    members = models.ManyToManyField(Member, blank=True, related_name="teams")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="team_unique_slug")
        ]

    def __str__(self) -> str:
        return f"#{self.slug}"
