"""Every link works: signed in, on a database of events the real sentry-sdk sent, crawl
every page reachable from the navigation (and every htmx `hx-get` target the pages name),
then follow every link in the emails, Slack messages and webhook bodies the alert rules
sent. No 404, no 5xx; and the server logs no 500 for requests the client aborted.

The test runs its own server, its log (access log included) written to a file it reads.
"""

from __future__ import annotations

import json
import re
import socket
import textwrap
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest

from tests.alerts.helpers import Evaluations, hook, make_rule, settle
from tests.alerts.servers import SMTPServer
from tests.e2e.conftest import sign_in
from tests.live import dsn_for, run_python_sdk, running_server, wait_until
from tracker.alerts.models import Notification

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]

# Leaving the session would end the crawl; the admin is another application.
SKIP = ("/logout/", "/admin/")
MAX_PAGES = 3000

APP_CODE = textwrap.dedent('''
    def average(values):
        return sum(values) / len(values)


    def checkout(cart):
        return average([item["price"] for item in cart])


    def import_all(rows):
        errors = []
        for row in rows:
            try:
                int(row)
            except ValueError as error:
                errors.append(error)
        raise ExceptionGroup("import failed", errors)
''')

EVENTS = """
    import shop
    sentry_sdk.set_user({"id": "42", "email": "ann@example.com"})
    sentry_sdk.set_extra("order", {"id": 17})
    with sentry_sdk.new_scope() as scope:
        scope.add_attachment(bytes=b"line 1\\nline 2\\n", filename="checkout.log",
                             content_type="text/plain")
        try:
            shop.checkout([])
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
    try:
        try:
            {}["sku"]
        except KeyError as error:
            raise ValueError("bad cart") from error
    except ValueError:
        sentry_sdk.capture_exception()
    try:
        shop.import_all(["x", "y"])
    except ExceptionGroup:
        sentry_sdk.capture_exception()
    sentry_sdk.capture_message("Disk on fire", level="fatal")
    with sentry_sdk.new_scope() as scope:
        scope.set_tag("domain", "payments")
        sentry_sdk.capture_message("Card declined", level="warning")
"""


