"""Email to a member, a team or everyone on the project: one message per recipient (nobody
sees the others' addresses), plain text with an HTML alternative."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from tracker.access import members_seeing
from tracker.alerts.messages import AlertMessage
from tracker.alerts.models import Notification, RuleAction
from tracker.alerts.transports.errors import PermanentError

Kind = RuleAction.Kind


def recipients(notification: Notification) -> list[str]:
    """Addresses of the action's members, resolved now: membership may have changed since."""
    action = notification.action
    if action is None:
        raise PermanentError("the action was deleted")
    project = notification.rule.project
    # Only members who may see the project (tracker.access: open membership, teams).
    members = members_seeing(project)
    if action.kind == Kind.EMAIL_MEMBER:
        members = members.filter(user_id=action.target_user_id)
    elif action.kind == Kind.EMAIL_TEAM:
        members = members.filter(teams=action.target_team_id)
    elif project.teams.exists():
        members = members.filter(teams__projects=project)
    users = get_user_model().objects.filter(pk__in=members.values("user_id"), is_active=True)
    return sorted({email for email in users.values_list("email", flat=True) if email})


def render(message: AlertMessage) -> tuple[str, str]:
    context = {"m": message, "issue": message.issue, "event": message.event,
               "rule": message.rule, "project": message.project}
    return (render_to_string("alerts/email/alert.txt", context),
            render_to_string("alerts/email/alert.html", context))


def send(notification: Notification, message: AlertMessage) -> str:
    """Send to every recipient not reached by an earlier attempt; `delivered_to` grows as
    messages go out, so a retry after a partial failure does not repeat them."""
    addresses = recipients(notification)
    if not addresses:
        raise PermanentError(f"nobody to email: no {notification.target or 'member'} "
                             "has an email address")
    text, html = render(message)
    pending = [a for a in addresses if a not in notification.delivered_to]
    with get_connection() as connection:
        for address in pending:
            email = EmailMultiAlternatives(
                message.subject, text, settings.DEFAULT_FROM_EMAIL, [address],
                connection=connection,
                headers={"X-Errata-Delivery": str(notification.pk)},
            )
            email.attach_alternative(html, "text/html")
            email.send()
            notification.delivered_to.append(address)
    return f"sent to {len(addresses)} recipient(s)"
