"""The outcome stats page."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_project
from tracker.models import OutcomeKind
from tracker.outcomes import OutcomeRecord, record_outcomes

pytestmark = pytest.mark.django_db

ERROR, ATTACHMENT = 1, 4


def _record(project, when, outcome, quantity, reason="", category=ERROR):
    record_outcomes([OutcomeRecord(when, project.organization_id, project.pk,
                                   project.keys.get().pk, int(outcome), reason, category,
                                   quantity)])


def _url(project):
    return f"/{project.organization.slug}/{project.slug}/stats/"


def _cells(html: str, category: str) -> list[str]:
    row = re.search(rf"<th scope=\"row\">{category}.*?</tr>", html, re.S).group(0)
    return [re.sub(r"\s+", " ", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]


def test_totals_per_category_outcome_and_window(client, user, project):
    now = timezone.now()
    _record(project, now, OutcomeKind.ACCEPTED, 5)
    _record(project, now - timedelta(days=3), OutcomeKind.ACCEPTED, 7)
    _record(project, now - timedelta(days=40), OutcomeKind.ACCEPTED, 1000)  # out of range
    _record(project, now, OutcomeKind.FILTERED, 2, "discarded-hash")
    _record(project, now - timedelta(days=2), OutcomeKind.RATE_LIMITED, 4, "key_quota")
    _record(project, now, OutcomeKind.INVALID, 1, "too_large")
    _record(project, now, OutcomeKind.CLIENT_DISCARD, 3, "queue_overflow")
    _record(project, now, OutcomeKind.ACCEPTED, 2048, category=ATTACHMENT)
    # Another project's outcomes are not counted.
    _record(make_project(project.organization), now, OutcomeKind.ACCEPTED, 99)

    client.force_login(user)
    response = client.get(_url(project))
    assert response.status_code == 200
    html = response.content.decode()
    # Columns: accepted, filtered, rate limited, invalid, client discard; 24 h then 30 d.
    assert _cells(html, "error") == ["5", "12", "2", "2", "0", "4", "1", "1", "3", "3"]
    assert "Abuse" not in html
    assert _cells(html, "attachment")[:2] == ["2.0 KB", "2.0 KB"]
    assert "discarded-hash" in html and "key_quota" in html and "queue_overflow" in html
    assert "<svg" in html


def test_chart_has_a_bar_per_day(client, user, project):
    now = timezone.now()
    _record(project, now, OutcomeKind.ACCEPTED, 10)
    _record(project, now - timedelta(days=1), OutcomeKind.FILTERED, 5, "cors")
    client.force_login(user)
    html = client.get(_url(project)).content.decode()
    assert html.count('class="hover"') == 30
    assert "10 accepted" in html and "5 filtered" in html


def test_empty_project(client, user, project):
    client.force_login(user)
    html = client.get(_url(project)).content.decode()
    assert "No events in the last 30 days." in html
    assert "Nothing recorded in the last 30 days." in html


def test_query_count_does_not_grow_with_rows(client, user, project, django_assert_num_queries):
    now = timezone.now()
    for day in range(30):
        for outcome in (OutcomeKind.ACCEPTED, OutcomeKind.FILTERED):
            _record(project, now - timedelta(days=day), outcome, day + 1, "r")
    client.force_login(user)
    # session, user, project, membership, totals, per-day series, the top bar's switcher (its
    # rows, and the ids of the projects the user sees)
    with django_assert_num_queries(8):
        assert client.get(_url(project)).status_code == 200
