"""What `tracker` may use of ingest (with the pure `ingest.protocol`; the import-linter
contracts in pyproject.toml hold the rest of ingest away from tracker).

`send_sample_event` backs the "send a sample event" button: a realistic Python exception
goes through the same durable inbox as an SDK's event, so the pipeline digests it exactly
like a real one (and logs it as a sample event). `category_name` lets the stats page label
outcome rows without reaching into ingest's protocol modules.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django.utils import timezone

from ingest.inbox import row
from ingest.models import InboxItem
from ingest.protocol.categories import DataCategory
from tracker.models import Project

__all__ = ["category_name", "send_sample_event"]

SAMPLE_TAG = ("sample_event", "yes")


def send_sample_event(project: Project) -> str:
    """Store a sample error event for `project` in the inbox; return its event id (hex).

    Quotas and rate limits are not consumed: the button is for checking the setup.
    """
    event_id = uuid.uuid4().hex
    key = project.keys.filter(is_active=True).order_by("created", "id").first()
    payload = json.dumps(sample_event_payload(event_id), separators=(",", ":")).encode()
    row.store(
        row.Row(
            project_id=project.pk,
            key_id=key.pk if key is not None else 0,
            kind=InboxItem.Kind.EVENT,
            event_id=event_id,
            received=timezone.now(),
            meta={"client": "errata-sample-event", "sdk": _SDK},
            payload=payload,
        )
    )
    return event_id


def category_name(category_id: int) -> str:
    """The wire name of a data category id (`error`, `attachment`...), or `#id` if unknown."""
    try:
        return DataCategory(category_id).api_name
    except ValueError:
        return f"#{category_id}"


_SDK = {"name": "errata.sample", "version": "1.0.0"}


def _frame(filename: str, function: str, lineno: int, line: str, *, in_app: bool = True,
           pre: tuple[str, ...] = (), post: tuple[str, ...] = (),
           local_vars: dict[str, Any] | None = None) -> dict[str, Any]:
    module = filename.removesuffix(".py").replace("/", ".")
    frame: dict[str, Any] = {
        "filename": filename, "abs_path": f"/srv/app/{filename}", "module": module,
        "function": function, "lineno": lineno, "context_line": line,
        "pre_context": list(pre), "post_context": list(post), "in_app": in_app,
    }
    if local_vars:
        frame["vars"] = local_vars
    return frame


def sample_event_payload(event_id: str) -> dict[str, Any]:
    """A checkout view failing on a missing dictionary key, as sentry-python would send it.

    Without a release or an environment: a made-up release would become the project's
    latest (what "resolve in the next release" and alert rules go by), and a made-up
    environment would sit in every filter beside the real ones."""
    frames = [
        _frame("django/core/handlers/base.py", "_get_response", 197,
               "response = wrapped_callback(request, *callback_args, **callback_kwargs)",
               in_app=False),
        _frame("shop/views.py", "checkout", 42, "total = cart_total(cart, request.user)",
               pre=("def checkout(request):", "    cart = load_cart(request.session)"),
               post=("    return render(request, 'checkout.html', {'total': total})",),
               local_vars={"request": "<WSGIRequest: POST '/checkout/'>",
                           "cart": {"items": 3, "currency": "EUR"}}),
        _frame("shop/pricing.py", "cart_total", 18, "rate = TAX_RATES[user.country]",
               pre=("def cart_total(cart, user):", "    subtotal = sum(cart.prices())"),
               post=("    return subtotal * (1 + rate)",),
               local_vars={"subtotal": "59.70", "user": "<User: sam>"}),
    ]
    return {
        "event_id": event_id,
        "timestamp": time.time(),
        "platform": "python",
        "level": "error",
        "logger": "django.request",
        "server_name": "web-1",
        "transaction": "/checkout/",
        "exception": {"values": [{
            "type": "KeyError", "value": "'NZ'", "module": "builtins",
            "mechanism": {"type": "django", "handled": False},
            "stacktrace": {"frames": frames},
        }]},
        "tags": [list(SAMPLE_TAG)],
        "user": {"id": "sample-user-1", "email": "sam@example.com"},
        "request": {"method": "POST", "url": "https://shop.example.com/checkout/",
                    "headers": {"User-Agent": "Mozilla/5.0"}},
        "contexts": {"runtime": {"name": "CPython", "version": "3.12.3"},
                     "os": {"name": "Linux"}},
        "breadcrumbs": {"values": [
            {"timestamp": time.time() - 2, "category": "query", "message": "SELECT cart"},
            {"timestamp": time.time() - 1, "category": "http", "type": "http",
             "data": {"method": "POST", "url": "/checkout/"}},
        ]},
        "sdk": _SDK,
    }
