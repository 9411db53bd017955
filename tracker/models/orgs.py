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
    open_membership = models.BooleanField(
        default=True,
        help_text="Members see every project; when off, members see only their teams' "
        "projects (owners and admins still see all).",
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


class Invitation(models.Model):
    """A pending invitation to join an organization with a role (and a team).

    Only the hash of its token is stored: the link is shown to the inviter and mailed once;
    resending makes a new token, so an older link stops working.
    """

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Member.Role.choices, default=Member.Role.MEMBER)
    team = models.ForeignKey(Team, models.SET_NULL, null=True, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    expires = models.DateTimeField()

    class Meta:
        ordering = ["created", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "email"],
                                    name="invitation_unique_email")
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.role})"


class AuditLogEntry(models.Model):
    """Who changed what in an organization. `event` uses Sentry's audit log names
    (`member.invite`, `project.add`, ...); `target` is a readable label kept after the
    object itself is gone."""

    organization = models.ForeignKey(Organization, models.CASCADE, related_name="audit_log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True, default="")
    event = models.CharField(max_length=64)
    target_object = models.BigIntegerField(null=True, blank=True)
    target = models.CharField(max_length=200, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name_plural = "audit log entries"

    def __str__(self) -> str:
        return f"{self.actor_label} {self.event} {self.target}"
