"""One module per way of sending; each exposes `send(notification, message) -> str`.

`send` returns a short description of what happened ("HTTP 200", "sent to 2 recipients") for
the firing log. It raises PermanentError when trying again cannot help, anything else for a
failure worth retrying.
"""

from __future__ import annotations

from collections.abc import Callable

from tracker.alerts.messages import AlertMessage
from tracker.alerts.models import Notification, RuleAction


class PermanentError(Exception):
    """The notification cannot be sent as configured (no recipients, URL refused it...)."""


def sender(kind: str) -> Callable[[Notification, AlertMessage], str]:
    from tracker.alerts.transports import email, slack, webhook

    senders = {
        RuleAction.Kind.EMAIL_MEMBER: email.send,
        RuleAction.Kind.EMAIL_TEAM: email.send,
        RuleAction.Kind.EMAIL_PROJECT: email.send,
        RuleAction.Kind.SLACK: slack.send,
        RuleAction.Kind.WEBHOOK: webhook.send,
    }
    if kind not in senders:
        raise PermanentError(f"unknown action kind {kind!r}")
    return senders[kind]
