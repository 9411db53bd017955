"""Workflow notices: an email to the member an issue was assigned to.

They go through the alert delivery queue (a Notification row each, sent by the deliver task
with its retries and lease), without a rule: `issue` and `recipient` say what and to whom.
Nobody is told of what they did themselves, and a recipient who can no longer see the
issue's project when the row is sent gets nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from tracker.access import projects_for
from tracker.alerts.messages import issue_url
from tracker.alerts.models import Notification
from tracker.alerts.transports.errors import PermanentError


def queue_assigned(issue_ids: list[int], assignee, actor) -> list[Notification]:
    """One row per issue newly assigned to `assignee` by someone else (the deliver task is
    scheduled by tracker.alerts.tasks.notify_assigned)."""
    if not issue_ids or assignee is None or getattr(actor, "pk", None) == assignee.pk:
        return []
    if not assignee.email or not assignee.is_active:
        return []
    return Notification.objects.bulk_create([
        Notification(kind=Notification.ASSIGNED, issue_id=issue_id, recipient=assignee,
                     target=assignee.email, result=f"by {actor.get_username()}"
                     if getattr(actor, "pk", None) else "")
        for issue_id in issue_ids
    ])


def send(notification: Notification) -> str:
    issue, user = notification.issue, notification.recipient
    if issue is None or user is None:
        raise PermanentError("the issue or the recipient was deleted")
    if not user.email or not projects_for(user).filter(pk=issue.project_id).exists():
        raise PermanentError("the recipient can no longer see this issue")
    if issue.assignee_id != user.pk:
        return "not sent: assigned to someone else meanwhile"
    context = {"issue": issue, "user": user, "url": issue_url(issue),
               "by": notification.result.removeprefix("by ")}
    mail = EmailMultiAlternatives(
        subject=f"Assigned to you: {issue.qualified_short_id} {issue.title[:150]}",
        body=render_to_string("alerts/email/assigned.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
    )
    mail.attach_alternative(render_to_string("alerts/email/assigned.html", context),
                            "text/html")
    mail.send()
    notification.delivered_to = [user.email]
    return f"sent to {user.email}"
