"""Rate limits and quotas: 429s SDKs understand, partial limits, outcomes and refunds."""

from datetime import UTC, datetime

import pytest

from ingest import keys, quotas
from ingest.protocol.categories import DataCategory
from tests.ingest.helpers import digest_all, envelope, event_envelope, exception_event, post
from tests.live import dsn_for, run_python_sdk, wait_until
from tracker.models import Event, Outcome, OutcomeKind


def rate_limited(reason):
    return Outcome.objects.filter(outcome=OutcomeKind.RATE_LIMITED, reason=reason)


def test_key_rate_limit_answers_429_with_retry_after(client, project):
    key = project.keys.get()
    key.rate_limit_count, key.rate_limit_window = 2, 60
    key.save()
    assert [post(client, project, event_envelope()).status_code for _ in range(2)] == [200, 200]
    response = post(client, project, event_envelope())
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 60
    seconds, categories, scope, reason = response["X-Sentry-Rate-Limits"].split(":")
    assert (categories, scope, reason) == ("default;error;security", "key", "key_quota")
    assert int(seconds) == int(response["Retry-After"])
    assert rate_limited("key_quota").get().quantity == 1


@pytest.mark.parametrize(("owner", "reason", "scope"), [
    ("project", "project_quota", "project"), ("organization", "org_quota", "organization"),
])
def test_monthly_error_quotas(client, project, owner, reason, scope):
    target = project if owner == "project" else project.organization
    target.monthly_error_quota = 1
    target.save()
    assert post(client, project, event_envelope()).status_code == 200
    response = post(client, project, event_envelope())
    assert response.status_code == 429
    assert f":{scope}:{reason}" in response["X-Sentry-Rate-Limits"]
    assert rate_limited(reason).exists()


def test_attachment_quota_is_a_partial_limit(client, project):
    project.monthly_attachment_quota = 10
    project.save()
    body = event_envelope(attachments=[("big.bin", b"x" * 100, "event.attachment")])
    response = post(client, project, body)
    assert response.status_code == 200  # the event still goes through
    assert ":attachment:project:project_quota" in response["X-Sentry-Rate-Limits"]
    digest_all()  # outcomes of an accepted envelope travel with it to the pipeline
    assert Event.objects.count() == 1
    assert rate_limited("project_quota").get(category=DataCategory.ATTACHMENT).quantity == 100


def test_client_reports_are_never_rate_limited(client, project):
    project.monthly_error_quota = 0
    project.save()
    body = envelope(
        ({"type": "event"}, {"message": "x"}),
        ({"type": "client_report"},
         {"discarded_events": [{"reason": "before_send", "category": "error", "quantity": 1}]}),
    )
    response = post(client, project, body)
    assert response.status_code == 200
    assert "project_quota" in response["X-Sentry-Rate-Limits"]


@pytest.mark.django_db(transaction=True)
def test_discarded_events_refund_their_quota(client, project):
    from tracker.models import DiscardedFingerprint, Issue, IssueHash

    project.monthly_error_quota = 5
    project.save()
    post(client, project, event_envelope(exception_event("KeyError", "gone")))
    digest_all()
    issue = Issue.objects.get()
    tombstone = DiscardedFingerprint.objects.create(
        project=project, previous_issue_id=issue.pk, title=issue.title)
    IssueHash.objects.filter(issue=issue).update(issue=None, discarded=tombstone)
    issue.delete()
    post(client, project, event_envelope(exception_event("KeyError", "gone"),
                                         attachments=[("a.txt", b"12345", "event.attachment")]))
    info = keys.get_key(project.keys.get().public_key)
    (month_quota,) = quotas.quotas_for(info, DataCategory.ERROR, datetime.now(UTC))
    assert quotas.usage(month_quota) == 2
    digest_all()
    assert quotas.usage(month_quota) == 1  # the discarded event gave its unit back
    tombstone.refresh_from_db()
    assert tombstone.times_seen == 1
    filtered = Outcome.objects.filter(outcome=OutcomeKind.FILTERED, reason="discarded-hash")
    assert sorted(filtered.values_list("category", "quantity")) == [
        (DataCategory.ERROR, 1), (DataCategory.ATTACHMENT, 5)]


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("digest_worker")
def test_sentry_sdk_honours_our_429(errata_server, project):
    key = project.keys.get()
    key.rate_limit_count, key.rate_limit_window = 1, 3600
    key.save()
    run_python_sdk(dsn_for(errata_server, project), """
        import time
        for i in range(6):
            sentry_sdk.capture_message(f"message {i}")
            time.sleep(0.2)  # let each envelope go out before the next
    """)
    wait_until(lambda: Event.objects.filter(project=project).count() == 1)
    # One request was refused; after that the SDK stopped sending errors by itself and
    # reported what it dropped because of our limit.
    assert rate_limited("key_quota").get().quantity == 1
    backoff = wait_until(lambda: Outcome.objects.filter(
        outcome=OutcomeKind.CLIENT_DISCARD, reason="ratelimit_backoff").first())
    assert backoff.quantity == 4
