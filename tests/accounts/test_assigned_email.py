"""Assigning an issue to someone mails them, through the alert delivery queue."""

from __future__ import annotations

import pytest

from tests.factories import make_issue, make_member, make_user
from tracker import actions
from tracker.alerts import delivery
from tracker.alerts.models import Notification

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_assignee_gets_an_email_with_a_link_to_the_issue(org, user, project, smtp):
    bo = make_member(org, make_user("bo")).user
    issue = make_issue(project, "KeyError: <b>sku</b>")
    actions.assign([issue], user, assignee=bo)
    row = Notification.objects.get(kind=Notification.ASSIGNED)
    assert (row.issue_id, row.recipient_id, row.rule_id) == (issue.pk, bo.pk, None)
    assert delivery.deliver(row.pk)[0] == Notification.Status.SENT
    [mail] = smtp.mails
    assert mail.recipients == ["bo@example.com"]
    assert "Assigned to you" in mail.subject and "KeyError" in mail.subject
    html = mail.part("text/html")
    assert "&lt;b&gt;sku&lt;/b&gt;" in html and "<b>sku</b>" not in html  # escaped
    assert f"/acme/issues/{issue.pk}/" in mail.part("text/plain") and "alice" in html
    # Assigning to oneself sends nothing.
    actions.assign([make_issue(project)], bo, assignee=bo)
    assert Notification.objects.filter(kind=Notification.ASSIGNED).count() == 1


def test_nothing_is_sent_once_the_recipient_cannot_see_the_issue(org, user, project, smtp):
    bo_member = make_member(org, make_user("bo"))
    issue = make_issue(project)
    actions.assign([issue], user, assignee=bo_member.user)
    row = Notification.objects.get(kind=Notification.ASSIGNED)
    bo_member.delete()
    assert delivery.deliver(row.pk)[0] == Notification.Status.FAILED
    assert smtp.mails == []
