"""Delete and discard: the domain functions, and the whole loop through the batch."""

import json
import uuid

import pytest

from ingest.digest import batch
from tests.factories import make_event, make_issue, make_org, make_project, make_user
from tracker.discards import discard_issues, undiscard
from tracker.models import DiscardedFingerprint, Event, Issue, IssueHash, Outcome, OutcomeKind

pytestmark = pytest.mark.django_db


def _envelope(event: dict, event_id: str) -> bytes:
    return b"\n".join([json.dumps({"event_id": event_id}).encode(), b'{"type":"event"}',
                       json.dumps(event).encode()])


def _send(client, project, value: str = "boom") -> str:
    event_id = uuid.uuid4().hex
    # Grouped by its stack trace, so events with different values land in one issue.
    frames = [{"module": "shop.cart", "function": "add_item", "filename": "shop/cart.py",
               "lineno": 12, "in_app": True}]
    event = {"exception": {"values": [{"type": "KeyError", "value": value,
                                       "stacktrace": {"frames": frames}}]},
             "platform": "python"}
    key = project.keys.get().public_key
    response = client.post(f"/api/{project.pk}/envelope/?sentry_key={key}",
                           _envelope(event, event_id), content_type="text/plain")
    assert response.status_code == 200, response.content
    return event_id


def _digest():
    while batch.digest_batch():
        pass


def test_discard_issues_keeps_hashes_and_deletes_issue(project, user):
    issue = make_issue(project, "ValueError: x", culprit="app.views in index", level=30)
    make_event(issue)
    IssueHash.objects.create(project=project, hash="a" * 32, issue=issue)
    IssueHash.objects.create(project=project, hash="b" * 32, issue=issue)
    other = make_issue(project, "Other")
    IssueHash.objects.create(project=project, hash="c" * 32, issue=other)

    [fp] = discard_issues([issue], user)

    assert not Issue.objects.filter(pk=issue.pk).exists()
    assert not Event.objects.filter(issue_id=issue.pk).exists()
    assert fp.previous_issue_id == issue.pk
    assert fp.previous_short_id == issue.qualified_short_id
    assert (fp.title, fp.culprit, fp.level, fp.actor) == (
        "ValueError: x", "app.views in index", 30, user)
    assert fp.data["previous"]["times_seen"] == 1
    assert (fp.times_seen, fp.last_seen) == (0, issue.last_seen)
    assert set(fp.hashes.values_list("hash", flat=True)) == {"a" * 32, "b" * 32}
    assert IssueHash.objects.get(hash="c" * 32).issue == other


def test_discard_several_issues_at_once(project, user):
    issues = [make_issue(project, f"E{i}") for i in range(3)]
    for i, issue in enumerate(issues):
        IssueHash.objects.create(project=project, hash=f"{i:032x}", issue=issue)
    fingerprints = discard_issues(Issue.objects.filter(project=project), user)
    assert len(fingerprints) == 3
    assert not Issue.objects.exists()
    assert IssueHash.objects.filter(issue__isnull=True, discarded__isnull=False).count() == 3


def test_discard_nothing_is_a_no_op(user):
    assert discard_issues([], user) == []


def test_undiscard_deletes_hash_rows(project, user):
    issue = make_issue(project)
    IssueHash.objects.create(project=project, hash="a" * 32, issue=issue)
    [fp] = discard_issues([issue], user)
    undiscard(fp, user)
    assert not DiscardedFingerprint.objects.exists()
    assert not IssueHash.objects.exists()


def test_full_loop_through_the_pipeline(client):
    project = make_project(make_org(owner=make_user()))
    user = make_user()
    _send(client, project)
    _digest()
    issue = Issue.objects.get(project=project)
    old_hashes = set(issue.hashes.values_list("hash", flat=True))

    [fp] = discard_issues([issue], user)

    # A new event of the same issue is dropped and counted on the fingerprint.
    _send(client, project, "boom again")
    _send(client, project, "boom thrice")
    _digest()
    assert not Issue.objects.filter(project=project).exists()
    assert not Event.objects.filter(project=project).exists()
    fp.refresh_from_db()
    assert fp.times_seen == 2
    assert fp.last_seen > issue.last_seen
    filtered = Outcome.objects.get(project_id=project.pk, outcome=OutcomeKind.FILTERED)
    assert (filtered.reason, filtered.quantity) == ("discarded-hash", 2)

    # Undo: the next event makes a fresh issue with the same hashes.
    undiscard(fp, user)
    event_id = _send(client, project)
    _digest()
    fresh = Issue.objects.get(project=project)
    assert fresh.pk != issue.pk
    assert set(fresh.hashes.values_list("hash", flat=True)) == old_hashes
    assert Event.objects.get(project=project).event_id.hex == event_id
