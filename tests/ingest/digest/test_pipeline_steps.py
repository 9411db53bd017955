"""Each save-pipeline step's effects, outcomes and refunds (docs/pipeline.md §4-§10)."""

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from ingest import accept, keys, quotas
from ingest.digest import batch
from ingest.inbox import claim
from ingest.models import InboxItem
from ingest.protocol import storable
from ingest.protocol.categories import DataCategory
from tests.factories import make_project
from tests.ingest.helpers import digest_all, envelope, event_envelope, exception_event, post
from tracker.models import (
    Attachment,
    DiscardedFingerprint,
    Event,
    Handling,
    Issue,
    IssueActivity,
    IssueHash,
    IssueHourlyCount,
    IssueTag,
    Outcome,
    OutcomeKind,
    Priority,
    Release,
    UserReport,
)

pytestmark = pytest.mark.django_db(transaction=True)


def outcomes(kind, reason=""):
    return sorted(
        Outcome.objects.filter(outcome=kind, reason=reason).values_list("category", "quantity")
    )


def send(client, project, event=None, **kwargs):
    response = post(client, project, event_envelope(event or exception_event(), **kwargs))
    assert response.status_code == 200, response.content
    digest_all()


def discard(issue):
    tombstone = DiscardedFingerprint.objects.create(
        project=issue.project, previous_issue_id=issue.pk, title=issue.title)
    IssueHash.objects.filter(issue=issue).update(issue=None, discarded=tombstone)
    issue.delete()
    return tombstone


def test_accepted_event_fills_issue_counters_tags_and_hours(client, project):
    event = exception_event(release="shop@1.0", environment="prod",
                            user={"email": "ann@example.com"}, tags={"region": "eu"})
    send(client, project, event)
    send(client, project, event)
    issue = Issue.objects.get()
    assert (issue.times_seen, issue.users_seen) == (2, 1)
    assert issue.first_release.version == "shop@1.0"
    assert IssueHourlyCount.objects.get(issue=issue).count == 2
    tags = dict(IssueTag.objects.filter(issue=issue).values_list("key", "times_seen"))
    assert tags["region"] == tags["release"] == tags["environment"] == 2
    assert outcomes(OutcomeKind.ACCEPTED) == [(DataCategory.ERROR, 2)]
    assert Release.objects.filter(version="shop@1.0", projects=project).exists()


def test_discarded_hash_with_attachments_is_filtered_and_refunded(client, project):
    project.monthly_error_quota = project.monthly_attachment_quota = 1000
    project.save()
    send(client, project, exception_event("KeyError", "x"))
    tombstone = discard(Issue.objects.get())
    event_id = uuid.uuid4().hex
    send(client, project, exception_event("KeyError", "x"), event_id=event_id,
         attachments=[("a.txt", b"12345", "event.attachment"),
                      ("b.txt", b"67890", "event.attachment")])
    # One outcome for the event and one per attachment, summed into the hour's bucket.
    assert outcomes(OutcomeKind.FILTERED, "discarded-hash") == [
        (DataCategory.ERROR, 1), (DataCategory.ATTACHMENT, 10)]
    info = keys.get_key(project.keys.get().public_key)
    now = datetime.now(UTC)
    (errors,) = quotas.quotas_for(info, DataCategory.ERROR, now)
    (attachments,) = quotas.quotas_for(info, DataCategory.ATTACHMENT, now)
    assert quotas.usage(errors) == 1  # the first event only: the discarded one was refunded
    assert quotas.usage(attachments) == 0
    tombstone.refresh_from_db()
    assert tombstone.times_seen == 1 and tombstone.last_seen is not None
    assert not Event.objects.exists()  # the first went with its issue, the second was dropped
    assert not Attachment.objects.exists()
    assert not staged_files(project, event_id)  # nothing left in the file store


def staged_files(project, event_id=None):
    """Files in the file store under the project's (or one event's) staging folder."""
    if event_id is not None:
        folder = f"staging/{project.pk}/{event_id}"
        return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []
    if not default_storage.exists(f"staging/{project.pk}"):
        return []
    return [f for d in default_storage.listdir(f"staging/{project.pk}")[0]
            for f in staged_files(project, d)]


def minidump_event(client, project, n):
    send(client, project, exception_event("EXC_BAD_ACCESS", "crash", level="fatal"),
         attachments=[(f"crash{n}.dmp", b"MDMP" + bytes(60), "event.minidump")])


