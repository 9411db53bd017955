"""What a notification says, built once and rendered by each transport.

The webhook JSON body below is a public interface, documented in docs/alerts.md: add fields,
never rename or remove them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.urls import reverse

from tracker.alerts.models import AlertRule, Notification
from tracker.models import Handling, Issue, Level, Priority

WEBHOOK_VERSION = 1


# Links are reversed from the URL names the pages are served under, so they follow any
# change of the URL table instead of 404ing in every notification sent since.
def issue_url(issue: Issue) -> str:
    path = reverse("issues:detail", args=[issue.project.organization.slug, issue.pk])
    return settings.PUBLIC_URL + path


def rules_url(rule: AlertRule) -> str:
    project = rule.project
    path = reverse("alerts:edit", args=[project.organization.slug, project.slug, rule.pk])
    return settings.PUBLIC_URL + path


def _iso(moment) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def issue_fields(issue: Issue) -> dict:
    return {
        "id": issue.pk,
        "short_id": issue.qualified_short_id,
        "title": issue.title,
        "culprit": issue.culprit,
        "level": Level(issue.level).label,
        "handling": issue.handling,
        "priority": Priority(issue.priority).label,
        "status": issue.status,
        "times_seen": issue.times_seen,
        "users_seen": issue.users_seen,
        "first_seen": _iso(issue.first_seen),
        "last_seen": _iso(issue.last_seen),
        "url": issue_url(issue),
    }


def _sample_issue(rule: AlertRule) -> dict:
    """What test notifications show in place of an issue: the real shape, made-up values."""
    return {
        "id": None, "short_id": f"{rule.project.slug.upper()}-TEST",
        "title": "Test notification from Errata", "culprit": "alerts.test",
        "level": Level.ERROR.label, "handling": Handling.HANDLED.value,
        "priority": Priority.HIGH.label, "status": "unresolved", "times_seen": 1,
        "users_seen": 0, "first_seen": None, "last_seen": None, "url": rules_url(rule),
    }


@dataclass
class AlertMessage:
    notification_id: int
    is_test: bool
    rule: AlertRule
    issue: dict
    event: dict = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    fired_at: str | None = None

    @property
    def project(self):
        return self.rule.project

    @property
    def subject(self) -> str:
        prefix = "[Errata test] " if self.is_test else "[Errata] "
        # One line: a title with a line break would be refused as a mail header.
        title = " ".join(str(self.issue["title"]).split())
        return f"{prefix}{self.issue['short_id']}: {title}"[:200]

    @property
    def summary(self) -> str:
        level, handling = self.issue["level"], self.issue["handling"]
        return f"{level}, {handling}; seen {self.issue['times_seen']} times"

    def as_json(self) -> dict:
        project = self.project
        event = dict(self.event)
        if event:
            event["id"] = event.pop("event_id", None)
        return {
            "version": WEBHOOK_VERSION,
            "delivery": self.notification_id,
            "test": self.is_test,
            "fired_at": self.fired_at,
            "rule": {"id": self.rule.pk, "name": self.rule.name, "url": rules_url(self.rule)},
            "organization": {"slug": project.organization.slug,
                             "name": project.organization.name},
            "project": {"id": project.pk, "slug": project.slug, "name": project.name},
            "issue": self.issue,
            "event": event or None,
            "reasons": self.reasons,
        }

    def as_text(self) -> str:
        """Plain text for chat: one line of title and link, one of details."""
        lines = [f"*{self.issue['short_id']}* <{self.issue['url']}|{self.issue['title']}>",
                 f"{self.project.name}: {self.summary}. Rule: {self.rule.name}"]
        if self.reasons:
            lines.append("Because: " + "; ".join(self.reasons))
        if self.is_test:
            lines.insert(0, "Test notification")
        return "\n".join(lines)


def health_url(rule: AlertRule, release: str | None) -> str:
    project = rule.project
    if release:
        path = reverse("release-detail",
                       args=[project.organization.slug, project.slug, release])
    else:
        path = reverse("project-releases", args=[project.organization.slug, project.slug])
    return settings.PUBLIC_URL + path


def _health_issue(rule: AlertRule, facts: dict) -> dict:
    """What a release-health alert shows in place of an issue: the same shape, the release
    (or the project) and its rate, linked to its release page (or the releases list)."""
    release = facts.get("release")
    rate = facts.get("crash_free_rate")
    percent = f"{rate * 100:.3f}".rstrip("0").rstrip(".") if rate is not None else "?"
    return {
        "id": None, "short_id": f"{rule.project.slug.upper()}-HEALTH",
        "title": f"Crash-free sessions of {release or rule.project.name} at {percent}%",
        "culprit": "release health", "level": Level.ERROR.label,
        "handling": Handling.CRASH.value, "priority": Priority.HIGH.label,
        "status": "unresolved", "times_seen": facts.get("sessions") or 0, "users_seen": 0,
        "first_seen": None, "last_seen": None, "url": health_url(rule, release),
    }


def build(n: Notification) -> AlertMessage:
    rule = n.rule
    if n.firing is None:
        return AlertMessage(n.pk, True, rule, _sample_issue(rule),
                            reasons=["a test was requested"])
    firing = n.firing
    if firing.issue_id is None:
        return AlertMessage(n.pk, n.is_test, rule, _health_issue(rule, firing.event),
                            event=dict(firing.event), reasons=list(firing.reasons),
                            fired_at=_iso(firing.created))
    event = {"event_id": firing.event_id, **firing.event}
    return AlertMessage(
        n.pk, n.is_test, rule, issue_fields(firing.issue), event=event,
        reasons=list(firing.reasons), fired_at=_iso(firing.created),
    )
