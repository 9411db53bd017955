"""Generic JSON webhooks, optionally signed.

The body is `AlertMessage.as_json()`, serialized once; with a secret, the header
`X-Errata-Signature: sha256=<hex>` carries HMAC-SHA256(secret, body bytes). Retries send the
same bytes, so a receiver can deduplicate on `X-Errata-Delivery`. See docs/alerts.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json

from tracker.alerts.messages import AlertMessage
from tracker.alerts.models import Notification
from tracker.alerts.transports import http
from tracker.alerts.transports.errors import PermanentError

SIGNATURE_HEADER = "X-Errata-Signature"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def encode(message: AlertMessage) -> bytes:
    return json.dumps(message.as_json(), separators=(",", ":"), sort_keys=True).encode()


def send(notification: Notification, message: AlertMessage) -> str:
    action = notification.action
    if action is None:
        raise PermanentError("the action was deleted")
    body = encode(message)
    headers = {
        "X-Errata-Delivery": str(notification.pk),
        "X-Errata-Event": "test" if message.is_test else "alert",
    }
    if action.secret:
        headers[SIGNATURE_HEADER] = sign(action.secret, body)
    return http.post(action.url, body, headers)