def test_crash_report_limit_keeps_n_per_issue(client, project):
    project.crash_report_limit = 1
    project.monthly_attachment_quota = 10_000
    project.save()
    minidump_event(client, project, 1)
    minidump_event(client, project, 2)
    assert Event.objects.count() == 2
    assert Attachment.objects.get().name == "crash1.dmp"
    assert outcomes(OutcomeKind.FILTERED, "crash-report-limit") == [(DataCategory.ATTACHMENT, 64)]
    info = keys.get_key(project.keys.get().public_key)
    (attachments,) = quotas.quotas_for(info, DataCategory.ATTACHMENT, datetime.now(UTC))
    assert quotas.usage(attachments) == 64  # the removed crash report was refunded


@pytest.mark.parametrize(("org_limit", "project_limit", "kept"), [
    (-1, None, 2), (0, None, 0), (1, None, 1), (0, -1, 2), (5, 0, 0),
])
def test_crash_report_limit_falls_back_to_the_organization(client, project, org_limit,
                                                           project_limit, kept):
    project.organization.crash_report_limit = org_limit
    project.organization.save()
    project.crash_report_limit = project_limit
    project.save()
    minidump_event(client, project, 1)
    minidump_event(client, project, 2)
    assert Attachment.objects.count() == kept


def test_small_attachments_travel_in_the_inbox_row(client, project):
    event_id = uuid.uuid4().hex
    post(client, project, event_envelope(
        exception_event(), event_id=event_id,
        attachments=[("a.txt", b"first", "event.attachment"),
                     ("b.txt", b"second", "event.attachment")]))
    assert not staged_files(project, event_id)  # ingest wrote nothing to the file store
    assert InboxItem.objects.get().attachment_data == b"firstsecond"
    digest_all()
    assert stored_bytes() == {"a.txt": b"first", "b.txt": b"second"}


def stored_bytes():
    result = {}
    for attachment in Attachment.objects.all():
        with attachment.file.open("rb") as f:
            result[attachment.name] = f.read()
    return result


def test_large_attachments_are_staged_before_the_answer(client, project, monkeypatch):
    monkeypatch.setattr(accept, "INLINE_ATTACHMENTS_MAX", 3)
    event_id = uuid.uuid4().hex
    post(client, project, event_envelope(
        exception_event(), event_id=event_id,
        attachments=[("a.txt", b"abc", "event.attachment"),
                     ("b.txt", b"large", "event.attachment")]))
    descriptors = InboxItem.objects.get().attachments
    assert [("inline" in a, "key" in a) for a in descriptors] == [(True, False), (False, True)]
    assert len(staged_files(project, event_id)) == 1
    digest_all()
    assert stored_bytes() == {"a.txt": b"abc", "b.txt": b"large"}


def test_missing_attachment_bytes_are_invalid_but_the_event_is_saved(client, project,
                                                                      monkeypatch):
    monkeypatch.setattr(accept, "INLINE_ATTACHMENTS_MAX", 0)  # staged in the file store
    post(client, project, event_envelope(
        exception_event(), attachments=[("gone.txt", b"bytes", "event.attachment")]))
    default_storage.delete(InboxItem.objects.get().attachments[0]["key"])
    digest_all()
    assert Event.objects.count() == 1
    assert outcomes(OutcomeKind.INVALID, "missing_chunks") == [(DataCategory.ATTACHMENT, 1)]
    assert outcomes(OutcomeKind.ACCEPTED) == [(DataCategory.ERROR, 1)]


def test_stored_attachments_are_accepted_once(client, project):
    send(client, project, attachments=[("notes.txt", b"hello", "event.attachment")])
    attachment = Attachment.objects.get()
    assert attachment.issue_id == Issue.objects.get().pk
    assert outcomes(OutcomeKind.ACCEPTED) == [(DataCategory.ERROR, 1),
                                              (DataCategory.ATTACHMENT, 5)]


def test_sample_events_are_logged(client, project, caplog):
    with caplog.at_level(logging.INFO, logger="ingest.digest.batch"):
        send(client, project, {"message": "sample", "tags": {"sample_event": "yes"}})
    event_id = Event.objects.get().event_id.hex
    messages = [r.getMessage() for r in caplog.records]
    assert any("sample event" in m and event_id in m and str(project.pk) in m
               for m in messages)


