"""Alert rules, what they did (firings, notifications) and the counters they read.

A rule says *when* (conditions), *for which events* (filters) and *what to do* (actions).
Each model validates itself in `clean()`, so the admin and the project pages give the same
messages.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from tracker.alerts.secrets import mask_url
from tracker.models import Handling, Issue, Level, Member, Priority, Project, Team

# Minimum time between two firings of one rule for one issue, in minutes.
ACTION_INTERVALS = [
    (5, "5 minutes"), (10, "10 minutes"), (30, "30 minutes"), (60, "1 hour"),
    (180, "3 hours"), (720, "12 hours"), (1440, "1 day"), (10080, "1 week"),
    (43200, "30 days"),
]
MIN_ACTION_INTERVAL, MAX_ACTION_INTERVAL = 5, 43200

# Windows of the frequency and unique-user conditions, in minutes.
COUNT_INTERVALS = [
    (1, "1 minute"), (5, "5 minutes"), (15, "15 minutes"), (60, "1 hour"), (1440, "1 day"),
    (10080, "1 week"), (43200, "30 days"),
]


class AlertRule(models.Model):
    class ActionMatch(models.TextChoices):
        ALL = "all", "all conditions are met"
        ANY = "any", "any condition is met"

    class FilterMatch(models.TextChoices):
        ALL = "all", "all filters pass"
        ANY = "any", "any filter passes"
        NONE = "none", "no filter passes"

    project = models.ForeignKey(Project, models.CASCADE, related_name="alert_rules")
    name = models.CharField(max_length=200)
    enabled = models.BooleanField(default=True)
    environment = models.CharField(
        max_length=64, blank=True, default="", help_text="Only events of this environment; "
        "empty: all environments."
    )
    action_match = models.CharField(
        "fire when", max_length=8, choices=ActionMatch.choices, default=ActionMatch.ANY
    )
    filter_match = models.CharField(
        "and when", max_length=8, choices=FilterMatch.choices, default=FilterMatch.ALL
    )
    frequency = models.PositiveIntegerField(
        "action interval", choices=ACTION_INTERVALS, default=30,
        validators=[MinValueValidator(MIN_ACTION_INTERVAL), MaxValueValidator(MAX_ACTION_INTERVAL)],
        help_text="Minimum time between two notifications of this rule for the same issue.",
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    # When a release-health condition last fired it: the action interval of those firings,
    # which have no issue to keep it on (RuleIssueState).
    health_fired_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["project", "enabled"], name="alertrule_project_enabled")]

    def __str__(self) -> str:
        return self.name

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.frequency)

    def clean(self) -> None:
        if self.owner_id and self.project_id and not Member.objects.filter(
            organization_id=self.project.organization_id, user_id=self.owner_id
        ).exists():
            raise ValidationError({"owner": "The owner must be a member of the organization."})


class RuleCondition(models.Model):
    class Kind(models.TextChoices):
        FIRST_SEEN = "first_seen", "a new issue is created"
        REGRESSION = "regression", "the issue regresses (resolved, then seen again)"
        REAPPEARED = "reappeared", "an ignored issue comes back"
        EVERY_EVENT = "every_event", "an event is seen"
        EVENT_FREQUENCY = "event_frequency", "the issue is seen more than N times in"
        UNIQUE_USERS = "unique_users", "more than N distinct users see the issue in"
        CRASH_FREE_RATE = "crash_free_rate", "the crash-free session rate is below N % in"

    COUNTING = (Kind.EVENT_FREQUENCY, Kind.UNIQUE_USERS)
    # Checked by the periodic task over the release-health buckets, not per event.
    HEALTH = (Kind.CRASH_FREE_RATE,)

    rule = models.ForeignKey(AlertRule, models.CASCADE, related_name="conditions")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    value = models.PositiveIntegerField("N", null=True, blank=True)
    interval = models.PositiveIntegerField(
        "in", choices=COUNT_INTERVALS, null=True, blank=True, help_text="Counting window."
    )
    release = models.CharField(
        max_length=200, blank=True, default="",
        help_text="Crash-free rate: of this release; empty: of the whole project.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        if self.kind in self.COUNTING or self.kind in self.HEALTH:
            label = self.get_kind_display().replace(" N ", f" {self.value} ")
            of = f" of {self.release}" if self.release else ""
            return f"{label}{of} {self.get_interval_display()}"
        return self.get_kind_display()

    def clean(self) -> None:
        if self.kind in self.HEALTH:
            errors = {}
            if self.value is None or not 1 <= self.value <= 100:
                errors["value"] = "Give N: the crash-free percentage (1 to 100) to stay above."
            if self.interval is None or self.interval < 60:
                errors["interval"] = ("Choose a window of at least 1 hour: sessions are "
                                      "counted per hour.")
            if errors:
                raise ValidationError(errors)
            return
        self.release = ""
        if self.kind in self.COUNTING:
            errors = {}
            if self.value is None:
                errors["value"] = "Give N: the count that must be exceeded."
            if self.interval is None:
                errors["interval"] = "Choose the window to count in (1 minute to 30 days)."
            if errors:
                raise ValidationError(errors)
        else:
            # Values that mean nothing for this kind would only confuse a later reader.
            self.value = self.interval = None


class RuleFilter(models.Model):
    class Kind(models.TextChoices):
        LEVEL = "level", "the event's level"
        TAG = "tag", "the event's tag"
        HANDLING = "handling", "the event is handled / unhandled / a crash"
        PRIORITY = "priority", "the issue's priority"
        ISSUE_AGE = "issue_age", "the issue's age"
        LATEST_RELEASE = "latest_release", "the event is from the latest release"
        ASSIGNEE = "assignee", "the issue's assignee"

    class Match(models.TextChoices):
        EQ = "eq", "is"
        GTE = "gte", "is at least"
        LTE = "lte", "is at most"
        CONTAINS = "contains", "contains"
        STARTS_WITH = "starts_with", "starts with"
        IS_SET = "is_set", "is set"
        OLDER = "older", "is older than"
        NEWER = "newer", "is newer than"
        NOBODY = "nobody", "is nobody"
        MEMBER = "member", "is the member"
        TEAM = "team", "is the team"

    class Unit(models.TextChoices):
        MINUTES = "minutes"
        HOURS = "hours"
        DAYS = "days"
        WEEKS = "weeks"

    # Which comparisons each kind accepts; the first one is the default.
    MATCHES = {
        Kind.LEVEL: (Match.EQ, Match.GTE, Match.LTE),
        Kind.TAG: (Match.EQ, Match.CONTAINS, Match.STARTS_WITH, Match.IS_SET),
        Kind.HANDLING: (Match.EQ,),
        Kind.PRIORITY: (Match.EQ, Match.GTE, Match.LTE),
        Kind.ISSUE_AGE: (Match.OLDER, Match.NEWER),
        Kind.LATEST_RELEASE: (Match.EQ,),
        Kind.ASSIGNEE: (Match.NOBODY, Match.MEMBER, Match.TEAM),
    }

    rule = models.ForeignKey(AlertRule, models.CASCADE, related_name="filters")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    match = models.CharField(max_length=16, choices=Match.choices, blank=True, default="")
    key = models.CharField("tag key", max_length=200, blank=True, default="")
    value = models.CharField(
        max_length=200, blank=True, default="",
        help_text="A level (fatal, error...), a tag value, handled / unhandled / crash, "
        "a priority (low, medium, high) or an age (a number of units).",
    )
    unit = models.CharField(max_length=8, choices=Unit.choices, blank=True, default="")
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name="member",
    )
    target_team = models.ForeignKey(
        Team, models.CASCADE, null=True, blank=True, related_name="+", verbose_name="team"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        kind = self.Kind(self.kind)
        if kind == self.Kind.LATEST_RELEASE:
            return kind.label
        subject = f"tag {self.key}" if kind == self.Kind.TAG else kind.label
        what = {
            self.Match.IS_SET: "", self.Match.NOBODY: "",
            self.Match.MEMBER: str(self.target_user or ""),
            self.Match.TEAM: str(self.target_team or ""),
            self.Match.OLDER: f"{self.value} {self.unit}",
            self.Match.NEWER: f"{self.value} {self.unit}",
        }.get(self.match, self.value)
        return f"{subject} {self.get_match_display()} {what}".strip()

    @property
    def age(self) -> timedelta:
        return timedelta(**{self.unit or "hours": int(self.value)})

    def clean(self) -> None:
        if self.kind not in self.MATCHES:
            return  # the field's own choice validation reports it
        allowed = self.MATCHES[self.Kind(self.kind)]
        if not self.match:
            self.match = allowed[0]
        if self.match not in allowed:
            names = ", ".join(f'"{self.Match(m).label}"' for m in allowed)
            raise ValidationError({"match": f"{self.Kind(self.kind).label.capitalize()} "
                                            f"can only be compared with {names}."})
        _FILTER_CHECKS[self.kind](self)


def _check_level(f: RuleFilter) -> None:
    if f.value.lower() not in Level.labels:
        raise ValidationError({"value": f"Use one of the levels: {', '.join(Level.labels)}."})
    f.value = f.value.lower()


def _check_tag(f: RuleFilter) -> None:
    if not f.key.strip():
        raise ValidationError({"key": "Give the tag key to look at (for example: level)."})
    if f.match != RuleFilter.Match.IS_SET and not f.value:
        raise ValidationError({"value": "Give the tag value to compare with."})


def _check_handling(f: RuleFilter) -> None:
    if f.value.lower() not in Handling.values:
        raise ValidationError({"value": f"Use one of: {', '.join(Handling.values)}."})
    f.value = f.value.lower()


def _check_priority(f: RuleFilter) -> None:
    if f.value.lower() not in Priority.labels:
        names = ", ".join(Priority.labels)
        raise ValidationError({"value": f"Use one of the priorities: {names}."})
    f.value = f.value.lower()


def _check_age(f: RuleFilter) -> None:
    if not f.value.isdigit() or int(f.value) < 1:
        raise ValidationError({"value": "Give the age as a whole number of units (at least 1)."})
    if not f.unit:
        raise ValidationError({"unit": "Choose minutes, hours, days or weeks."})


def _check_assignee(f: RuleFilter) -> None:
    if f.match == RuleFilter.Match.MEMBER and f.target_user_id is None:
        raise ValidationError({"target_user": "Choose the member the issue must be assigned to."})
    if f.match == RuleFilter.Match.TEAM and f.target_team_id is None:
        raise ValidationError({"target_team": "Choose the team the issue must be assigned to."})


_FILTER_CHECKS = {
    RuleFilter.Kind.LEVEL: _check_level,
    RuleFilter.Kind.TAG: _check_tag,
    RuleFilter.Kind.HANDLING: _check_handling,
    RuleFilter.Kind.PRIORITY: _check_priority,
    RuleFilter.Kind.ISSUE_AGE: _check_age,
    RuleFilter.Kind.LATEST_RELEASE: lambda f: None,
    RuleFilter.Kind.ASSIGNEE: _check_assignee,
}


class RuleAction(models.Model):
    class Kind(models.TextChoices):
        EMAIL_MEMBER = "email_member", "email a member"
        EMAIL_TEAM = "email_team", "email a team"
        EMAIL_PROJECT = "email_project", "email all members of the project"
        SLACK = "slack", "post to a Slack-compatible incoming webhook"
        WEBHOOK = "webhook", "post JSON to a webhook"

    EMAIL_KINDS = (Kind.EMAIL_MEMBER, Kind.EMAIL_TEAM, Kind.EMAIL_PROJECT)
    HTTP_KINDS = (Kind.SLACK, Kind.WEBHOOK)

    rule = models.ForeignKey(AlertRule, models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    target_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="+",
        verbose_name="member",
    )
    target_team = models.ForeignKey(
        Team, models.CASCADE, null=True, blank=True, related_name="+", verbose_name="team"
    )
    url = models.URLField("URL", max_length=500, blank=True, default="")
    secret = models.CharField(
        max_length=200, blank=True, default="",
        help_text="Webhooks only: signs the body (HMAC-SHA256, header X-Errata-Signature).",
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.target}" if self.target else str(
            self.get_kind_display())

    @property
    def target(self) -> str:
        if self.kind == self.Kind.EMAIL_MEMBER:
            return str(self.target_user or "")
        if self.kind == self.Kind.EMAIL_TEAM:
            return str(self.target_team or "")
        if self.kind == self.Kind.SLACK:
            return mask_url(self.url)  # the URL's path is the token
        if self.kind in self.HTTP_KINDS:
            return self.url.split("?", 1)[0]  # query strings may carry tokens
        return ""

    def clean(self) -> None:
        org_id = self._organization_id()
        if self.kind == self.Kind.EMAIL_MEMBER:
            if self.target_user_id is None:
                raise ValidationError({"target_user": "Choose the member to email."})
            if org_id and not Member.objects.filter(
                organization_id=org_id, user_id=self.target_user_id
            ).exists():
                raise ValidationError({"target_user": "This user is not a member of the "
                                                      "organization."})
        if self.kind == self.Kind.EMAIL_TEAM:
            if self.target_team_id is None:
                raise ValidationError({"target_team": "Choose the team to email."})
            if org_id and self.target_team.organization_id != org_id:
                raise ValidationError({"target_team": "This team belongs to another "
                                                      "organization."})
        if self.kind in self.HTTP_KINDS and not self.url:
            raise ValidationError({"url": "Give the URL to post to."})
        if self.kind != self.Kind.WEBHOOK:
            self.secret = ""

    def _organization_id(self) -> int | None:
        rule = getattr(self, "rule", None) if self.rule_id is None else self.rule
        try:
            return rule.project.organization_id if rule is not None else None
        except Project.DoesNotExist:
            return None


class RuleIssueState(models.Model):
    """When a rule last fired for an issue; the action interval is claimed on this row."""

    rule = models.ForeignKey(AlertRule, models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, models.CASCADE, related_name="+")
    last_fired = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "issue"], name="ruleissuestate_unique")
        ]

    def __str__(self) -> str:
        return f"rule {self.rule_id} issue {self.issue_id}: {self.last_fired:%Y-%m-%d %H:%M}"


class Firing(models.Model):
    """A rule fired for an issue, because of one event; or, without issue nor event, for a
    release-health condition (`event` then holds the release, rate and sessions)."""

    rule = models.ForeignKey(AlertRule, models.CASCADE, related_name="firings")
    issue = models.ForeignKey(Issue, models.CASCADE, null=True, blank=True, related_name="+")
    event_id = models.CharField(max_length=32)
    reasons = models.JSONField(default=list, blank=True)
    # What the event was when it fired (level, handling, release, environment, priority).
    event = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["rule", "-created"], name="firing_rule_created")]

    def __str__(self) -> str:
        return f"{self.rule} on issue {self.issue_id}"


class Notification(models.Model):
    """One message to send: written when a rule fires (or a test is asked), or for a
    workflow event (an issue assigned to someone: no rule, `issue` and `recipient` set), then
    claimed, sent and updated by a delivery task."""

    # Workflow notices: what happened to an issue, for one user. Not rule actions.
    ASSIGNED = "assigned"

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    rule = models.ForeignKey(
        AlertRule, models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    firing = models.ForeignKey(
        Firing, models.CASCADE, null=True, blank=True, related_name="notifications"
    )
    action = models.ForeignKey(
        RuleAction, models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    issue = models.ForeignKey(Issue, models.CASCADE, null=True, blank=True, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(
        max_length=32, choices=[*RuleAction.Kind.choices, (ASSIGNED, "Issue assigned")]
    )
    target = models.CharField(max_length=500, blank=True, default="")
    is_test = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claim_token = models.UUIDField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    result = models.CharField(max_length=1000, blank=True, default="")
    delivered_to = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notification_due"),
            models.Index(fields=["rule", "-created"], name="notification_rule_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in (self.Status.SENT, self.Status.FAILED)


class IssueMinuteCount(models.Model):
    """Events per issue per minute, for frequency windows shorter than an hour (longer ones
    read tracker's IssueHourlyCount). Rows older than an hour are pruned."""

    issue = models.ForeignKey(Issue, models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "minute"], name="issueminutecount_unique")
        ]

    def __str__(self) -> str:
        return f"{self.count} at {self.minute:%H:%M}"


class IssueUserBucket(models.Model):
    """A user seen on an issue in a minute (span 1) or an hour (span 60): distinct users in a
    window are distinct keys over its buckets, never a scan of events."""

    issue = models.ForeignKey(Issue, models.CASCADE, related_name="+")
    span = models.PositiveSmallIntegerField()
    start = models.DateTimeField()
    user_key = models.CharField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "span", "start", "user_key"], name="issueuserbucket_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_key} at {self.start:%Y-%m-%d %H:%M}"


class CountedBatch(models.Model):
    """Marks a batch of events whose counts were added, so a redelivered evaluation task does
    not add them twice."""

    key = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name_plural = "counted batches"

    def __str__(self) -> str:
        return self.key
