"""tracker.retention, the `cleanup` command, and attachment files deleted with their rows."""

import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import make_event, make_issue, make_project
from tracker import actions, retention, tasks
from tracker.models import (
    Attachment,
    Event,
    Issue,
    IssueHash,
    IssueHourlyCount,
    IssueTag,
    Outcome,
    SessionBucket,
    SessionState,
)

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=100)  # past the default 90 days
RECENT = NOW - timedelta(days=10)


@pytest.fixture(autouse=True)
def _periods(settings):
    settings.ERRATA = {**settings.ERRATA, "EVENT_RETENTION_DAYS": 90,
                       "OUTCOME_RETENTION_DAYS": 90, "SESSION_RETENTION_DAYS": 90}


def event(issue, when, *, attachment=False):
    """An event counted on its issue like the digest counts it, optionally with a stored
    attachment file."""
    e = make_event(issue, timestamp=when, received=when)
    Issue.objects.filter(pk=issue.pk).update(times_seen=Issue.objects.get(pk=issue.pk)
                                             .times_seen + 1)
    hour = when.replace(minute=0, second=0, microsecond=0)
    row, _ = IssueHourlyCount.objects.get_or_create(issue=issue, hour=hour)
    IssueHourlyCount.objects.filter(pk=row.pk).update(count=row.count + 1)
    if attachment:
        attach(issue, e.event_id)
    return e


def attach(issue, event_id) -> Attachment:
    name = default_storage.save(f"attachments/{issue.project_id}/{uuid.uuid4().hex}",
                                ContentFile(b"crash"))
    return Attachment.objects.create(project=issue.project, issue=issue, event_id=event_id,
                                     name="crash.dmp", size=5, file=name)


def issue_with(project, *whens, attachments=False):
    issue = make_issue(project, first_seen=min(whens), last_seen=max(whens), times_seen=0)
    for when in whens:
        event(issue, when, attachment=attachments)
    return issue


def stored(attachment: Attachment) -> bool:
    return default_storage.exists(attachment.file.name)


def test_old_events_and_their_files_go_new_ones_stay(project, django_capture_on_commit_callbacks):
    issue = issue_with(project, OLD, RECENT, attachments=True)
    old_file, new_file = Attachment.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        removed = retention.run()
    assert list(Event.objects.values_list("timestamp", flat=True)) == [RECENT]
    assert list(Attachment.objects.all()) == [new_file]
    assert not stored(old_file)
    assert stored(new_file)
    assert removed["events"] == 1
    assert removed["attachments"] == 1
    issue.refresh_from_db()
    assert issue.times_seen == 1  # the issue counts the events it has
    assert list(IssueHourlyCount.objects.filter(issue=issue).values_list("count", flat=True)) == [1]


def test_issue_whose_last_event_expired_goes_others_keep_their_counts(project):
    gone = issue_with(project, OLD, OLD + timedelta(hours=2))
    IssueTag.objects.create(issue=gone, key="level", value="error", times_seen=2,
                            first_seen=OLD, last_seen=OLD)
    IssueHash.objects.create(project=project, hash="a" * 32, issue=gone)
    kept = issue_with(project, OLD, RECENT, RECENT)
    IssueTag.objects.create(issue=kept, key="release", value="1.0", times_seen=1,
                            first_seen=OLD, last_seen=OLD)
    IssueTag.objects.create(issue=kept, key="release", value="2.0", times_seen=2,
                            first_seen=RECENT, last_seen=RECENT)
    Issue.objects.filter(pk=kept.pk).update(ignored_until_times_seen=10)

    removed = retention.run()

    assert list(Issue.objects.all()) == [kept]
    assert not IssueHash.objects.filter(hash="a" * 32).exists()
    assert removed["issues"] == 1
    kept.refresh_from_db()
    assert kept.times_seen == 2 == Event.objects.filter(issue=kept).count()
    assert kept.ignored_until_times_seen == 9  # still 7 more events to go
    assert sum(IssueHourlyCount.objects.filter(issue=kept).values_list("count", flat=True)) == 2
    assert list(IssueTag.objects.values_list("value", flat=True)) == ["2.0"]


def test_project_period_wins_over_organization_and_default(project):
    project.organization.event_retention_days = 200  # would keep OLD
    project.organization.save()
    project.event_retention_days = 5  # keeps only the last 5 days
    project.save()
    other = make_project(project.organization)  # the organization's 200 days
    default = make_project()  # the server's 90 days
    mine, theirs, default_issue = (issue_with(p, OLD, RECENT) for p in (project, other, default))

    retention.run()

    assert not Issue.objects.filter(pk=mine.pk).exists()
    assert Event.objects.filter(issue=theirs).count() == 2
    assert list(Event.objects.filter(issue=default_issue).values_list("timestamp", flat=True)) \
        == [RECENT]
    assert retention.event_retention_days(project) == 5
    assert retention.event_retention_days(other) == 200
    assert retention.event_retention_days(default) == 90