def test_invalid_stored_event_gets_an_invalid_outcome(client, project):
    post(client, project, event_envelope())
    InboxItem.objects.update(payload=b'{"exception": {"values": [{"stacktrace": {}}]}}')
    digest_all()
    assert not Event.objects.exists()
    assert outcomes(OutcomeKind.INVALID, "no_event_payload") == [(DataCategory.ERROR, 1)]
    assert not InboxItem.objects.exists()


@pytest.mark.parametrize(("mechanism", "level", "handling", "priority"), [
    ({"type": "generic", "handled": True}, "error", Handling.HANDLED, Priority.HIGH),
    ({"type": "excepthook", "handled": False}, "error", Handling.UNHANDLED, Priority.HIGH),
    ({"type": "signalhandler", "handled": False}, "fatal", Handling.CRASH, Priority.HIGH),
    ({"type": "generic", "handled": True}, "info", Handling.HANDLED, Priority.LOW),
])
def test_severity_metadata_on_the_issue(client, project, mechanism, level, handling, priority):
    event = {"level": level, "platform": "python", "exception": {"values": [
        {"type": "OSError", "value": "x", "mechanism": mechanism,
         "stacktrace": {"frames": [{"function": "main", "module": "app", "in_app": True}]}}]}}
    send(client, project, event)
    issue = Issue.objects.get()
    assert (issue.handling, issue.priority) == (handling, priority)
    assert "severity" in issue.data["metadata"]


def test_handling_only_escalates(client, project):
    handled = exception_event()
    send(client, project, handled)
    unhandled = {**handled, "exception": {"values": [
        {"type": "ValueError", "value": "boom", "mechanism": {"type": "x", "handled": False}}]}}
    send(client, project, unhandled)
    send(client, project, handled)
    assert Issue.objects.get().handling == Handling.UNHANDLED


class TestRegressions:
    def resolve(self, issue, release=None, at=None, next_release=True):
        Issue.objects.filter(pk=issue.pk).update(
            status=Issue.Status.RESOLVED, resolved_at=at or datetime.now(UTC),
            resolved_in_release=release, resolved_in_next_release=next_release)

    def regressed(self):
        issue = Issue.objects.get()
        return issue.status == Issue.Status.UNRESOLVED and issue.substatus == "regressed"

    def test_new_event_reopens_a_resolved_issue(self, client, project):
        send(client, project)
        self.resolve(Issue.objects.get())
        send(client, project)
        assert self.regressed()
        activity = IssueActivity.objects.get(kind=IssueActivity.Kind.REGRESSION)
        assert activity.data["event_id"]

    def test_late_events_never_reopen(self, client, project):
        send(client, project)
        self.resolve(Issue.objects.get())
        send(client, project, exception_event(
            timestamp=(datetime.now(UTC) - timedelta(hours=1)).isoformat()))
        assert Issue.objects.get().status == Issue.Status.RESOLVED

    @pytest.mark.parametrize(("fixed_in", "event_release", "reopens"), [
        ("shop@1.2.0", "shop@1.1.9", False),
        ("shop@1.2.0", "shop@1.2.0", False),
        ("shop@1.2.0", "shop@1.10.0", True),
        ("shop@1.2.0-rc.1", "shop@1.2.0", True),
        ("shop@1.2.0", "", False),
    ])
    def test_resolved_in_release_follows_semver(self, client, project, fixed_in,
                                                event_release, reopens):
        send(client, project, exception_event(release="shop@1.0.0"))
        fixed = Release.objects.create(organization=project.organization, version=fixed_in)
        self.resolve(Issue.objects.get(), release=fixed)
        send(client, project, exception_event(release=event_release) if event_release
             else exception_event())
        assert self.regressed() is reopens

    @pytest.mark.parametrize(("event_release", "reopens"), [
        ("shop@1.1.9", False), ("shop@1.2.0", True), ("shop@1.3.0", True)])
    def test_resolved_in_a_release_reopens_on_its_own_events(self, client, project,
                                                             event_release, reopens):
        # Fixed *in* 1.2.0 (`fixes SHORT-ID` in its commits): 1.2.0 still failing regresses.
        send(client, project, exception_event(release="shop@1.0.0"))
        fixed = Release.objects.create(organization=project.organization, version="shop@1.2.0")
        self.resolve(Issue.objects.get(), release=fixed, next_release=False)
        send(client, project, exception_event(release=event_release))
        assert self.regressed() is reopens

    def test_non_semver_releases_compare_by_release_date(self, client, project):
        fixed = Release.objects.create(organization=project.organization, version="def456",
                                       date_released=datetime.now(UTC) - timedelta(days=2))
        # Created after the fix's release but released before it: older.
        hotfix = Release.objects.create(organization=project.organization, version="0ab1",
                                        date_released=datetime.now(UTC) - timedelta(days=3))
        send(client, project, exception_event(release="abc123"))
        self.resolve(Issue.objects.get(), release=fixed)
        send(client, project, exception_event(release=hotfix.version))
        assert not self.regressed()
        send(client, project, exception_event(release="fff999"))  # never released: by creation
        assert self.regressed()

    def test_non_semver_releases_compare_by_creation_time(self, client, project):
        older = Release.objects.create(organization=project.organization, version="abc123")
        fixed = Release.objects.create(organization=project.organization, version="def456")
        send(client, project, exception_event(release="abc123"))
        self.resolve(Issue.objects.get(), release=fixed)
        send(client, project, exception_event(release=older.version))
        assert not self.regressed()
        send(client, project, exception_event(release="fff999"))  # created after the fix
        assert self.regressed()

    def test_ignored_until_n_more_events_comes_back(self, client, project):
        send(client, project)
        Issue.objects.update(status=Issue.Status.IGNORED, ignored_until_times_seen=3)
        send(client, project)
        assert Issue.objects.get().status == Issue.Status.IGNORED
        send(client, project)
        issue = Issue.objects.get()
        assert issue.status == Issue.Status.UNRESOLVED and issue.substatus == "escalating"


