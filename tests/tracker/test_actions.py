"""tracker.actions: every state change, and the activity row it leaves."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_event, make_issue, make_member, make_project, make_user
from tracker import actions
from tracker.models import (
    DiscardedFingerprint,
    Event,
    Issue,
    IssueActivity,
    IssueHash,
    IssueHourlyCount,
    IssueTag,
    Release,
    Team,
)

Kind = IssueActivity.Kind
HOUR = datetime(2026, 11, 20, 10, tzinfo=UTC)


def kinds(issue):
    return list(IssueActivity.objects.filter(issue=issue).order_by("pk").values_list("kind",
                                                                                      flat=True))


def fresh(issue):
    issue.refresh_from_db()
    return issue


def test_resolve_writes_one_activity_even_when_repeated(project, user):
    issue = make_issue(project)
    assert actions.resolve([issue], user) == [issue.pk]
    assert actions.resolve([issue], user) == []
    issue = fresh(issue)
    assert issue.status == Issue.Status.RESOLVED
    assert issue.resolved_at is not None
    assert kinds(issue) == [Kind.RESOLVED]


def test_bulk_resolve_changes_only_unresolved_ones(project, user):
    a, b = make_issue(project), make_issue(project)
    actions.resolve([a], user)
    assert actions.resolve([a, b], user) == [b.pk]
    assert Issue.objects.filter(status=Issue.Status.RESOLVED).count() == 2


def test_resolve_in_next_release_pins_the_latest_release(project, user):
    old = Release.objects.create(organization=project.organization, version="1.0")
    new = Release.objects.create(organization=project.organization, version="1.1")
    old.projects.add(project)
    new.projects.add(project)
    other = Release.objects.create(organization=project.organization, version="9.9")
    assert other.projects.count() == 0  # another project's release does not count
    issue = make_issue(project)
    actions.resolve_in_next_release([issue], user)
    issue = fresh(issue)
    assert issue.status == Issue.Status.RESOLVED
    assert issue.resolved_in_release == new
    assert issue.resolved_in_next_release
    activity = IssueActivity.objects.get(issue=issue)
    assert activity.kind == Kind.RESOLVED_IN_RELEASE
    assert activity.data == {"version": "1.1", "next": True}


def test_resolve_in_next_release_without_releases_is_a_plain_resolve(project, user):
    issue = make_issue(project)
    actions.resolve_in_next_release([issue], user)
    assert fresh(issue).resolved_in_release is None
    assert kinds(issue) == [Kind.RESOLVED]


def test_unresolve_reopens_resolved_and_ignored(project, user):
    a, b, c = make_issue(project), make_issue(project), make_issue(project)
    actions.resolve([a], user)
    actions.ignore([b], user)
    assert sorted(actions.unresolve([a, b, c], user)) == sorted([a.pk, b.pk])
    assert fresh(a).status == fresh(b).status == Issue.Status.UNRESOLVED
    assert kinds(a) == [Kind.RESOLVED, Kind.UNRESOLVED]
    assert kinds(b) == [Kind.IGNORED, Kind.UNIGNORED]
    assert kinds(c) == []


def test_ignore_forever(project, user):
    issue = make_issue(project)
    actions.ignore([issue], user)
    issue = fresh(issue)
    assert (issue.status, issue.substatus) == (Issue.Status.IGNORED,
                                               Issue.Substatus.IGNORED_FOREVER)
    assert issue.ignored_until is None and issue.ignored_until_times_seen is None


def test_ignore_for_a_duration(project, user):
    issue = make_issue(project)
    before = datetime.now(UTC)
    actions.ignore([issue], user, duration=timedelta(hours=2))
    issue = fresh(issue)
    assert issue.substatus == Issue.Substatus.IGNORED_UNTIL
    assert before + timedelta(hours=2) <= issue.ignored_until <= datetime.now(UTC) + timedelta(
        hours=2)
    assert IssueActivity.objects.get(issue=issue).data["minutes"] == 120


def test_ignore_until_more_events_counts_from_each_issue(project, user):
    a = make_issue(project, times_seen=5)
    b = make_issue(project, times_seen=40)
    actions.ignore([a, b], user, more_events=10)
    assert fresh(a).ignored_until_times_seen == 15
    assert fresh(b).ignored_until_times_seen == 50


def test_ignore_rejects_zero_events(project, user):
    with pytest.raises(actions.ActionError):
        actions.ignore([make_issue(project)], user, more_events=0)


def test_assign_to_member_team_and_nobody(project, user, org):
    issue = make_issue(project)
    bob = make_member(org).user
    actions.assign([issue], user, assignee=bob)
    assert fresh(issue).assignee == bob
    team = Team.objects.get(organization=org)
    actions.assign([issue], user, team=team)
    issue = fresh(issue)
    assert issue.assignee is None and issue.assignee_team == team
    actions.assign([issue], user)
    assert fresh(issue).assignee_team is None
    assert kinds(issue) == [Kind.ASSIGNED, Kind.ASSIGNED, Kind.UNASSIGNED]


def test_assign_refuses_outsiders(project, user):
    issue = make_issue(project)
    with pytest.raises(actions.ActionError):
        actions.assign([issue], user, assignee=make_user())
    foreign_team = Team.objects.create(
        organization=make_project().organization, name="x", slug="x"
    )
    with pytest.raises(actions.ActionError):
        actions.assign([issue], user, team=foreign_team)
    assert fresh(issue).assignee is None


def test_comment(project, user):
    issue = make_issue(project)
    actions.comment(issue, user, "  looking into it  ")
    assert IssueActivity.objects.get(issue=issue).data == {"text": "looking into it"}
    with pytest.raises(actions.ActionError):
        actions.comment(issue, user, "   ")


def _with_history(project, hashes, times_seen, tags):
    issue = make_issue(project, times_seen=times_seen, users_seen=1)
    for h in hashes:
        IssueHash.objects.create(project=project, hash=h, issue=issue)
    IssueHourlyCount.objects.create(issue=issue, hour=HOUR, count=times_seen)
    for key, value in tags:
        IssueTag.objects.create(issue=issue, key=key, value=value, times_seen=times_seen,
                                first_seen=HOUR, last_seen=HOUR)
    make_event(issue)
    return issue


def test_merge_moves_hashes_and_adds_counts(project, user):
    big = _with_history(project, ["a" * 32], 10, [("browser", "Firefox")])
    small = _with_history(project, ["b" * 32, "c" * 32], 3,
                          [("browser", "Firefox"), ("os", "Linux")])
    target = actions.merge([small, big], user)
    assert target == big  # the one with most events stays
    small, big = fresh(small), fresh(big)
    assert small.status == Issue.Status.MERGED and small.merged_into == big
    assert big.times_seen == 13 and big.users_seen == 2
    assert set(IssueHash.objects.filter(issue=big).values_list("hash", flat=True)) == {
        "a" * 32, "b" * 32, "c" * 32}
    assert IssueHourlyCount.objects.get(issue=big, hour=HOUR).count == 13
    assert dict(IssueTag.objects.filter(issue=big).values_list("value", "times_seen")) == {
        "Firefox": 13, "Linux": 3}
    assert actions.merged_family(big.pk) == [big.pk, small.pk]
    assert kinds(big) == [Kind.MERGED] and kinds(small) == [Kind.MERGED]


def test_unmerge_restores_the_source(project, user):
    big = _with_history(project, ["a" * 32], 10, [("browser", "Firefox")])
    small = _with_history(project, ["b" * 32], 3, [("os", "Linux")])
    actions.merge([big, small], user)
    actions.unmerge(fresh(small), user)
    small, big = fresh(small), fresh(big)
    assert small.status == Issue.Status.UNRESOLVED and small.merged_into is None
    assert big.times_seen == 10 and big.users_seen == 1
    assert IssueHash.objects.get(hash="b" * 32).issue == small
    assert IssueHourlyCount.objects.get(issue=big, hour=HOUR).count == 10
    assert list(IssueTag.objects.filter(issue=big).values_list("key", flat=True)) == ["browser"]
    assert kinds(small) == [Kind.MERGED, Kind.UNMERGED]
    with pytest.raises(actions.ActionError):
        actions.unmerge(small, user)


def test_merge_needs_two_issues_of_one_project(project, user):
    a = make_issue(project)
    with pytest.raises(actions.ActionError):
        actions.merge([a], user)
    with pytest.raises(actions.ActionError):
        actions.merge([a, make_issue(make_project(project.organization))], user)


def test_merged_issues_are_left_alone_by_status_actions(project, user):
    a, b = make_issue(project, times_seen=2), make_issue(project)
    actions.merge([a, b], user)
    assert actions.resolve([b], user) == []
    assert fresh(b).status == Issue.Status.MERGED


def test_delete_takes_merged_issues_and_events_along(project, user):
    a, b = make_issue(project, times_seen=2), make_issue(project)
    make_event(a)
    make_event(b)
    IssueHash.objects.create(project=project, hash="d" * 32, issue=a)
    actions.merge([a, b], user)
    actions.delete([a], user)
    assert not Issue.objects.exists()
    assert not Event.objects.exists()
    assert not IssueHash.objects.exists()


def test_delete_and_discard_leaves_a_discarded_fingerprint(project, user):
    issue = _with_history(project, ["e" * 32], 4, [])
    actions.delete_and_discard([issue], user)
    assert not Issue.objects.filter(pk=issue.pk).exists()
    fingerprint = DiscardedFingerprint.objects.get(project=project)
    assert fingerprint.previous_issue_id == issue.pk
    row = IssueHash.objects.get(hash="e" * 32)
    assert row.issue is None and row.discarded == fingerprint