def test_outcomes_and_sessions_have_their_own_periods(project, settings):
    settings.ERRATA = {**settings.ERRATA, "OUTCOME_RETENTION_DAYS": 30,
                       "SESSION_RETENTION_DAYS": 120}
    for hour in (RECENT, NOW - timedelta(days=40)):
        Outcome.objects.create(hour=hour, organization_id=project.organization_id,
                               project_id=project.pk, outcome=0, category=1, quantity=1)
    for hour in (OLD, NOW - timedelta(days=150)):
        SessionBucket.objects.create(project=project, hour=hour, status="healthy", count=1)
        SessionState.objects.create(project=project, hour=hour, sid=uuid.uuid4(), status=1)

    removed = retention.run()

    assert list(Outcome.objects.values_list("hour", flat=True)) == [RECENT]
    assert list(SessionBucket.objects.values_list("hour", flat=True)) == [OLD]
    assert removed["outcomes"] == 1
    assert removed["session buckets"] == 1
    assert removed["session states"] == 1
    assert list(SessionState.objects.values_list("hour", flat=True)) == [OLD]


def test_batches_go_until_nothing_is_left(project, monkeypatch):
    monkeypatch.setattr(retention, "BATCH", 2)
    issue = issue_with(project, *(OLD + timedelta(minutes=i) for i in range(5)), RECENT)
    assert retention.run()["events"] == 5
    issue.refresh_from_db()
    assert issue.times_seen == 1


def test_the_hourly_task_applies_retention(project, settings):
    issue_with(project, OLD, RECENT)
    assert settings.CELERY_BEAT_SCHEDULE["retention"] == {
        "task": tasks.apply_retention.name, "schedule": 3600.0}
    assert tasks.apply_retention.name == "tracker.tasks.apply_retention"
    tasks.apply_retention.apply()
    assert list(Event.objects.values_list("timestamp", flat=True)) == [RECENT]


def cleanup(*args) -> str:
    out = StringIO()
    call_command("cleanup", *args, stdout=out)
    return out.getvalue()


def test_cleanup_dry_run_changes_nothing_and_prints_counts(project):
    issue_with(project, RECENT - timedelta(days=1), attachments=True)
    issue_with(project, NOW)
    output = cleanup("--days", "5", "--dry-run")
    assert "would delete 1 events\n" in output
    assert "would delete 1 attachments\n" in output
    assert "would delete 1 issues\n" in output
    assert "would delete 0 outcomes\n" in output
    assert Event.objects.count() == 2
    assert Issue.objects.count() == 2
    assert Attachment.objects.count() == 1


def test_cleanup_removes_what_is_older_than_n_days_and_prints(
        project, django_capture_on_commit_callbacks):
    # Inside the configured 90 days, but older than --days 5.
    issue_with(project, RECENT, attachments=True)
    (old_file,) = Attachment.objects.all()
    kept = issue_with(project, NOW)
    other = make_project(project.organization)
    other_issue = issue_with(other, RECENT)
    SessionBucket.objects.create(project=project, hour=RECENT, status="healthy", count=1)
    SessionBucket.objects.create(project=other, hour=RECENT, status="healthy", count=1)

    with django_capture_on_commit_callbacks(execute=True):
        output = cleanup("--days", "5", "--project",
                         f"{project.organization.slug}/{project.slug}")

    assert "deleted 1 events\n" in output
    assert "deleted 1 attachments\n" in output
    assert "deleted 1 issues\n" in output
    assert "deleted 1 session buckets\n" in output
    assert list(Issue.objects.order_by("pk")) == [kept, other_issue]
    assert not stored(old_file)
    assert SessionBucket.objects.filter(project=other).exists()


def test_cleanup_refuses_an_unknown_project(db):
    with pytest.raises(CommandError, match="no project"):
        cleanup("--days", "5", "--project", "nope/nope")


def test_deleting_an_issue_deletes_its_files(project, user, django_capture_on_commit_callbacks):
    issue = issue_with(project, NOW, attachments=True)
    other = issue_with(project, NOW, attachments=True)
    mine, theirs = Attachment.objects.order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete([issue], user)
    assert not stored(mine)
    assert stored(theirs)
    with django_capture_on_commit_callbacks(execute=True):
        actions.delete_and_discard([other], user)
    assert not stored(theirs)


def test_files_stay_until_the_deletion_commits(project, user, django_capture_on_commit_callbacks):
    issue = issue_with(project, NOW, attachments=True)
    (attachment,) = Attachment.objects.all()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        actions.delete([issue], user)
    assert stored(attachment)  # a rollback now would keep the row: it needs its file
    for callback in callbacks:
        callback()
    assert not stored(attachment)


def test_deleting_a_project_deletes_its_files(project, django_capture_on_commit_callbacks):
    issue_with(project, NOW, attachments=True)
    (attachment,) = Attachment.objects.all()
    with django_capture_on_commit_callbacks(execute=True):
        project.delete()
    assert not stored(attachment)
    assert not Attachment.objects.exists()