def test_other_projects_hashes_never_mix(client, project):
    other = make_project(project.organization)
    send(client, project)
    send(client, other)
    assert Issue.objects.count() == 2


def test_nul_characters_are_removed_not_fatal(client, project):
    """PostgreSQL stores no NUL in text or JSON: one in any client string must not cost the
    event (nor the envelope's other items)."""
    event_id = uuid.uuid4().hex
    body = envelope(
        ({"type": "event"}, {"event_id": event_id, "message": "bad\u0000byte",
                             "extra": {"k\u0000": "v\u0000"}, "tags": {"t": "a\u0000b"},
                             "user": {"id": "u\u00001"}}),
        ({"type": "client_report"},
         {"discarded_events": [{"reason": "sample\u0000rate", "category": "error",
                                "quantity": 2}]}),
        ({"type": "user_report"}, {"event_id": event_id, "name": "A\u0000nn",
                                   "comments": "bro\u0000ke"}),
        headers={"event_id": event_id, "sdk": {"name": "sentry.c\u0000", "version": "1"}},
    )
    key = project.keys.get().public_key
    response = client.post(
        f"/api/{project.pk}/envelope/?sentry_key={key}&sentry_version=7&sentry_client=c%00x",
        body, content_type="application/x-sentry-envelope")
    assert response.status_code == 200, response.content
    digest_all()
    stored = Event.objects.get(event_id=event_id)
    text = json.dumps(stored.data)
    assert "badbyte" in text and '"ab"' in text
    assert "\\u0000" not in text
    assert outcomes(OutcomeKind.CLIENT_DISCARD, "samplerate") == [(DataCategory.ERROR, 2)]
    assert UserReport.objects.get().name == "Ann"
    assert not InboxItem.objects.exists()


