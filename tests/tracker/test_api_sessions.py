"""`GET /api/0/organizations/{org}/sessions/`: Sentry's parameters and shape, over sessions
folded the way the digest folds them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import make_org, make_project, make_user
from tests.tracker.test_api import make_token
from tracker import release_health
from tracker.models import SessionStatus
from tracker.release_health import SessionUpdate

pytestmark = pytest.mark.django_db

HOUR = datetime(2026, 11, 21, 10, tzinfo=UTC)
RANGE = {"start": "2026-11-21T08:00:00Z", "end": "2026-11-21T12:00:00Z"}


def sessions(project, release, *statuses, hour=HOUR, env="production", users=None):
    users = users or [None] * len(statuses)
    release_health.fold([
        SessionUpdate(project.pk, hour, release, env, status, uuid.uuid4(), True, user or "")
        for status, user in zip(statuses, users, strict=True)
    ])


@pytest.fixture
def api(client, user):
    token = make_token(user)

    def get(org_slug="acme", **params):
        return client.get(f"/api/0/organizations/{org_slug}/sessions/", params,
                          headers={"Authorization": f"Bearer {token}"})

    return get


@pytest.fixture
def health(project):
    s = SessionStatus
    # shop@1.0: 10 sessions of 4 users; one crashed (user c), one unhandled (user b).
    sessions(project, "shop@1.0", s.HEALTHY, s.HEALTHY, s.HEALTHY, s.HEALTHY, s.HEALTHY,
             s.HEALTHY, s.ERRORED, s.ERRORED, s.UNHANDLED, s.CRASHED,
             users=["a", "a", "b", "d", "d", "d", "a", "b", "b", "c"])
    # shop@2.0: 4 healthy sessions an hour later, in staging.
    sessions(project, "shop@2.0", *[s.HEALTHY] * 4, hour=HOUR + timedelta(hours=1),
             env="staging", users=["a", "e", "e", "f"])
    return project


def test_totals_and_rates(api, health):
    response = api(field=["sum(session)", "count_unique(user)", "crash_free_rate(session)",
                          "crash_free_rate(user)", "unhandled_free_rate(session)"],
                   interval="1h", **RANGE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["start"] == "2026-11-21T08:00:00Z"
    assert body["end"] == "2026-11-21T12:00:00Z"
    assert body["intervals"] == ["2026-11-21T08:00:00Z", "2026-11-21T09:00:00Z",
                                 "2026-11-21T10:00:00Z", "2026-11-21T11:00:00Z"]
    [group] = body["groups"]
    assert group["by"] == {}
    assert group["totals"] == {
        "sum(session)": 14, "count_unique(user)": 6, "crash_free_rate(session)": 0.928571,
        "crash_free_rate(user)": 0.833333, "unhandled_free_rate(session)": 0.857143}
    assert group["series"]["sum(session)"] == [0, 0, 10, 4]
    assert group["series"]["crash_free_rate(session)"] == [None, None, 0.9, 1.0]
    assert group["series"]["count_unique(user)"] == [0, 0, 4, 3]


def test_group_by_release_and_environment(api, health):
    body = api(field=["sum(session)", "crash_free_rate(session)", "crash_free_rate(user)",
                      "unhandled_free_rate(user)"],
               groupBy=["release", "environment"], statsPeriod="1d", interval="1d",
               start=RANGE["start"], end=RANGE["end"]).json()
    assert [(g["by"], g["totals"]) for g in body["groups"]] == [
        ({"release": "shop@1.0", "environment": "production"},
         {"sum(session)": 10, "crash_free_rate(session)": 0.9, "crash_free_rate(user)": 0.75,
          "unhandled_free_rate(user)": 0.5}),
        ({"release": "shop@2.0", "environment": "staging"},
         {"sum(session)": 4, "crash_free_rate(session)": 1.0, "crash_free_rate(user)": 1.0,
          "unhandled_free_rate(user)": 1.0}),
    ]
    assert body["intervals"] == ["2026-11-21T00:00:00Z"]


def test_group_by_status(api, health):
    body = api(field=["sum(session)", "count_unique(user)"], groupBy="session.status",
               query="release:shop@1.0", **RANGE).json()
    assert {g["by"]["session.status"]: (g["totals"]["sum(session)"],
                                        g["totals"]["count_unique(user)"])
            for g in body["groups"]} == {
        "healthy": (6, 1), "errored": (2, 1), "unhandled": (1, 1), "abnormal": (0, 0),
        "crashed": (1, 1)}
    assert body["query"] == "release:shop@1.0"


def test_filters(api, health):
    def total(**params):
        body = api(field="sum(session)", **RANGE, **params).json()
        return body["groups"][0]["totals"]["sum(session)"]

    assert total(environment="staging") == 4
    assert total(query='environment:production release:"shop@1.0"') == 10
    assert total(query="release:[shop@1.0,shop@2.0]") == 14
    assert total(project=str(health.pk)) == 14
    assert total(project="-1") == 14
    assert total(query="release:nope") == 0


def test_other_organizations_sessions_are_not_found(api, health):
    other = make_project(make_org("Other", owner=make_user("bob")), "Theirs")
    sessions(other, "x@1", SessionStatus.CRASHED)
    assert api(field="sum(session)", project=str(other.pk), **RANGE).status_code == 404
    assert api(org_slug=other.organization.slug, field="sum(session)").status_code == 404


@pytest.mark.parametrize(("params", "message"), [
    ({}, 'Request is missing a "field"'),
    ({"field": "p95(session.duration)"}, "Invalid field"),
    ({"field": "sum(session)", "groupBy": "user"}, "Invalid groupBy"),
    ({"field": "crash_free_rate(session)", "groupBy": "session.status"}, "Cannot group"),
    ({"field": "sum(session)", "interval": "5m"}, "multiple of one hour"),
    ({"field": "sum(session)", "interval": "soon"}, "Invalid interval"),
    ({"field": "sum(session)", "statsPeriod": "90d", "interval": "1h"}, "too many results"),
    ({"field": "sum(session)", "start": "yesterday", "end": "2026-11-21T00:00:00Z"},
     "Invalid start"),
    ({"field": "sum(session)", "start": "2026-11-21T00:00:00Z"}, "start and end"),
    ({"field": "sum(session)", "query": "user.email:a@b"}, "Invalid query"),
    ({"field": "sum(session)", "project": "shop"}, "Invalid project"),
])
def test_bad_parameters_are_400_with_a_detail(api, health, params, message):
    response = api(**params)
    assert response.status_code == 400
    assert message in response.json()["detail"]
