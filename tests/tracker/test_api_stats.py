"""`stats_v2`: outcome counts in Sentry's usage-stats shape, from the hourly buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingest.protocol.categories import DataCategory
from ingest.protocol.outcomes import OutcomeKind
from tests.factories import make_org, make_project, make_user
from tracker.models import ApiToken
from tracker.outcomes import OutcomeRecord, record_outcomes
from tracker.timeutil import floor_hour

pytestmark = pytest.mark.django_db
FIELD = "sum(quantity)"


@pytest.fixture
def get(client, user):
    _, token = ApiToken.issue(user, "stats", ["org:read"])

    def request(org: str = "acme", token: str = token, **params):
        return client.get(f"/api/0/organizations/{org}/stats_v2/", {"field": FIELD, **params},
                          headers={"Authorization": f"Bearer {token}"})

    return request


def _record(project, moment, outcome, category, quantity, reason=""):
    record_outcomes([OutcomeRecord(moment, project.organization_id, project.pk, None,
                                   int(outcome), reason, int(category), quantity)])


@pytest.fixture
def outcomes(project):
    now = floor_hour(datetime.now(UTC))
    web = make_project(project.organization, "Web", slug="web")
    _record(project, now, OutcomeKind.ACCEPTED, DataCategory.ERROR, 5)
    _record(project, now - timedelta(hours=2), OutcomeKind.ACCEPTED, DataCategory.DEFAULT, 2)
    _record(project, now, OutcomeKind.RATE_LIMITED, DataCategory.ERROR, 3, "key_quota")
    _record(web, now, OutcomeKind.ACCEPTED, DataCategory.ATTACHMENT, 1000)
    _record(project, now - timedelta(days=40), OutcomeKind.ACCEPTED, DataCategory.ERROR, 99)
    other = make_project(make_org("Other", owner=make_user("zed")), "X", slug="x")
    _record(other, now, OutcomeKind.ACCEPTED, DataCategory.ERROR, 77)
    return {"now": now, "web": web}


def test_grouped_by_outcome_and_category(get, outcomes):
    response = get(statsPeriod="1d", interval="1h", groupBy=["outcome", "category"])
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"start", "end", "intervals", "groups"}
    assert body["start"].endswith(":00:00Z") and body["end"].endswith("Z")
    assert len(body["intervals"]) in (24, 25)
    groups = {(g["by"]["outcome"], g["by"]["category"]): g for g in body["groups"]}
    assert {k: g["totals"][FIELD] for k, g in groups.items()} == {
        ("accepted", "error"): 7, ("rate_limited", "error"): 3,
        ("accepted", "attachment"): 1000}
    accepted = groups["accepted", "error"]["series"][FIELD]
    assert len(accepted) == len(body["intervals"]) and sum(accepted) == 7
    now_index = body["intervals"].index(outcomes["now"].isoformat().replace("+00:00", "Z"))
    assert accepted[now_index] == 5


def test_filters_and_other_groupings(get, outcomes):
    web = outcomes["web"]
    by_project = get(statsPeriod="1d", groupBy="project").json()["groups"]
    assert {g["by"]["project"]: g["totals"][FIELD] for g in by_project}[web.pk] == 1000
    only_web = get(statsPeriod="1d", project=str(web.pk)).json()["groups"]
    assert [g["totals"][FIELD] for g in only_web] == [1000]
    errors = get(statsPeriod="1d", category="error", groupBy="reason").json()["groups"]
    assert {g["by"]["reason"]: g["totals"][FIELD] for g in errors} == {"none": 7,
                                                                      "key_quota": 3}
    daily = get(statsPeriod="60d", interval="1d", outcome="accepted", category="error").json()
    assert daily["groups"][0]["totals"][FIELD] == 106
    assert daily["intervals"][0].endswith("T00:00:00Z")


@pytest.mark.parametrize("params", [
    {"field": "sum(times_seen)"}, {"groupBy": "planet"}, {"interval": "5m"},
    {"interval": "1s", "statsPeriod": "90d"}, {"category": "gold"}, {"outcome": "won"},
    {"project": "nope"}, {"statsPeriod": "1d", "start": "2026-01-01T00:00:00Z"},
])
def test_bad_parameters_are_400(get, outcomes, params):
    response = get(**params)
    assert response.status_code == 400 and response.json()["detail"]


def test_scope_and_other_organization(get, client, user, outcomes):
    _, narrow = ApiToken.issue(user, "narrow", ["event:read"])
    denied = get(token=narrow)
    assert denied.status_code == 403 and "org:read" in denied.json()["detail"]
    assert get(org="other").status_code == 404
    foreign = make_project(make_org("Mine"), "Y", slug="y")  # an org alice is not in
    assert get(project=str(foreign.pk)).status_code == 400
