"""The issue page: summary, chart, tags, activity, the event with its stack trace, and escaping.

Events go in through the real ingest endpoint and pipeline, so the page renders what the
pipeline really stores.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from tests.factories import make_issue, make_member
from tests.ingest.helpers import digest_all, event_envelope, post
from tracker import actions
from tracker.models import Attachment, Event, Issue, IssueActivity, IssueHourlyCount

XSS = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'


def frame(function, lineno, in_app, context, variables=None):
    return {
        "filename": f"shop/{function}.py" if in_app else "lib/site.py", "function": function,
        "module": "shop" if in_app else "site", "lineno": lineno, "in_app": in_app,
        "pre_context": ["def before():", "    pass"], "context_line": context,
        "post_context": ["# after"], "vars": variables or {},
    }


def python_event(**extra) -> dict:
    """What sentry-python sends for `raise ValueError(...) from KeyError(...)`."""
    return {
        "platform": "python", "level": "error", "release": "shop@1.2.0",
        "environment": "production",
        "exception": {"values": [
            {"type": "KeyError", "value": "'sku'", "mechanism": {"type": "generic",
                                                                 "handled": True},
             "stacktrace": {"frames": [frame("lookup", 13, True, "    return cart['sku']",
                                             {"cart": {"items": []}})]}},
            {"type": "ValueError", "value": "bad cart", "mechanism": {"type": "generic",
                                                                      "handled": True},
             "stacktrace": {"frames": [
                 frame("dispatch", 80, False, "    return handler(request)"),
                 frame("checkout", 42, True, "    raise ValueError('bad cart') from e",
                       {"total": 3}),
             ]}},
        ]},
        "breadcrumbs": {"values": [{"category": "http", "message": "GET /cart",
                                    "level": "info", "timestamp": 1795292277.5}]},
        "request": {"method": "POST", "url": "https://shop.example/checkout",
                    "headers": {"User-Agent": "Firefox"}},
        "user": {"id": "7", "email": "ann@example.com"},
        "contexts": {"os": {"name": "Linux", "version": "6.1"}},
        "tags": {"customer": "acme"},
        **extra,
    }


def send(client, project, event, attachments=()):
    response = post(client, project, event_envelope(event, attachments=list(attachments)))
    assert response.status_code == 200, response.content
    digest_all()


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def detail_url(issue):
    return reverse("issues:detail", args=[issue.project.organization.slug, issue.pk])


def test_detail_shows_summary_chart_tags_and_event(signed_in, project):
    for _ in range(3):
        send(signed_in, project, python_event())
    send(signed_in, project, python_event(environment="staging"))
    issue = Issue.objects.get()
    response = signed_in.get(detail_url(issue))
    assert response.status_code == 200
    body = response.content.decode()
    assert issue.title in body and issue.qualified_short_id in body
    assert "shop@1.2.0" in body  # first and last release
    tags = {t["key"]: t for t in response.context["tags"]}
    assert tags["environment"]["values"][0] == {"value": "production", "count": 3,
                                                "percent": 75}
    assert tags["environment"]["values"][1]["percent"] == 25
    assert sum(count for _, count in response.context["days"]) == 4
    assert response.context["event"] == Event.objects.order_by("-timestamp", "-pk").first()


def test_event_renders_chain_cause_first_with_frames_and_source(signed_in, project):
    send(signed_in, project, python_event())
    page = signed_in.get(detail_url(Issue.objects.get())).content.decode()
    body = page[page.index('id="event"'):]
    # The cause (stored first) comes first, then the exception it led to.
    assert body.index("KeyError") < body.index("direct cause") < body.index("bad cart")
    # In-app frames open, system frames collapsed.
    assert '<details class="frame in-app" open>' in body
    assert '<details class="frame system">' in body
    # Source context with the erroring line highlighted and its number.
    assert '<li class="current"><span class="ln">42</span>' in body
    assert "GET /cart" in body and "https://shop.example/checkout" in body
    assert "ann@example.com" in body and "Linux" in body and "customer" in body
    assert "Raw JSON" in body


def test_event_navigation_and_event_list(signed_in, project):
    for minutes in (3, 2, 1):
        send(signed_in, project, python_event(
            timestamp=(datetime.now(UTC) - timedelta(minutes=minutes)).timestamp()))
    issue = Issue.objects.get()
    oldest, middle, newest = Event.objects.order_by("timestamp")
    org = project.organization.slug
    response = signed_in.get(reverse("issues:event", args=[org, issue.pk, middle.event_id.hex]))
    assert response.context["older"] == oldest.event_id.hex
    assert response.context["newer"] == newest.event_id.hex
    response = signed_in.get(reverse("issues:event", args=[org, issue.pk, "oldest"]),
                             headers={"HX-Request": "true"})
    assert response.context["event"] == oldest and response.context["older"] is None
    assert response.content.decode().lstrip().startswith('<section id="event"')
    listing = signed_in.get(reverse("issues:events", args=[org, issue.pk]))
    assert [e.pk for e in listing.context["recent_events"]] == [newest.pk, middle.pk, oldest.pk]
    raw = signed_in.get(reverse("issues:event_json", args=[org, issue.pk, newest.event_id.hex]))
    assert raw["Content-Type"] == "application/json"
    assert raw.json()["release"] == "shop@1.2.0"
    bad = signed_in.get(reverse("issues:event", args=[org, issue.pk, "not-a-uuid"]))
    assert bad.status_code == 404


def test_merged_issue_pages_include_the_sources_events(signed_in, project, user):
    send(signed_in, project, python_event())
    send(signed_in, project, {"message": "something else", "level": "warning"})
    first, second = Issue.objects.order_by("pk")
    target = actions.merge([first, second], user)
    response = signed_in.get(detail_url(target))
    assert len(response.context["recent_events"]) == 2
    source = Issue.objects.get(status="merged")
    body = signed_in.get(detail_url(source)).content.decode()
    assert "This issue was merged into" in body and "Unmerge" in body
    url = reverse("issues:unmerge", args=[project.organization.slug, source.pk])
    # Unmerging asks first: a post without the confirmation changes nothing.
    asks = signed_in.post(url)
    assert asks.status_code == 200 and b"Split " in asks.content
    source.refresh_from_db()
    assert source.status == Issue.Status.MERGED
    signed_in.post(url, {"confirmed": "1"})
    source.refresh_from_db()
    assert source.status == Issue.Status.UNRESOLVED


def test_comment_and_activity(signed_in, project, user):
    issue = make_issue(project)
    actions.resolve([issue], user)
    signed_in.post(reverse("issues:comment", args=[project.organization.slug, issue.pk]),
                   {"text": "Fixed by **#42**"})
    body = signed_in.get(detail_url(issue)).content.decode()
    assert "resolved the issue" in body and "Fixed by **#42**" in body
    assert IssueActivity.objects.filter(issue=issue, kind="comment").count() == 1


def test_single_actions_from_the_detail_page(signed_in, project, org):
    issue = make_issue(project)
    back = detail_url(issue)
    actions_url = reverse("issues:actions", args=[org.slug])
    signed_in.post(actions_url, {"issue": issue.pk, "action": "resolve", "next": back})
    issue.refresh_from_db()
    assert issue.status == "resolved"
    response = signed_in.post(actions_url, {"issue": issue.pk, "action": "delete",
                                            "confirmed": "1", "next": back})
    assert response["Location"] == reverse("issues:project", args=[org.slug, project.slug])


def test_detail_query_count_does_not_grow(signed_in, project, django_assert_num_queries):
    send(signed_in, project, python_event())
    issue = Issue.objects.get()
    signed_in.get(detail_url(issue))
    # session, user, membership, issue, family, days, tags, activity, members, teams,
    # latest event, recent events, older, newer, attachments, switcher (rows, visible ids),
    # the releases to resolve in, and for suspect commits the releases before the first and
    # which of them have commits
    with django_assert_num_queries(20):
        signed_in.get(detail_url(issue))
    for _ in range(5):
        send(signed_in, project, python_event(tags={"customer": "other", "plan": "pro"}))
    actions.comment(issue, make_member(project.organization).user, "hi")
    with django_assert_num_queries(20):
        signed_in.get(detail_url(issue))


def test_event_content_is_inert(signed_in, project):
    send(signed_in, project, python_event(
        message=XSS, tags={"customer": IMG, XSS: "key"},
        exception={"values": [{
            "type": "ValueError", "value": IMG,
            "stacktrace": {"frames": [frame("pay", 1, True, XSS, {"payload": XSS, "x": IMG})]},
        }]},
        breadcrumbs={"values": [{"message": XSS, "category": IMG}]},
        user={"email": IMG}, request={"url": "javascript:alert(1)", "headers": {"X": XSS}},
    ), attachments=[("evil.txt", XSS.encode(), "event.attachment")])
    issue = Issue.objects.get()
    pages = [
        signed_in.get(detail_url(issue)),
        signed_in.get(reverse("issues:project", args=[project.organization.slug,
                                                       project.slug])),
        signed_in.get(reverse("issues:attachment_view", args=[
            project.organization.slug, Attachment.objects.get().pk])),
    ]
    for response in pages:
        body = response.content.decode()
        assert response.status_code == 200
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert 'href="javascript:' not in body
    body = pages[0].content.decode()
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "&lt;img src=x onerror=" in body


def test_attachments_download_and_inline_view(signed_in, project):
    send(signed_in, project, python_event(), attachments=[
        ("notes.json", b'{"a": [1, 2]}', "event.attachment"),
        ("dump.bin", b"\x00\x01", "event.attachment"),
    ])
    org = project.organization.slug
    notes = Attachment.objects.get(name="notes.json")
    binary = Attachment.objects.get(name="dump.bin")
    body = signed_in.get(detail_url(Issue.objects.get())).content.decode()
    assert "notes.json" in body and "dump.bin" in body
    download = signed_in.get(reverse("issues:attachment", args=[org, notes.pk]))
    assert download["Content-Type"] == "application/octet-stream"
    assert "attachment" in download["Content-Disposition"]
    assert b"".join(download.streaming_content) == b'{"a": [1, 2]}'
    view = signed_in.get(reverse("issues:attachment_view", args=[org, notes.pk]))
    assert "&quot;a&quot;: [\n    1," in view.content.decode()
    assert signed_in.get(reverse("issues:attachment_view", args=[org, binary.pk])
                         ).status_code == 404


def test_hourly_counts_older_than_two_weeks_are_left_out(signed_in, project):
    issue = make_issue(project)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    IssueHourlyCount.objects.create(issue=issue, hour=now, count=4)
    IssueHourlyCount.objects.create(issue=issue, hour=now - timedelta(days=20), count=50)
    days = signed_in.get(detail_url(issue)).context["days"]
    assert len(days) == 14 and days[-1][1] == 4 and sum(c for _, c in days) == 4


def group_event(**extra) -> dict:
    """What sentry-python sends for an ExceptionGroup of a ValueError (raised from a KeyError)
    and a TypeError: flattened oldest first, linked by the mechanism's ids."""
    def exc(type_, value, exception_id, parent_id=None, source="", **mechanism):
        return {"type": type_, "value": value, "mechanism": {
            "type": "chained" if parent_id is not None else "generic", "handled": True,
            "exception_id": exception_id, **({"parent_id": parent_id} if parent_id is not None
                                             else {}),
            **({"source": source} if source else {}), **mechanism},
            "stacktrace": {"frames": [frame(type_.lower(), exception_id + 10, True,
                                            f"    raise {type_}()")]}}
    return {
        "platform": "python", "level": "error",
        "exception": {"values": [
            exc("TypeError", "order <17> has no items", 3, 0, "exceptions[1]"),
            exc("KeyError", "'email'", 2, 1, "__cause__"),
            exc("ValueError", "order <17> has no email", 1, 0, "exceptions[0]"),
            exc("ExceptionGroup", "invalid order (2 sub-exceptions)", 0,
                is_exception_group=True),
        ]},
        **extra,
    }


