"""tracker.search: the query syntax, parsed and applied to issues."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_issue, make_member, make_project
from tracker import search
from tracker.models import Handling, Issue, IssueTag, Level, Release, Team
from tracker.search import Term


def test_parse_terms_negation_and_quotes():
    parsed = search.parse('is:unresolved !level:info release:"my app 1.0" "two words" free')
    assert parsed.terms == [
        Term("is", "unresolved"),
        Term("level", "info", negated=True),
        Term("release", "my app 1.0"),
        Term("", "two words"),
        Term("", "free"),
    ]
    assert parsed.errors == []
    assert parsed.sets_status()


def test_parse_reports_empty_values():
    parsed = search.parse("level: boom")
    assert parsed.errors and parsed.terms == [Term("", "boom")]


def test_escaped_quote_inside_a_quoted_value():
    assert search.parse(r'message:"say \"hi\""').terms == [Term("message", 'say "hi"')]


NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def tag(issue, key, value):
    IssueTag.objects.create(issue=issue, key=key, value=value, times_seen=1, first_seen=NOW,
                            last_seen=NOW)


@pytest.fixture
def issues(project, user, org):
    release = Release.objects.create(organization=org, version="2.0")
    made = {
        "db": make_issue(project, "OperationalError: database is locked",
                         culprit="shop.db in connect", level=Level.ERROR, times_seen=120,
                         first_seen=NOW - timedelta(days=10), last_seen=NOW,
                         search_text="OperationalError: database is locked shop.db in connect "
                                     "open_pool"),
        "warn": make_issue(project, "Slow checkout", level=Level.WARNING, times_seen=3,
                           first_seen=NOW - timedelta(hours=2), last_seen=NOW,
                           handling=Handling.UNHANDLED, first_release=release),
        "crash": make_issue(project, "SIGSEGV", level=Level.FATAL, handling=Handling.CRASH,
                            status=Issue.Status.RESOLVED, first_seen=NOW - timedelta(days=3),
                            last_seen=NOW),
        "mine": make_issue(project, "KeyError: 'sku'", assignee=user, times_seen=7,
                           substatus=Issue.Substatus.REGRESSED, first_seen=NOW - timedelta(
                               days=30), last_seen=NOW),
    }
    tag(made["db"], "release", "2.0")
    tag(made["db"], "environment", "production")
    tag(made["db"], "user", "email:ann@example.com")
    tag(made["warn"], "environment", "staging")
    tag(made["warn"], "browser", "Firefox 120")
    tag(made["crash"], "release", "1.9")
    return made


def run(query, user, project):
    parsed = search.parse(query)
    q = search.to_filter(parsed, user, now=NOW)
    assert parsed.errors == [], parsed.errors
    titles = Issue.objects.filter(project=project).filter(q).values_list("title", flat=True)
    return sorted(titles)


@pytest.mark.parametrize(("query", "expected"), [
    ("is:unresolved", ["db", "mine", "warn"]),
    ("is:resolved", ["crash"]),
    ("is:regressed", ["mine"]),
    ("is:assigned", ["mine"]),
    ("is:unassigned", ["crash", "db", "warn"]),
    ("is:crash", ["crash"]),
    ("is:unhandled", ["crash", "warn"]),
    ("is:new", ["crash", "warn"]),
    ("level:warning", ["warn"]),
    ("level:[error,fatal]", ["crash", "db", "mine"]),
    ("!level:error", ["crash", "warn"]),
    ("release:2.0", ["db"]),
    ("!release:2.0", ["crash", "mine", "warn"]),
    ("first-release:2.0", ["warn"]),
    ("environment:production", ["db"]),
    ("environment:staging is:unhandled", ["warn"]),
    ("assigned:me", ["mine"]),
    ("assigned:alice@example.com", ["mine"]),
    ("times_seen:>100", ["db"]),
    ("times_seen:<=7", ["crash", "mine", "warn"]),
    ("age:-24h", ["warn"]),
    ("age:+7d", ["db", "mine"]),
    ("user.email:ann@example.com", ["db"]),
    ('browser:"Firefox 120"', ["warn"]),
    ("has:browser", ["warn"]),
    ("database", ["db"]),
    ("open_pool", ["db"]),
    ('"locked"', ["db"]),
    ("!checkout", ["crash", "db", "mine"]),
    ("SHOP-1", ["db"]),
])
def test_queries(issues, user, project, query, expected):
    names = {issue.title: name for name, issue in issues.items()}
    assert sorted(names[t] for t in run(query, user, project)) == expected


def test_assigned_me_includes_my_teams_without_duplicates(project, user, org):
    team = Team.objects.get(organization=org)  # alice is in her organization's team
    issue = make_issue(project, assignee_team=team)
    make_member(org)  # another member of the team does not duplicate rows
    team.members.add(*org.members.all())
    q = search.to_filter(search.parse("assigned:me"), user, now=NOW)
    assert list(Issue.objects.filter(q)) == [issue]


def test_unknown_terms_are_reported(user, db):
    parsed = search.parse("is:sleepy level:loud times_seen:lots age:yesterday")
    search.to_filter(parsed, user, now=NOW)
    assert len(parsed.errors) == 4


def test_other_projects_short_ids_do_not_match(issues, user, project):
    other = make_project(project.organization, slug="web")
    make_issue(other, "Unrelated")
    assert run("WEB-1", user, project) == []
