import json

import pytest

from ingest import pipeline
from tests.factories import make_org, make_project, make_user
from tracker.models import Event, Issue, Outcome


def envelope(event: dict, event_id: str | None = None) -> bytes:
    header = {"event_id": event_id} if event_id else {}
    return b"\n".join([json.dumps(header).encode(), b'{"type":"event"}',
                       json.dumps(event).encode()])


@pytest.mark.django_db(transaction=True)
def test_event_becomes_issue(client):
    p = make_project(make_org(owner=make_user()))
    key = p.keys.get().public_key
    exc = {"exception": {"values": [{"type": "ValueError", "value": "hello world"}]},
           "platform": "python", "release": "1.0", "tags": {"x": "y"},
           "user": {"id": "42"}}
    for i in range(3):
        r = client.post(f"/api/{p.id}/envelope/?sentry_key={key}",
                        envelope(exc, f"{i:032x}"), content_type="text/plain")
        assert r.status_code == 200, r.content
    while pipeline.digest_batch():
        pass
    issue = Issue.objects.get()
    assert issue.times_seen == 3
    assert issue.users_seen == 1
    assert issue.title == "ValueError: hello world"
    assert Event.objects.count() == 3
    assert Outcome.objects.get(outcome=0).quantity == 3
    print(issue.__dict__)
    print(Event.objects.first().data)