def test_exception_group_renders_its_members_under_it(signed_in, project):
    send(signed_in, project, group_event())
    page = signed_in.get(detail_url(Issue.objects.get())).content.decode()
    body = page[page.index('id="event"'):page.index("Raw JSON")]
    # Not a cause chain: the group first, its members listed under it, in the group's order.
    assert "direct cause" not in body
    assert "Exception group" in body and "exception group · 2 exceptions" in body
    group = body.index("ExceptionGroup")
    members = body.index('<ol class="group-members">')
    value_error, type_error = body.index("ValueError"), body.index("TypeError")
    assert group < members < value_error < type_error
    # The ValueError's own cause hangs under it, not in the group.
    key_error = body.index("KeyError")
    assert value_error < body.index("Caused by:") < key_error < type_error
    # Members' values are text.
    assert "order &lt;17&gt; has no email" in body and "order &lt;17&gt; has no items" in body
    assert "<17>" not in body


def test_a_broken_group_tree_is_shown_as_sent(signed_in, project):
    event = group_event()
    event["exception"]["values"][0]["mechanism"]["parent_id"] = 99  # no such exception
    send(signed_in, project, event)
    page = signed_in.get(detail_url(Issue.objects.get())).content.decode()
    body = page[page.index('id="event"'):page.index("Raw JSON")]
    assert "group-members" not in body
    assert body.index("TypeError") < body.index("KeyError") < body.index("ExceptionGroup")


def test_extra_is_shown_as_additional_data(signed_in, project):
    send(signed_in, project, python_event(extra={
        "order": {"id": 17, "items": [IMG]}, "customer_note": XSS}))
    page = signed_in.get(detail_url(Issue.objects.get())).content.decode()
    body = page[page.index('id="event"'):page.index("Raw JSON")]
    card = body[body.index("Additional data"):]
    # Plain values share a card; a structured one gets its own card under its key.
    assert "<th>customer_note</th>" in card and "<h4>order</h4>" in card
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in card
    assert "<th>id</th><td>17</td>" in card and "&lt;img src=x onerror=" in card
    assert "<script>alert" not in page and "<img src=x" not in page
