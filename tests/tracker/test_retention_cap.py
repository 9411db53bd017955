"""The per-project cap on stored events: the oldest go first, each issue keeps its first
event, its latest event and the events that regressed it; their files go with them."""

from datetime import timedelta

import pytest

from tests.tracker.test_retention import NOW, attach, event, stored
from tracker import retention
from tracker.models import Attachment, Event, Issue, IssueActivity

pytestmark = pytest.mark.django_db


def at(days_ago: float):
    return NOW - timedelta(days=days_ago)


@pytest.fixture
def capped(project):
    """Two issues, ten events, a regression, files on two old events; a cap of 5."""
    a = Issue.objects.create(project=project, short_id=project.next_short_id(), title="A",
                             first_seen=at(9), last_seen=at(1))
    b = Issue.objects.create(project=project, short_id=project.next_short_id(), title="B",
                             first_seen=at(8.5), last_seen=at(2))
    events = {
        "a1": event(a, at(9)), "a2": event(a, at(8)), "a3": event(a, at(7)),
        "a4": event(a, at(6)), "a5": event(a, at(5)), "a6": event(a, at(1)),
        "b1": event(b, at(8.5)), "b2": event(b, at(7.5)), "b3": event(b, at(4)),
        "b4": event(b, at(2)),
    }
    # a3 reopened issue A.
    IssueActivity.objects.create(issue=a, kind=IssueActivity.Kind.REGRESSION,
                                 data={"event_id": events["a3"].event_id.hex})
    files = {name: attach(events[name].issue, events[name].event_id) for name in ("a2", "a1")}
    project.max_stored_events = 5
    project.save()
    return project, a, b, events, files


def names(events) -> set[str]:
    remaining = set(Event.objects.values_list("pk", flat=True))
    return {name for name, e in events.items() if e.pk in remaining}


def test_the_oldest_go_but_first_latest_and_regression_stay(
        capped, django_capture_on_commit_callbacks):
    _, a, b, events, files = capped
    before = {i.pk: i.times_seen for i in Issue.objects.all()}
    with django_capture_on_commit_callbacks(execute=True):
        removed = retention.run()
    # Kept whatever their age: a1 (first of A), a6 (latest of A), a3 (regressed A),
    # b1 and b4 (first and latest of B). Evicted, oldest first: a2, b2, a4, a5, b3.
    assert names(events) == {"a1", "a3", "a6", "b1", "b4"}
    assert removed["events over the cap"] == 5
    assert removed["attachments"] == 1
    assert not stored(files["a2"]) and stored(files["a1"])
    assert list(Attachment.objects.values_list("pk", flat=True)) == [files["a1"].pk]
    # Each issue's count goes down by the events it lost (3 and 2); both remain.
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.times_seen, b.times_seen) == (before[a.pk] - 3, before[b.pk] - 2)


def test_a_dry_run_changes_nothing(capped):
    project, *_ = capped
    assert retention.cap_project(project, dry_run=True)["events over the cap"] == 5
    assert Event.objects.count() == 10


def test_evicts_only_what_is_over_the_cap(capped):
    project, _, _, events, _ = capped
    project.max_stored_events = 8
    project.save()
    retention.cap_project(project)
    assert names(events) == set(events) - {"a2", "b2"}
    # Under the cap: nothing more.
    assert retention.cap_project(project) == {}


def test_without_a_cap_nothing_is_evicted(capped):
    project, *_ = capped
    project.max_stored_events = None
    project.save()
    retention.run()
    assert Event.objects.count() == 10
