"""The issue page's tools: stack trace views (app frames, order, raw text), data cards, the
issues merged into this one, similar issues, release links and the recent events table."""

import pytest
from django.urls import reverse

from tests.factories import make_issue, make_org, make_project, make_user
from tests.tracker.test_issues_detail import XSS, detail_url, frame, python_event, send
from tracker import actions
from tracker.models import Event, Issue
from tracker.similar import similar_issues


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def event_part(client, url):
    page = client.get(url).content.decode()
    return page[page.index('id="event"'):page.index("Raw JSON")]


def test_app_frames_only_and_newest_first(signed_in, project):
    send(signed_in, project, python_event())
    url = detail_url(Issue.objects.get())
    full = event_part(signed_in, url)
    assert "lib/site.py" in full and "hidden" not in full
    app = event_part(signed_in, url + "?frames=app")
    assert "lib/site.py" not in app and "1 system frame hidden." in app
    # Oldest first: the cause (KeyError) leads; newest first: the last raised leads, and
    # each exception's frames are reversed.
    oldest = event_part(signed_in, url)
    assert oldest.index("KeyError") < oldest.index("ValueError")
    assert oldest.index("dispatch") < oldest.index("shop/checkout.py")
    newest = event_part(signed_in, url + "?order=newest")
    assert newest.index("ValueError") < newest.index("KeyError")
    assert newest.index("shop/checkout.py") < newest.index("dispatch")
    assert "The above exception was caused by:" in newest


def test_raw_text_is_a_pasteable_traceback_and_escaped(signed_in, project):
    event = python_event()
    event["exception"]["values"][1]["value"] = XSS
    send(signed_in, project, event)
    url = detail_url(Issue.objects.get())
    raw = event_part(signed_in, url + "?view=raw")
    start = raw.index('<pre id="raw-trace"')
    text = raw[start:raw.index("</pre>", start)]
    assert 'File &quot;shop/checkout.py&quot;, line 42, in checkout' in text
    assert "raise ValueError(&#x27;bad cart&#x27;) from e" in text
    assert "Traceback (most recent call last):" in text
    assert "The above exception was the direct cause of the following exception:" in text
    assert "ValueError: &lt;script&gt;" in text and "<script>alert" not in raw
    # The controls keep the other choices: switching to app frames stays in raw text.
    assert "?frames=app&amp;view=raw" in raw


def test_controls_travel_with_event_navigation(signed_in, project):
    send(signed_in, project, python_event())
    send(signed_in, project, python_event())
    issue = Issue.objects.get()
    page = signed_in.get(detail_url(issue) + "?frames=app&order=newest").content.decode()
    older = Event.objects.order_by("timestamp", "pk").first().event_id.hex
    assert f"/events/{older}/?frames=app&amp;order=newest" in page


def test_recent_events_mark_the_event_shown_after_an_htmx_swap(signed_in, project):
    send(signed_in, project, python_event())
    send(signed_in, project, python_event())
    issue = Issue.objects.get()
    oldest = Event.objects.order_by("timestamp", "pk").first()
    url = reverse("issues:event", args=[project.organization.slug, issue.pk,
                                        oldest.event_id.hex])
    swap = signed_in.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="event"' in swap
    recent = swap[swap.index('id="recent-events"'):]
    assert 'hx-swap-oob="true"' in swap[swap.index('<section class="card recent-events"'):]
    marked = [line for line in recent.splitlines() if 'aria-current="true"' in line]
    assert len(marked) == 1 and oldest.event_id.hex in marked[0]


def test_contexts_are_cards_with_a_summary(signed_in, project):
    send(signed_in, project, python_event(contexts={
        "runtime": {"name": "CPython", "version": "3.12.1", "type": "runtime"},
        "trace": {"trace_id": "ab" * 16, "span_id": "cd" * 8}}))
    part = event_part(signed_in, detail_url(Issue.objects.get()))
    cards = part[part.index('class="data-cards contexts"'):]
    assert '<h4>runtime <span class="muted">CPython 3.12.1</span></h4>' in cards
    assert "<h4>trace</h4>" in cards and "<th>trace_id</th>" in cards
    assert "{#" not in part and "#}" not in part  # template comments stay comments