def test_lone_surrogates_are_replaced_not_fatal(client, project):
    """JavaScript cuts strings in UTF-16 units, so half an emoji ("\\ud83d") reaches us now and
    then: neither PostgreSQL nor SQLite can store it. The event is kept, with U+FFFD in its
    place and a `_meta` remark where it was (nor may it cost the envelope's other items)."""
    event_id = uuid.uuid4().hex
    body = envelope(
        ({"type": "event"}, {"event_id": event_id, "platform": "javascript",
                             "exception": {"values": [{"type": "TypeError",
                                                       "value": "cut \ud83d"}]},
                             "extra": {"k\udc00": "v", "w": "x\ud83d"}, "tags": {"t": "a\ud83db"},
                             "user": {"id": "u\ude00"}, "message": "\ud83d\ude00 whole"}),
        ({"type": "client_report"},
         {"discarded_events": [{"reason": "sample\ud83drate", "category": "error",
                                "quantity": 2}]}),
        ({"type": "user_report"}, {"event_id": event_id, "name": "Ann\ud83d",
                                   "comments": "bro\ud83dke"}),
        headers={"event_id": event_id, "sdk": {"name": "sentry.javascript\ud83d",
                                               "version": "1"}},
    )
    assert b"\\ud83d" in body  # escaped in the JSON, as JSON.stringify writes it
    assert post(client, project, body).status_code == 200
    digest_all()
    stored = Event.objects.get(event_id=event_id)
    assert "cut \ufffd" in stored.issue.title
    assert stored.data["extra"] == {"k\ufffd": "v", "w": "x\ufffd"}
    assert stored.data["user"]["id"] == "u\ufffd"
    assert ["t", "a\ufffdb"] in stored.data["tags"]
    assert stored.data["logentry"]["formatted"] == "\U0001f600 whole"  # a valid pair stays
    remark = {"": {"rem": [["surrogate", "s"]]}}
    assert stored.data["_meta"]["exception"]["values"]["0"]["value"] == remark
    assert stored.data["_meta"]["extra"] == {"k\ufffd": remark, "w": remark}
    assert IssueTag.objects.filter(key="t", value="a\ufffdb").exists()
    assert outcomes(OutcomeKind.CLIENT_DISCARD, "sample\ufffdrate") == [(DataCategory.ERROR, 2)]
    assert UserReport.objects.get().comments == "bro\ufffdke"
    assert not InboxItem.objects.exists()


def nested(depth: int, leaf):
    value = leaf
    for level in range(depth):
        value = {"a": value} if level % 2 else [value]
    return value


def test_deeply_nested_strings_are_cleaned_too(client, project):
    """The cleaning walks without recursion: 500 levels deep must not cost the event,
    wherever the deep part is (a data bag, or a part passed through as sent)."""
    event = exception_event(extra={"deep": nested(500, "a\u0000b")},
                            debug_meta={"images": [nested(500, "c\ud83d")]})
    send(client, project, event)
    stored = Event.objects.get()
    assert stored.issue_id is not None
    text = json.dumps(stored.data)
    assert "\\u0000" not in text and "\\ud83d" not in text
    assert '"c\\ufffd"' in text
    assert not InboxItem.objects.exists()


def test_nesting_too_deep_to_write_back_is_cut(client, project):
    """orjson reads 1024 levels, so ingest accepts them, but the standard library cannot
    write as many back: what is nested deeper than MAX_DEPTH is replaced, with a remark."""
    event_id = uuid.uuid4().hex
    payload = json.dumps(exception_event(event_id=event_id, debug_meta={"images": "DEEP"}))
    payload = payload.replace('"DEEP"', "[" * 1000 + '"x"' + "]" * 1000)
    response = post(client, project, envelope(({"type": "event"}, payload.encode())))
    assert response.status_code == 200
    digest_all()
    stored = Event.objects.get(event_id=event_id)
    node, depth = stored.data["debug_meta"]["images"], 3
    while isinstance(node, list):
        node, depth = node[0], depth + 1
    assert node == storable.TOO_DEEP
    assert depth == storable.MAX_DEPTH + 1
    assert not InboxItem.objects.exists()


def test_an_event_failing_to_prepare_fails_alone(client, project, monkeypatch):
    """What normalization did not foresee costs that one event a retry, not its batch: the
    others are stored in the same pass; it waits in the inbox, and once it has failed
    MAX_ATTEMPTS times it is kept there with its error, for an operator."""
    for value in ("fine", "poison", "also fine"):
        post(client, project, event_envelope(exception_event(value=value)))
    real_prepare = batch.prepare
    calls = []

    def prepare(item, project):
        calls.append(item.pk)
        if b"poison" in bytes(item.payload):
            raise RuntimeError("unforeseen")
        return real_prepare(item, project)

    monkeypatch.setattr(batch, "prepare", prepare)
    assert batch.digest_batch() == 3
    assert len(calls) == 3  # no second pass, one by one
    assert Event.objects.count() == 2
    poisoned = InboxItem.objects.get()
    assert poisoned.attempts == 1 and not poisoned.error
    for _ in range(claim.MAX_ATTEMPTS - 1):
        InboxItem.objects.update(claimed_until=timezone.now() - timedelta(seconds=1))
        assert batch.digest_batch() == 1
    poisoned.refresh_from_db()
    assert poisoned.attempts == claim.MAX_ATTEMPTS
    assert "unforeseen" in poisoned.error
    assert batch.digest_batch() == 0  # never claimed again, never dropped
    assert Event.objects.count() == 2