class Links(HTMLParser):
    """href, src and hx-get of a page (attribute values come unescaped)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if value and name in ("href", "src", "hx-get"):
                self.found.append(value)


@pytest.fixture
def server(tmp_path):
    log = tmp_path / "server.log"
    with running_server(log=log) as url:
        yield url, log


@pytest.fixture
def mail(settings):
    with SMTPServer() as smtp:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        yield smtp.inbox


@pytest.fixture
def evaluations():
    recorder = Evaluations()
    yield recorder
    recorder.close()


@pytest.fixture
def traffic(server, settings, mail, webhooks, evaluations, user, project, tmp_path):
    """The project's default rules (email) plus one posting to a webhook and to Slack, then
    events from the real sentry-sdk; returns when every notification is delivered."""
    url, _ = server
    settings.PUBLIC_URL = url  # the links notifications carry
    make_rule(project, "Everything", actions=[
        hook(webhooks, "/hook"), {"kind": "slack", "url": webhooks.url + "/slack"}])
    (tmp_path / "shop.py").write_text(APP_CODE)
    run_python_sdk(
        dsn_for(url, project),
        f"import sys\nsys.path.insert(0, {str(tmp_path)!r})\n" + textwrap.dedent(EVENTS),
        init=f"project_root={str(tmp_path)!r}, environment='production', "
             "release='shop@3.0', send_default_pii=True",
    )
    settle(project, evaluations, 5)
    assert Notification.objects.filter(status="sent").count() >= 3
    wait_until(lambda: mail.mails)
    return url


def crawl(page, base: str) -> tuple[dict[str, int], dict[str, str]]:
    """Status of every same-origin URL reachable from the home page, and where each URL was
    first found."""
    origin = urlsplit(base).netloc
    status: dict[str, int] = {}
    found_on: dict[str, str] = {base + "/": "(start)"}
    queue = deque([base + "/"])
    while queue:
        url = queue.popleft()
        if url in status:
            continue
        assert len(status) < MAX_PAGES, "the crawl does not end: links multiply"
        response = page.request.get(url, max_redirects=5)
        status[url] = response.status
        if response.status != 200 or "text/html" not in response.headers.get(
                "content-type", ""):
            continue
        parser = Links()
        parser.feed(response.text())
        for link in parser.found:
            target = urldefrag(urljoin(response.url, link))[0]
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.netloc != origin:
                continue
            if parts.path.startswith(SKIP):
                continue
            if target not in status and target not in found_on:
                found_on[target] = url
                queue.append(target)
    return status, found_on


def notification_links(mails, webhooks) -> set[str]:
    links: set[str] = set()
    url = re.compile(r"https?://[^\s\"'<>|)]+")
    for m in mails:
        for part in ("text/plain", "text/html"):
            links |= set(url.findall(m.part(part)))
    for request in webhooks.requests:
        links |= set(url.findall(json.dumps(request.json)))
    return links


def abort(base: str, path: str, cookie: str, htmx: bool) -> None:
    """Send a GET and hang up before the answer, as a browser does when htmx replaces a
    request in flight or the user navigates away."""
    host = urlsplit(base)
    with socket.create_connection((host.hostname, host.port)) as conn:
        headers = f"GET {path} HTTP/1.1\r\nHost: {host.netloc}\r\nCookie: {cookie}\r\n"
        if htmx:
            headers += "HX-Request: true\r\n"
        conn.sendall((headers + "\r\n").encode())
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")


def test_no_link_is_broken(server, traffic, page, user, webhooks, mail, project):
    base, log = server
    sign_in(page, base, user.username)
    status, found_on = crawl(page, base)

    broken = {url: (code, found_on[url]) for url, code in status.items()
              if code == 404 or code >= 500}
    assert broken == {}, broken
    paths = {urlsplit(u).path + ("?" + urlsplit(u).query if urlsplit(u).query else "")
             for u in status}
    # The crawl reached every kind of page, htmx fragments included.
    for expected in (r"^/acme/shop/issues/$", r"^/acme/issues/\d+/$",
                     r"^/acme/issues/\d+/events/[0-9a-f]{32}/\?frames=app",
                     r"^/acme/issues/\d+/similar/$", r"^/acme/attachments/\d+/view/$",
                     r"^/acme/shop/alerts/\d+/$", r"^/acme/shop/alerts/row/\?section=",
                     r"^/acme/shop/alerts/log/$", r"^/acme/shop/settings/keys/$",
                     r"^/acme/shop/stats/$", r"^/acme/issues/\d+/events/$"):
        assert any(re.search(expected, p) for p in paths), (expected, sorted(paths))

    # Every link the notifications carry opens (signed in), to a page of this server.
    links = notification_links(mail.mails, webhooks)
    assert any("/acme/issues/" in link for link in links), links
    for link in links:
        assert link.startswith(base), link
        response = page.request.get(link)
        assert response.status == 200, (link, response.status)
        assert "/login/" not in response.url

    # Aborted requests are no 500 in the server's log (granian logs them as 499).
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    aborted = [p for p in paths if re.search(r"/(issues|alerts)/", p)][:40]
    logged_before = requests_logged(log)
    for path in aborted:
        abort(base, path, cookie, htmx="similar" in path or "row" in path)
    wait_until(lambda: requests_logged(log) >= logged_before + len(aborted), timeout=30)
    text = log.read_text(errors="replace")
    assert '" 499 ' in text  # some were cut off indeed
    assert not re.search(r'" 50\d |Internal Server Error|Traceback|protocol failure', text), (
        text[-5000:])


def requests_logged(log) -> int:
    return len(re.findall(r'^\[.*\] \S+ - "GET ', log.read_text(errors="replace"), re.M))
