"""Masking alert secrets in templates: `{{ notification|notification_target }}`."""

from __future__ import annotations

from django import template

from tracker.alerts.secrets import mask_url

register = template.Library()


@register.filter
def notification_target(notification) -> str:
    """Where a notification went; a Slack URL (stored whole by older firings) masked."""
    if notification.kind == "slack":
        return mask_url(notification.target)
    return notification.target
