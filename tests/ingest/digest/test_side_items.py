"""Client reports, sessions and user feedback: stored or counted by the pipeline."""

import pytest

from ingest.protocol.categories import DataCategory
from tests.ingest.helpers import digest_all, envelope, event_envelope, post
from tracker.models import (
    Event,
    Outcome,
    OutcomeKind,
    SessionBucket,
    SessionState,
    SessionStatus,
    UserReport,
)

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
        ({"type": "session"}, {"sid": "a" * 32, "init": True, "status": "crashed", "started":
                               "2026-11-21T10:15:00Z", "attrs": {"release": "shop@1.0",
                                                                "environment": "prod"}}),
        ({"type": "sessions"}, {"aggregates": [
            {"started": "2026-11-21T10:00:00Z", "exited": 5, "errored": 2, "crashed": 1}],
            "attrs": {"release": "shop@1.0", "environment": "prod"}}),
    )
    assert post(client, project, body).status_code == 200
    digest_all()
    # A request-mode aggregate's `crashed` request did not end its server: unhandled.
    assert _buckets() == {"crashed": 1, "healthy": 5, "errored": 2, "unhandled": 1}
    assert Outcome.objects.get(outcome=OutcomeKind.ACCEPTED,
                               category=DataCategory.SESSION).quantity == 9


def _session(sid, status, *, init=False, errors=0, did=None, release="shop@1.0"):
    payload = {"sid": sid, "init": init, "status": status, "errors": errors,
               "started": "2026-11-21T10:15:00Z", "attrs": {"release": release}}
    if did:
        payload["did"] = did
    return ({"type": "session"}, payload)


def _buckets():
    return {status: n for status, n in SessionBucket.objects.values_list("status", "count")
            if n}


def test_a_session_counts_once_and_moves_with_its_updates(client, project):
    sid = "b" * 32
    post(client, project, envelope(_session(sid, "ok", init=True, did="ann")))
    digest_all()
    assert _buckets() == {"healthy": 1}
    # The SDK retries the first update, then reports an error, then ends the session.
    post(client, project, envelope(_session(sid, "ok", init=True, did="ann")))
    post(client, project, envelope(_session(sid, "ok", errors=1)))
    digest_all()
    assert _buckets() == {"errored": 1}
    post(client, project, envelope(_session(sid, "exited", errors=1)))
    digest_all()
    assert _buckets() == {"errored": 1}
    post(client, project, envelope(_session(sid, "crashed", errors=2)))
    # A late, older update does not make it better again.
    post(client, project, envelope(_session(sid, "ok")))
    digest_all()
    assert _buckets() == {"crashed": 1}
    state = SessionState.objects.get()
    assert (state.status, state.distinct_id) == (SessionStatus.CRASHED, "ann")


def test_updates_in_one_batch_fold_into_one_session(client, project):
    sid = "c" * 32
    post(client, project, envelope(_session(sid, "ok", init=True),
                                   _session(sid, "exited", errors=1),
                                   _session("d" * 32, "exited", init=True)))
    digest_all()
    assert _buckets() == {"errored": 1, "healthy": 1}


def test_a_session_counts_from_its_first_update(client, project):
    sid = "e" * 32
    post(client, project, envelope(_session(sid, "crashed", errors=1)))
    digest_all()
    assert _buckets() == {}
    post(client, project, envelope(_session(sid, "ok", init=True)))
    digest_all()
    assert _buckets() == {"crashed": 1}


def test_page_sdks_crash_means_unhandled(client, project):
    body = envelope(_session("f" * 32, "crashed", init=True, errors=1),
                    headers={"sdk": {"name": "sentry.javascript.browser", "version": "10.0.0"}})
    post(client, project, body)
    post(client, project, envelope(_session("1" * 32, "unhandled", init=True, errors=1),
                                   _session("2" * 32, "abnormal", init=True),
                                   _session("3" * 32, "errored", init=True, errors=1)))
    digest_all()
    assert _buckets() == {"unhandled": 2, "abnormal": 1, "errored": 1}


def test_bad_sessions_are_skipped(client, project):
    post(client, project, envelope(_session("not-a-uuid", "ok", init=True),
                                   _session("4" * 32, "no-such-status", init=True),
                                   ({"type": "session"}, b"[1, 2]")))
    digest_all()
    assert _buckets() == {}


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
