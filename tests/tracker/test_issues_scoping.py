"""A member of one organization can neither see nor change another's issues, events or
attachments, whatever ids they guess: every such URL answers 404, every action is a no-op."""

import uuid

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from tests.factories import make_event, make_issue, make_org, make_project, make_user
from tracker.models import Attachment, Issue, IssueActivity


@pytest.fixture
def theirs(db):
    """Organization B with an issue, an event and an attachment."""
    org = make_org("Beta", owner=make_user("bea"))
    project = make_project(org, "Secret", slug="secret")
    issue = make_issue(project, "B's secret issue")
    event = make_event(issue, data={"message": "B's secret event"})
    attachment = Attachment.objects.create(
        project=project, issue=issue, event_id=event.event_id, name="secret.txt",
        content_type="text/plain", size=6, file=ContentFile(b"secret", name="secret.txt"),
    )
    return {"org": org, "project": project, "issue": issue, "event": event,
            "attachment": attachment}


@pytest.fixture
def mine(client, user, org, project):
    client.force_login(user)
    make_issue(project, "my issue")
    return org


def guessed_urls(mine, theirs):
    """Their objects' real ids, under their organization's slug and under mine."""
    issue, event, attachment = theirs["issue"], theirs["event"], theirs["attachment"]
    urls = [
        reverse("issues:org", args=[theirs["org"].slug]),
        reverse("issues:project", args=[theirs["org"].slug, "secret"]),
        reverse("issues:project", args=[mine.slug, "secret"]),
    ]
    for slug in (theirs["org"].slug, mine.slug):
        urls += [
            reverse("issues:detail", args=[slug, issue.pk]),
            reverse("issues:events", args=[slug, issue.pk]),
            reverse("issues:event", args=[slug, issue.pk, event.event_id.hex]),
            reverse("issues:event", args=[slug, issue.pk, "latest"]),
            reverse("issues:event_json", args=[slug, issue.pk, event.event_id.hex]),
            reverse("issues:attachment", args=[slug, attachment.pk]),
            reverse("issues:attachment_view", args=[slug, attachment.pk]),
        ]
    return urls


def test_guessed_urls_are_404(client, mine, theirs):
    for url in guessed_urls(mine, theirs):
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"secret" not in response.content.lower(), url


def test_their_event_is_not_reachable_through_my_issue(client, mine, theirs, project):
    my_issue = Issue.objects.get(project=project)
    url = reverse("issues:event", args=[mine.slug, my_issue.pk, theirs["event"].event_id.hex])
    assert client.get(url).status_code == 404


def test_lists_never_show_their_issues(client, mine, theirs, project):
    for url in (reverse("issues:org", args=[mine.slug]),
                reverse("issues:project", args=[mine.slug, project.slug]) + "?status=all",
                reverse("issues:org", args=[mine.slug]) + "?query=secret"):
        assert b"B&#x27;s secret issue" not in client.get(url).content


def test_actions_on_their_issues_change_nothing(client, mine, theirs):
    issue = theirs["issue"]
    for action in ("resolve", "ignore", "merge", "delete", "discard", "assign"):
        response = client.post(reverse("issues:actions", args=[mine.slug]),
                               {"issue": [issue.pk], "action": action})
        assert response.status_code == 303
        response = client.post(reverse("issues:actions", args=[theirs["org"].slug]),
                               {"issue": [issue.pk], "action": action})
        assert response.status_code == 404
    for slug in (mine.slug, theirs["org"].slug):
        assert client.post(reverse("issues:comment", args=[slug, issue.pk]),
                           {"text": "hi"}).status_code == 404
        assert client.post(reverse("issues:unmerge", args=[slug, issue.pk])).status_code == 404
    issue.refresh_from_db()
    assert issue.status == Issue.Status.UNRESOLVED
    assert not IssueActivity.objects.filter(issue=issue).exists()


def test_assigning_to_their_member_or_team_is_refused(client, mine, theirs, project):
    my_issue = Issue.objects.get(project=project)
    bea = theirs["org"].members.get().user
    team = theirs["org"].teams.get()
    url = reverse("issues:actions", args=[mine.slug])
    for target in (str(bea.pk), f"team:{team.pk}"):
        response = client.post(url, {"issue": [my_issue.pk], "action": "assign",
                                     "assign_to": target})
        assert response.status_code == 404
    my_issue.refresh_from_db()
    assert my_issue.assignee is None and my_issue.assignee_team is None


def test_anonymous_users_are_sent_to_sign_in(client, theirs):
    for url in (reverse("issues:org", args=[theirs["org"].slug]),
                reverse("issues:detail", args=[theirs["org"].slug, theirs["issue"].pk]),
                reverse("issues:attachment", args=[theirs["org"].slug,
                                                   theirs["attachment"].pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_unknown_event_ids_are_404(client, mine, project):
    issue = Issue.objects.get(project=project)
    url = reverse("issues:event", args=[mine.slug, issue.pk, uuid.uuid4().hex])
    assert client.get(url).status_code == 404
