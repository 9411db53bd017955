"""Slack-compatible incoming webhooks (Slack, Mattermost, Rocket.Chat, Discord's /slack)."""

from __future__ import annotations

import json

from tracker.alerts.messages import AlertMessage
from tracker.alerts.models import Notification
from tracker.alerts.transports import http
from tracker.alerts.transports.errors import PermanentError


def body(message: AlertMessage) -> dict:
    return {"text": message.as_text()}


def send(notification: Notification, message: AlertMessage) -> str:
    if notification.action is None:
        raise PermanentError("the action was deleted")
    data = json.dumps(body(message)).encode()
    return http.post(notification.action.url, data, {})
