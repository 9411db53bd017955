"""The real @sentry/browser in Chromium against a live Errata, from a page on another origin:
unhandled rejections, captureMessage with breadcrumbs, the CORS preflight of a request with
custom headers, and the per-project allowed origins (default `*`)."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.factories import make_project
from tests.jsapp.build import build_sentry, static_server
from tests.live import dsn_for, wait_until
from tracker.models import Event

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>shop</title>
<script src="/sentry.js"></script>
<script>Sentry.init({dsn: %(dsn)s, release: "shop@1.0", debug: true});</script></head>
<body>
<button id="reject" onclick="Promise.reject(new Error('payment declined'))">Pay</button>
<button id="message" onclick="console.log('checkout started');
  Sentry.captureMessage('checkout is slow', 'warning')">Check out</button>
</body></html>
"""


@pytest.fixture(scope="module")
def sentry_js(tmp_path_factory):
    return build_sentry(tmp_path_factory.mktemp("sdk"))


def _site(tmp_path, sentry_js, pages: dict[str, str]):
    root = tmp_path / "site"
    root.mkdir()
    shutil.copy(sentry_js, root / "sentry.js")
    for name, dsn in pages.items():
        (root / name).write_text(PAGE % {"dsn": json.dumps(dsn)})
    return root


def test_rejections_messages_and_breadcrumbs(errata_server, digest_worker, project, page,
                                            tmp_path, sentry_js):
    assert project.allowed_origins == "*"  # Sentry's default: any origin
    root = _site(tmp_path, sentry_js, {"index.html": dsn_for(errata_server, project)})
    with static_server(root) as site_url:
        page.goto(f"{site_url}/index.html")
        page.click("#reject")
        page.click("#message")
        wait_until(lambda: Event.objects.count() == 2, timeout=60)

    [rejection, message] = Event.objects.order_by("timestamp")
    [value] = rejection.data["exception"]["values"]
    assert (value["type"], value["value"]) == ("Error", "payment declined")
    assert value["mechanism"]["type"] == "auto.browser.global_handlers.onunhandledrejection"
    assert rejection.handling == "unhandled" and rejection.release == "shop@1.0"

    assert message.data["logentry"]["formatted"] == "checkout is slow"
    assert message.data["level"] == "warning"
    # What happened before, in order: the first click, the event it sent, the console line.
    crumbs = [(c["category"], c.get("message")) for c in message.data["breadcrumbs"]["values"]]
    assert crumbs == [("ui.click", "body > button#reject"),
                      ("sentry.event", "Error: payment declined"),
                      ("console", "checkout started")]
    assert message.data["request"]["url"] == f"{site_url}/index.html"


def test_cors_preflight_and_allowed_origins(errata_server, digest_worker, org, page, tmp_path,
                                            sentry_js):
    allowed, refused = make_project(org, "Allowed"), make_project(org, "Refused")
    # Saved, not updated in bulk: saving tells ingest's key cache (Redis on PostgreSQL runs).
    allowed.allowed_origins = "http://127.0.0.1:*"
    allowed.save()
    refused.allowed_origins = "https://shop.example.com"
    refused.save()
    root = _site(tmp_path, sentry_js, {"allowed.html": dsn_for(errata_server, allowed),
                                       "refused.html": dsn_for(errata_server, refused)})
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    key = allowed.keys.get().public_key
    with static_server(root) as site_url:
        page.goto(f"{site_url}/allowed.html")
        # A request with a custom header: the browser asks first (OPTIONS), then posts.
        status = page.evaluate("""async ([url, key]) => {
            const body = '{}\\n{"type":"event"}\\n{"message":"sent by hand"}\\n';
            const response = await fetch(url, {method: "POST", body, headers: {
                "Content-Type": "application/x-sentry-envelope",
                "X-Sentry-Auth": `Sentry sentry_version=7, sentry_key=${key}`}});
            return response.status;
        }""", [f"{errata_server}/api/{allowed.pk}/envelope/", key])
        assert status == 200
        page.click("#message")
        wait_until(lambda: Event.objects.filter(project=allowed).count() == 2, timeout=60)

        page.goto(f"{site_url}/refused.html")
        page.click("#message")
        # The SDK (debug: true) says in the console that Errata refused the event, and why.
        wait_until(lambda: any("status code 403" in line for line in console), timeout=30)
    assert not Event.objects.filter(project=refused).exists()
    assert "Sentry Logger [warn]: Sentry responded with status code 403 to sent event." in console
