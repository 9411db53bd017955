"""The real sentry-sdk sends an event, then, in an envelope of its own, attachments for it (what
SDKs do with large files and minidumps): both reach the event, downloadable from its page and
through Sentry's event-attachments API."""

import io
import json
import re
import urllib.request

import pytest
from django.core.management import call_command

from tests.live import dsn_for, run_python_sdk, wait_until
from tracker.models import Attachment, Event

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]

LOG = b"line 1\nline 2: the payment provider said no\n"
MINIDUMP = b"MDMP\x93\xa7\x00\x00" + bytes(range(256)) * 8


def get(url: str, token: str):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def test_attachments_sent_apart_reach_their_event(errata_server, project, user, client):
    dsn = dsn_for(errata_server, project)
    out = run_python_sdk(dsn, """
        print(sentry_sdk.capture_message("Checkout failed"))
    """)
    event_id = out.strip().splitlines()[-1]
    event = wait_until(lambda: Event.objects.filter(project=project, event_id=event_id).first())

    # A second process, as a crash handler would: only attachments, named by the event id.
    run_python_sdk(dsn, f"""
        from sentry_sdk.attachments import Attachment
        from sentry_sdk.envelope import Envelope
        envelope = Envelope(headers={{"event_id": {event_id!r}}})
        envelope.add_item(Attachment(bytes={LOG!r}, filename="checkout.log",
                                     content_type="text/plain").to_envelope_item())
        item = Attachment(bytes={MINIDUMP!r}, filename="crash.dmp").to_envelope_item()
        item.headers["attachment_type"] = "event.minidump"
        envelope.add_item(item)
        sentry_sdk.get_client().transport.capture_envelope(envelope)
    """)
    wait_until(lambda: Attachment.objects.filter(project=project).count() == 2)
    saved = {a.name: a for a in Attachment.objects.filter(project=project)}
    assert {a.issue_id for a in saved.values()} == {event.issue_id}
    assert saved["crash.dmp"].attachment_type == "event.minidump"

    # The event page lists them; each link downloads the bytes.
    org = project.organization.slug
    client.force_login(user)
    page = client.get(f"/{org}/issues/{event.issue_id}/events/{event_id}/").text
    links = dict(
        (name, href) for href, name in
        re.findall(r'<a href="(/[^"]+/attachments/\d+/)">([^<]+)</a>', page)
    )
    assert set(links) == {"checkout.log", "crash.dmp"}
    for name, expected in (("checkout.log", LOG), ("crash.dmp", MINIDUMP)):
        response = client.get(links[name])
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == expected

    # Sentry's routes, through the live server, with an API token.
    token_out = io.StringIO()
    call_command("create_token", user.username, stdout=token_out)
    token = token_out.getvalue().strip()
    base = f"{errata_server}/api/0/projects/{org}/{project.slug}/events/{event_id}/attachments/"
    status, _, body = get(base, token)
    assert status == 200
    listed = {a["name"]: a for a in json.loads(body)}
    assert set(listed) == {"checkout.log", "crash.dmp"}
    log = listed["checkout.log"]
    assert log["event_id"] == event_id and log["type"] == "event.attachment"
    assert log["mimetype"] == "text/plain" and log["size"] == len(LOG)
    assert log["headers"] == {"Content-Type": "text/plain"}
    assert listed["crash.dmp"]["type"] == "event.minidump"
    for name, expected in (("checkout.log", LOG), ("crash.dmp", MINIDUMP)):
        status, headers, body = get(f"{base}{listed[name]['id']}/?download", token)
        assert status == 200 and body == expected
        assert headers["content-disposition"].startswith("attachment;")
        assert name in headers["content-disposition"]
    status, _, body = get(f"{base}{log['id']}/", token)
    assert json.loads(body)["name"] == "checkout.log"
