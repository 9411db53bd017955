"""Client reports, sessions and user feedback: stored or counted by the pipeline."""

import pytest

from ingest.protocol.categories import DataCategory
from tests.ingest.helpers import digest_all, envelope, event_envelope, post
from tracker.models import Event, Outcome, OutcomeKind, SessionBucket, UserReport

pytestmark = pytest.mark.django_db(transaction=True)


def test_client_report_becomes_client_discard_outcomes(client, project):
    body = envelope(({"type": "client_report"}, {"discarded_events": [
        {"reason": "sample_rate", "category": "error", "quantity": 3},
        {"reason": "before_send", "category": "attachment", "quantity": 1024},
        {"reason": "queue_overflow", "category": "no_such_category", "quantity": 9},
    ]}))
    assert post(client, project, body).status_code == 200
    digest_all()
    assert sorted(Outcome.objects.filter(outcome=OutcomeKind.CLIENT_DISCARD).values_list(
        "reason", "category", "quantity")) == [
        ("before_send", DataCategory.ATTACHMENT, 1024), ("sample_rate", DataCategory.ERROR, 3)]


def test_sessions_are_counted_for_release_health(client, project):
    body = envelope(
        ({"type": "session"}, {"sid": "a" * 32, "status": "crashed", "started":
                               "2026-11-21T10:15:00Z", "attrs": {"release": "shop@1.0",
                                                                "environment": "prod"}}),
        ({"type": "sessions"}, {"aggregates": [
            {"started": "2026-11-21T10:00:00Z", "exited": 5, "errored": 2}],
            "attrs": {"release": "shop@1.0", "environment": "prod"}}),
    )
    assert post(client, project, body).status_code == 200
    digest_all()
    counts = dict(SessionBucket.objects.values_list("status", "count"))
    assert counts == {"crashed": 1, "exited": 5, "errored": 2}
    assert Outcome.objects.get(outcome=OutcomeKind.ACCEPTED,
                               category=DataCategory.SESSION).quantity == 8


def test_user_feedback_links_to_its_event(client, project):
    event_id = "c" * 32
    post(client, project, event_envelope({"message": "broken"}, event_id=event_id))
    digest_all()
    post(client, project, envelope(({"type": "user_report"}, {
        "event_id": event_id, "name": "Ann", "email": "ann@example.com",
        "comments": "It broke when I clicked pay"})))
    post(client, project, envelope(({"type": "feedback"}, {"contexts": {"feedback": {
        "message": "Great app, one bug", "contact_email": "bo@example.com"}}})))
    digest_all()
    report = UserReport.objects.get(name="Ann")
    assert report.issue_id == Event.objects.get().issue_id
    assert report.comments == "It broke when I clicked pay"
    assert UserReport.objects.get(email="bo@example.com").comments == "Great app, one bug"
