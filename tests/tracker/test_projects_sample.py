"""The "send a sample event" button: through ingest's inbox and the pipeline to an issue."""

import logging

import pytest

from ingest.digest import batch
from ingest.models import InboxItem
from ingest.public import send_sample_event
from tracker.models import Event, Issue, Outcome, OutcomeKind

pytestmark = pytest.mark.django_db


def _digest():
    while batch.digest_batch():
        pass


def test_sample_event_goes_through_the_inbox_and_pipeline(project, caplog):
    event_id = send_sample_event(project)
    item = InboxItem.objects.get()
    assert (item.project_id, item.event_id.hex, item.kind) == (project.pk, event_id, "event")
    assert item.key_id == project.keys.get().pk

    with caplog.at_level(logging.INFO, logger="ingest.digest.batch"):
        _digest()

    event = Event.objects.get(project=project)
    assert event.event_id.hex == event_id
    assert ["sample_event", "yes"] in event.data["tags"]
    issue = Issue.objects.get(project=project)
    assert issue.title == "KeyError: 'NZ'"
    assert issue.culprit
    logged = [r.getMessage() for r in caplog.records if r.name == "ingest.digest.batch"]
    assert f"sample event stored: event {event_id}, project {project.pk}" in logged
    accepted = Outcome.objects.get(project_id=project.pk, outcome=OutcomeKind.ACCEPTED)
    assert accepted.quantity == 1


def test_two_sample_events_group_together(project):
    send_sample_event(project)
    send_sample_event(project)
    _digest()
    assert Issue.objects.get(project=project).times_seen == 2


def test_button_sends_and_page_shows_status(client, user, project):
    client.force_login(user)
    base = f"/{project.organization.slug}/{project.slug}/settings/"
    response = client.post(base + "sample-event/", follow=True)
    html = response.content.decode()
    event_id = InboxItem.objects.get().event_id.hex
    assert f"Sample event {event_id} sent." in html
    assert "waiting for the worker" in html
    assert 'hx-trigger="every 1s"' in html

    _digest()
    status = client.get(base + "sample-event/status/", headers={"HX-Request": "true"})
    html = status.content.decode()
    issue = Issue.objects.get(project=project)
    assert issue.qualified_short_id in html
    assert "every 1s" not in html  # polling stops once stored
    assert "<html" not in html


def test_status_without_a_sample_is_empty(client, user, project):
    client.force_login(user)
    base = f"/{project.organization.slug}/{project.slug}/settings/"
    html = client.get(base + "sample-event/status/").content.decode()
    assert "Sample event" not in html