def test_merged_issues_are_listed_with_unmerge_that_asks(signed_in, project, user):
    send(signed_in, project, python_event())
    send(signed_in, project, {"message": "something else", "level": "warning"})
    target = actions.merge(list(Issue.objects.all()), user)
    source = Issue.objects.get(status="merged")
    page = signed_in.get(detail_url(target)).content.decode()
    card = page[page.index('id="merged-issues"'):]
    assert source.qualified_short_id in card and "Unmerge…" in card
    url = reverse("issues:unmerge", args=[project.organization.slug, source.pk])
    assert f'action="{url}"' in card
    signed_in.post(url, {"next": detail_url(target)})
    assert Issue.objects.get(pk=source.pk).status == "merged"
    done = signed_in.post(url, {"next": detail_url(target), "confirmed": "1"})
    assert done.status_code == 303 and done["Location"] == detail_url(target)
    assert Issue.objects.get(pk=source.pk).status == "unresolved"
    assert 'id="merged-issues"' not in signed_in.get(detail_url(target)).content.decode()


def alike(project, value, times_seen=1, function="checkout", type_="ValueError", **kw):
    return make_issue(project, title=f"{type_}: {value}", times_seen=times_seen, data={
        "metadata": {"type": type_, "value": value, "function": function,
                     "filename": "shop/checkout.py"}}, **kw)


def test_similar_issues_same_type_and_frame_ranked(project):
    issue = alike(project, "bad cart")
    same_message = alike(project, "bad cart", times_seen=2)
    frequent = alike(project, "other", times_seen=50)
    rare = alike(project, "third", times_seen=3)
    alike(project, "bad cart", function="pay")  # another frame
    alike(project, "bad cart", type_="KeyError")  # another type
    merged = alike(project, "bad cart", times_seen=9)
    Issue.objects.filter(pk=merged.pk).update(status="merged", merged_into=frequent)
    elsewhere = make_project(project.organization, "Other", slug="other")
    alike(elsewhere, "bad cart")
    found = [s.issue.pk for s in similar_issues(issue)]
    assert found == [same_message.pk, frequent.pk, rare.pk]
    assert similar_issues(make_issue(project, data={})) == []


def test_similar_card_merges_on_confirmation_and_is_scoped(signed_in, project, org):
    issue = alike(project, "bad cart", times_seen=5)
    other = alike(project, "bad cart")
    url = reverse("issues:similar", args=[org.slug, issue.pk])
    page = signed_in.get(detail_url(issue)).content.decode()
    assert f'hx-get="{url}"' in page
    card = signed_in.get(url).content.decode()
    assert other.qualified_short_id in card and "Merge…" in card
    assert 'name="action" value="merge"' in card
    stranger_org = make_org("Evil", owner=make_user("mallory"))
    assert signed_in.get(reverse("issues:similar", args=[stranger_org.slug, issue.pk])
                         ).status_code == 404
    foreign = make_issue(make_project(stranger_org, "X", slug="x"))
    assert signed_in.get(reverse("issues:similar", args=[org.slug, foreign.pk])
                         ).status_code == 404


def test_release_links_filter_the_list_by_release(signed_in, project):
    send(signed_in, project, python_event())
    issue = Issue.objects.get()
    page = signed_in.get(detail_url(issue)).content.decode()
    link = reverse("issues:project", args=[project.organization.slug, project.slug])
    assert f'href="{link}?status=all&amp;release=shop%401.2.0"' in page
    listed = signed_in.get(f"{link}?status=all&release=shop%401.2.0").content.decode()
    assert issue.title in listed


def test_short_id_and_permalink_are_copyable(signed_in, project):
    issue = make_issue(project)
    page = signed_in.get(detail_url(issue)).content.decode()
    assert f'data-copy="{issue.qualified_short_id}"' in page
    assert f'data-copy-url="{detail_url(issue)}"' in page
    assert "js/issue.js" in page and "<script>" not in page and " onclick=" not in page


def test_thread_frames_follow_the_controls(signed_in, project):
    send(signed_in, project, {"platform": "native", "level": "fatal", "threads": {"values": [
        {"id": 1, "crashed": True, "stacktrace": {"frames": [
            frame("main", 3, False, "start()"), frame("crash", 9, True, "*p = 0;")]}}]}})
    part = event_part(signed_in, detail_url(Issue.objects.get()) + "?frames=app")
    assert "lib/site.py" not in part and "shop/crash.py" in part
