"""The issue list: filters, search, sort, keyset paging, htmx partials, bulk actions."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict
from django.urls import reverse

from tests.factories import make_issue, make_member, make_project
from tracker.models import Handling, Issue, IssueActivity, IssueHourlyCount, IssueTag, Level

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def url(project, **params):
    from urllib.parse import urlencode

    base = reverse("issues:project", args=[project.organization.slug, project.slug])
    return base + ("?" + urlencode(params) if params else "")


def shown(response) -> list[str]:
    return [issue.title for issue in response.context["issues"]]


def test_default_view_lists_unresolved_by_last_seen(signed_in, project):
    make_issue(project, "older", last_seen=NOW - timedelta(hours=2))
    make_issue(project, "newer", last_seen=NOW)
    make_issue(project, "done", status=Issue.Status.RESOLVED)
    response = signed_in.get(url(project))
    assert response.status_code == 200
    assert shown(response) == ["newer", "older"]
    assert response["Vary"] and "HX-Request" in response["Vary"]
    assert b'<html' in response.content


def test_filters_combine(signed_in, project):
    a = make_issue(project, "a", level=Level.WARNING, handling=Handling.CRASH)
    make_issue(project, "b", level=Level.WARNING)
    make_issue(project, "c", status=Issue.Status.IGNORED, level=Level.WARNING,
               handling=Handling.CRASH)
    IssueTag.objects.create(issue=a, key="environment", value="prod", first_seen=NOW,
                            last_seen=NOW)
    response = signed_in.get(url(project, level="warning", handling="crash", environment="prod"))
    assert shown(response) == ["a"]
    assert shown(signed_in.get(url(project, status="all", handling="crash"))) == ["c", "a"]
    assert shown(signed_in.get(url(project, status="ignored"))) == ["c"]


def test_search_with_status_overrides_the_status_filter(signed_in, project):
    make_issue(project, "fixed thing", status=Issue.Status.RESOLVED)
    make_issue(project, "open thing")
    assert shown(signed_in.get(url(project, query="is:resolved thing"))) == ["fixed thing"]
    assert shown(signed_in.get(url(project, query="thing"))) == ["open thing"]


def test_search_errors_are_shown(signed_in, project):
    response = signed_in.get(url(project, query="is:sleepy"))
    assert "is not something I can search" in response.content.decode()


@pytest.mark.parametrize(("sort", "field"), [
    ("events", "times_seen"), ("users", "users_seen"), ("first_seen", "first_seen"),
    ("priority", "priority"),
])
def test_sorts(signed_in, project, sort, field):
    for i in range(3):
        make_issue(project, f"i{i}", times_seen=i, users_seen=i, priority=25 * (i + 1),
                   first_seen=NOW - timedelta(hours=10 - i))
    assert shown(signed_in.get(url(project, sort=sort))) == ["i2", "i1", "i0"]


def test_keyset_pages_cover_everything_once(signed_in, project):
    # Ties on the sort column: the id decides, so nothing is skipped or repeated.
    for i in range(60):
        make_issue(project, f"issue {i}", last_seen=NOW - timedelta(minutes=i // 7))
    seen, params, pages = [], {}, 0
    while True:
        response = signed_in.get(url(project, **params))
        seen += shown(response)
        pages += 1
        nxt = response.context["next_query"]
        if not nxt:
            break
        params = QueryDict(nxt).dict()
    assert pages == 3
    assert len(seen) == len(set(seen)) == 60


def test_bad_cursor_is_ignored(signed_in, project):
    make_issue(project, "x")
    assert shown(signed_in.get(url(project, cursor="nonsense~1~2"))) == ["x"]


def test_htmx_gets_only_the_results_partial(signed_in, project):
    make_issue(project, "only one")
    response = signed_in.get(url(project), headers={"HX-Request": "true"})
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body and "only one" in body
    restore = signed_in.get(url(project), headers={"HX-Request": "true",
                                                   "HX-History-Restore-Request": "true"})
    assert b"<html" in restore.content


def test_rows_show_badges_counts_sparkline_assignee(signed_in, project, user):
    issue = make_issue(project, "ZeroDivisionError: division by zero", culprit="app.views in pay",
                       handling=Handling.UNHANDLED, times_seen=1500, users_seen=12,
                       assignee=user)
    # The current hour when the test runs (not at import): the sparkline ends there.
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    IssueHourlyCount.objects.create(issue=issue, hour=hour, count=7)
    IssueHourlyCount.objects.create(issue=issue, hour=hour - timedelta(hours=30), count=99)
    response = signed_in.get(url(project, period="24h"))
    body = response.content.decode()
    assert issue.qualified_short_id in body
    assert "app.views in pay" in body and "unhandled" in body
    assert "1.5k" in body and "alice" in body
    assert 'aria-label="7 events in 24 hours"' in body
    assert response.context["issues"][0].spark[-1] == 7


def test_org_list_spans_projects_and_filters_by_project(signed_in, project, org):
    other = make_project(org, "Web", slug="web")
    make_issue(project, "shop issue")
    make_issue(other, "web issue")
    base = reverse("issues:org", args=[org.slug])
    assert sorted(shown(signed_in.get(base))) == ["shop issue", "web issue"]
    assert shown(signed_in.get(base + "?project=web")) == ["web issue"]


def test_list_query_count_does_not_grow_with_rows(signed_in, project, django_assert_num_queries):
    def fill(n):
        for i in range(n):
            issue = make_issue(project, f"n{i}", assignee=project.organization.members.first().user)
            IssueHourlyCount.objects.create(issue=issue, hour=NOW.replace(minute=0, second=0),
                                            count=1)

    fill(2)
    signed_in.get(url(project))  # warm the session
    # session, user, membership, project, issues, count, sparklines, the rows'
    # environments, saved searches, environments, releases, members, teams, switcher
    # (its rows, and the ids of the projects the user sees)
    with django_assert_num_queries(15):
        signed_in.get(url(project, query="n level:error"))
    fill(30)
    with django_assert_num_queries(15):
        response = signed_in.get(url(project, query="n level:error"))
    assert len(response.context["issues"]) == 25


def test_bulk_resolve_without_js_redirects_back(signed_in, project):
    a, b, _ = (make_issue(project, t) for t in "abc")
    back = url(project, sort="events")
    response = signed_in.post(
        reverse("issues:actions", args=[project.organization.slug]),
        {"issue": [a.pk, b.pk], "action": "resolve", "next": back},
    )
    assert response.status_code == 303 and response["Location"] == back
    assert set(Issue.objects.filter(status="resolved").values_list("title", flat=True)) == {
        "a", "b"}
    assert IssueActivity.objects.filter(kind="resolved").count() == 2
    page = signed_in.get(back)
    assert "Resolved 2 issues." in page.content.decode()
    assert shown(page) == ["c"]


def test_bulk_actions_ignore_assign_merge(signed_in, project, org):
    a, b = make_issue(project, "a", times_seen=5), make_issue(project, "b")
    actions_url = reverse("issues:actions", args=[org.slug])
    signed_in.post(actions_url, {"issue": [a.pk, b.pk], "action": "ignore",
                                 "ignore": "events:100"})
    a.refresh_from_db()
    assert a.status == "ignored" and a.ignored_until_times_seen == 105
    bob = make_member(org).user
    signed_in.post(actions_url, {"issue": [a.pk], "action": "assign", "assign_to": bob.pk})
    a.refresh_from_db()
    assert a.assignee == bob
    signed_in.post(actions_url, {"issue": [a.pk, b.pk], "action": "merge"})
    b.refresh_from_db()
    assert b.status == "merged" and b.merged_into == a


def test_ignore_and_merge_wording(signed_in, project, org):
    a, b = make_issue(project, "a", times_seen=5), make_issue(project, "b")
    actions_url = reverse("issues:actions", args=[org.slug])
    detail = reverse("issues:detail", args=[org.slug, a.pk])
    signed_in.post(actions_url, {"issue": [a.pk], "action": "ignore", "ignore": "events:10"})
    page = signed_in.get(detail).content.decode()
    # The number chosen, not the count to reach (15), and "ignored" said once.
    assert "until 10 more events" in page
    assert "until 15" not in page
    assert page.lower().count("ignored until") == 0
    signed_in.post(actions_url, {"issue": [a.pk], "action": "ignore", "ignore": "forever"})
    page = signed_in.get(detail).content.decode()
    assert "forever" in page and "more events</span>" not in page
    back = url(project)
    signed_in.post(actions_url, {"issue": [a.pk, b.pk], "action": "merge", "next": back})
    page = signed_in.get(back).content.decode()
    assert f"Merged 1 issue into {a.qualified_short_id}." in page
    c, d = make_issue(project, "c", times_seen=9), make_issue(project, "d")
    signed_in.post(actions_url, {"issue": [a.pk, c.pk, d.pk], "action": "merge", "next": back})
    c.refresh_from_db()
    assert f"Merged 2 issues into {c.qualified_short_id}." in signed_in.get(back).content.decode()


def test_bulk_merge_error_is_a_message(signed_in, project, org):
    a = make_issue(project, "a")
    back = url(project)
    signed_in.post(reverse("issues:actions", args=[org.slug]),
                   {"issue": [a.pk], "action": "merge", "next": back})
    assert "Choose at least two issues to merge." in signed_in.get(back).content.decode()


def test_members_cannot_delete_but_owners_can(client, project, org):
    issue = make_issue(project)
    member = make_member(org).user
    client.force_login(member)
    actions_url = reverse("issues:actions", args=[org.slug])
    assert client.post(actions_url, {"issue": [issue.pk], "action": "delete"}).status_code == 403
    assert Issue.objects.filter(pk=issue.pk).exists()
    client.force_login(org.members.get(role="owner").user)
    assert client.post(actions_url, {"issue": [issue.pk], "action": "delete",
                                     "confirmed": "1"}).status_code == 303
    assert not Issue.objects.filter(pk=issue.pk).exists()


@pytest.mark.parametrize("action", ["delete", "discard"])
def test_without_javascript_deleting_asks_first(signed_in, project, org, action):
    """The form posts straight to the action without JavaScript: the first post only asks,
    and the page it answers with carries the confirmation."""
    issue = make_issue(project, "Checkout <failed>")
    actions_url = reverse("issues:actions", args=[org.slug])
    back = url(project, level="error")
    response = signed_in.post(actions_url, {"issue": [issue.pk], "action": action,
                                            "next": back})
    assert response.status_code == 200
    assert Issue.objects.filter(pk=issue.pk).exists()
    body = response.content.decode()
    assert "Checkout &lt;failed&gt;" in body
    assert 'name="confirmed" value="1"' in body and f'value="{action}"' in body
    assert f'href="{back.replace("&", "&amp;")}"' in body  # Cancel goes back to the list
    response = signed_in.post(actions_url, {"issue": [issue.pk], "action": action,
                                            "next": back, "confirmed": "1"})
    assert response.status_code == 303 and response["Location"] == back
    assert not Issue.objects.filter(pk=issue.pk).exists()


def test_next_must_stay_on_this_site(signed_in, project, org):
    issue = make_issue(project)
    response = signed_in.post(reverse("issues:actions", args=[org.slug]), {
        "issue": [issue.pk], "action": "resolve", "next": "https://evil.example/",
    })
    assert response["Location"] == reverse("issues:org", args=[org.slug])


def test_home_redirects_to_the_projects_overview(signed_in, project):
    response = signed_in.get("/")
    overview = reverse("org-projects", args=[project.organization.slug])
    assert response.status_code == 302 and response["Location"] == overview


def test_switcher_lists_my_projects_only(signed_in, project):
    make_project(name="Secret")  # another organization
    body = signed_in.get(url(project)).content.decode()
    assert "Shop" in body and "Secret" not in body


def test_saved_searches_are_scoped_and_their_deletion_is_checked(client, project, user):
    from tracker.models import SavedSearch

    bob = make_member(project.organization).user
    outsider = make_member(make_project().organization).user
    mine = SavedSearch.objects.create(organization=project.organization, project=project,
                                      owner=user, name="Mine", query="level=error")
    shared = SavedSearch.objects.create(organization=project.organization, project=project,
                                        owner=user, name="Ours", query="",
                                        visibility=SavedSearch.Visibility.ORGANIZATION)
    delete = reverse("issues:search-delete", args=["acme", mine.pk])
    make_issue(project, "so the list is a list, not onboarding")
    client.force_login(bob)
    listed = client.get(url(project)).context["saved_searches"]
    assert listed == [shared]
    # Someone else's personal search is not there; a shared one is not theirs to delete.
    assert client.post(delete, {"confirmed": "1"}).status_code == 404
    client.post(reverse("issues:search-delete", args=["acme", shared.pk]), {"confirmed": "1"})
    assert SavedSearch.objects.count() == 2
    client.force_login(outsider)
    assert client.post(delete, {"confirmed": "1"}).status_code == 404
    create = reverse("issues:search-create", args=["acme"])
    assert client.post(create, {"name": "x", "project_slug": "shop"}).status_code == 404
    client.force_login(user)
    response = client.post(create, {"name": " ", "list_query": "level=error&page=3"})
    assert response.status_code == 303 and SavedSearch.objects.count() == 2
    client.post(create, {"name": "Org wide", "list_query": "level=error&cursor=x&page=3"})
    assert SavedSearch.objects.get(name="Org wide").query == "level=error"
    assert SavedSearch.objects.get(name="Org wide").project is None
