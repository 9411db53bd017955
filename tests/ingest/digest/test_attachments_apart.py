"""Attachments and feedback sent apart from their event: attached when the event is stored,
before or after; kept as orphans past the window; never dropped.

Envelopes are framed as the SDKs frame them: an `event_id` envelope header and attachment
items (sentry-python's `Envelope.add_item`, sentry-native's minidump upload)."""

import uuid
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from ingest.digest import apart
from ingest.models import InboxItem
from ingest.protocol.categories import DataCategory
from ingest.protocol.outcomes import OutcomeKind
from tests.ingest.helpers import digest_all, envelope, event_envelope, exception_event, post
from tracker import retention
from tracker.models import Attachment, Event, Outcome, UserReport

pytestmark = pytest.mark.django_db
PLAIN = "event.attachment"


def attachments_envelope(event_id: str, *files: tuple[str, bytes, str]) -> bytes:
    return envelope(*[
        ({"type": "attachment", "filename": name, "attachment_type": kind,
          "content_type": "application/octet-stream"}, data)
        for name, data, kind in files
    ], headers={"event_id": event_id})


def accepted_attachment_bytes(project) -> int:
    return sum(Outcome.objects.filter(
        project_id=project.pk, outcome=int(OutcomeKind.ACCEPTED),
        category=int(DataCategory.ATTACHMENT)).values_list("quantity", flat=True))


def test_attachments_after_their_event_join_it(client, project):
    event_id = uuid.uuid4().hex
    response = post(client, project, event_envelope(exception_event(), event_id=event_id))
    assert response.status_code == 200
    digest_all()
    event = Event.objects.get(project=project)

    body = attachments_envelope(event_id, ("log.txt", b"later log", "event.attachment"),
                                ("crash.dmp", b"MDMP\x93\xa7", "event.minidump"))
    response = post(client, project, body)
    assert response.status_code == 200
    assert response.json() == {"id": event_id}
    digest_all()

    saved = {a.name: a for a in Attachment.objects.filter(project=project)}
    assert set(saved) == {"log.txt", "crash.dmp"}
    for a in saved.values():
        assert a.issue_id == event.issue_id and a.event_id.hex == event_id
    with saved["log.txt"].file.open("rb") as f:
        assert f.read() == b"later log"
    assert saved["crash.dmp"].attachment_type == "event.minidump"
    assert accepted_attachment_bytes(project) == len(b"later log") + len(b"MDMP\x93\xa7")
    assert not InboxItem.objects.exists()


def test_attachments_before_their_event_wait_for_it(client, project):
    event_id = uuid.uuid4().hex
    post(client, project, attachments_envelope(event_id, ("early.txt", b"early", PLAIN)))
    digest_all()
    waiting = Attachment.objects.get(project=project)
    assert waiting.issue_id is None  # kept, waiting
    assert accepted_attachment_bytes(project) == 5

    post(client, project, event_envelope(exception_event(), event_id=event_id))
    digest_all()
    waiting.refresh_from_db()
    assert waiting.issue_id == Event.objects.get(project=project).issue_id


def test_event_and_attachments_in_one_batch_find_each_other(client, project):
    event_id = uuid.uuid4().hex
    post(client, project, attachments_envelope(event_id, ("a.txt", b"a", PLAIN)))
    post(client, project, event_envelope(exception_event(), event_id=event_id))
    post(client, project, attachments_envelope(event_id, ("b.txt", b"b", PLAIN)))
    digest_all()
    issue_id = Event.objects.get(project=project).issue_id
    assert sorted(Attachment.objects.values_list("name", "issue_id")) == [
        ("a.txt", issue_id), ("b.txt", issue_id)]


def test_past_the_window_an_attachment_is_an_orphan_listed_in_settings(client, project, user):
    event_id = uuid.uuid4().hex
    post(client, project, attachments_envelope(event_id, ("lost.bin", b"\x00\x01", PLAIN)))
    digest_all()
    orphan = Attachment.objects.get(project=project)
    client.force_login(user)
    page = client.get(f"/{project.organization.slug}/{project.slug}/settings/attachments/")
    assert page.status_code == 200
    assert "Waiting for their event" in page.text
    assert page.text.index("lost.bin") > page.text.index("Waiting for their event")

    Attachment.objects.filter(pk=orphan.pk).update(created=timezone.now() - timedelta(hours=2))
    page = client.get(f"/{project.organization.slug}/{project.slug}/settings/attachments/")
    assert page.text.index("lost.bin") < page.text.index("Waiting for their event")
    assert event_id in page.text
    # The link the page emits downloads it.
    download = client.get(f"/{project.organization.slug}/attachments/{orphan.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"\x00\x01"

    # Its event may still come.
    post(client, project, event_envelope(exception_event(), event_id=event_id))
    digest_all()
    orphan.refresh_from_db()
    assert orphan.issue_id is not None


def test_retention_removes_orphans_with_their_files(client, project,
                                                   django_capture_on_commit_callbacks):
    post(client, project, attachments_envelope(uuid.uuid4().hex, ("old.txt", b"old", PLAIN)))
    digest_all()
    orphan = Attachment.objects.get(project=project)
    name = orphan.file.name
    Attachment.objects.filter(pk=orphan.pk).update(created=timezone.now() - timedelta(days=100))
    assert retention.cleanup(30, dry_run=True)["orphan attachments"] == 1
    assert Attachment.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):  # files go after the commit
        removed = retention.cleanup(30)
    assert removed["orphan attachments"] == 1
    assert not Attachment.objects.exists()
    assert not default_storage.exists(name)


def test_feedback_before_its_event_joins_its_issue(client, project):
    event_id = uuid.uuid4().hex
    feedback = {"event_id": event_id, "name": "Ann", "email": "ann@example.com",
                "comments": "It broke"}
    post(client, project, envelope(({"type": "user_report"}, feedback),
                                   headers={"event_id": event_id}))
    digest_all()
    report = UserReport.objects.get(project=project)
    assert report.issue_id is None

    post(client, project, event_envelope(exception_event(), event_id=event_id))
    digest_all()
    report.refresh_from_db()
    assert report.issue_id == Event.objects.get(project=project).issue_id


def test_stragglers_are_linked_by_the_sweep(client, project):
    """A race between two workers can leave an attachment waiting although its event is
    stored; the periodic sweep links it."""
    event_id = uuid.uuid4().hex
    post(client, project, event_envelope(exception_event(), event_id=event_id))
    digest_all()
    post(client, project, attachments_envelope(event_id, ("x.txt", b"x", PLAIN)))
    digest_all()
    Attachment.objects.update(issue=None)  # as if the event committed just after
    assert apart.link_stragglers(timezone.now()) == 1
    assert Attachment.objects.get().issue_id == Event.objects.get().issue_id


def test_attachments_without_an_event_id_are_refused(client, project):
    body = envelope(({"type": "attachment", "filename": "a.txt"}, b"a"))
    response = post(client, project, body)
    assert response.status_code == 400
    assert "event_id" in response.json()["detail"]
