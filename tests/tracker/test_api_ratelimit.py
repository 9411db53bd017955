"""Per-token rate limits with Sentry's headers; unknown and revoked tokens are 401."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache

from tracker.models import ApiToken

pytestmark = pytest.mark.django_db


def _get(client, token: str):
    return client.get("/api/0/projects/acme/shop/issues/",
                      headers={"Authorization": f"Bearer {token}"})


def test_limit_remaining_reset_then_429(client, user, project, settings):
    settings.API_RATE_LIMIT = 3
    settings.API_RATE_LIMIT_WINDOW = 3600  # one window for the whole test
    _, token = ApiToken.issue(user, "limited")
    _, other = ApiToken.issue(user, "other")
    remaining = []
    for _ in range(3):
        response = _get(client, token)
        assert response.status_code == 200
        assert response["X-Sentry-Rate-Limit-Limit"] == "3"
        remaining.append(response["X-Sentry-Rate-Limit-Remaining"])
        reset = int(response["X-Sentry-Rate-Limit-Reset"])
        assert reset % 3600 == 0 and time.time() < reset <= time.time() + 3600
    assert remaining == ["2", "1", "0"]
    refused = _get(client, token)
    assert refused.status_code == 429
    assert refused.json()["detail"] == ("You are attempting to use this endpoint too "
                                        "frequently. Limit is 3 requests in 3600 seconds")
    assert refused["X-Sentry-Rate-Limit-Remaining"] == "0"
    assert 0 < int(refused["Retry-After"]) <= 3600
    # The limit is per token.
    assert _get(client, other).status_code == 200


def test_no_limit_when_off_or_for_browser_sessions(client, user, project, settings):
    settings.API_RATE_LIMIT = 0
    _, token = ApiToken.issue(user, "free")
    response = _get(client, token)
    assert response.status_code == 200 and "X-Sentry-Rate-Limit-Limit" not in response
    settings.API_RATE_LIMIT = 1
    client.force_login(user)
    for _ in range(3):
        response = client.get("/api/0/projects/acme/shop/issues/")
        assert response.status_code == 200 and "X-Sentry-Rate-Limit-Limit" not in response


def test_a_cache_outage_lets_requests_through(client, user, project, settings, monkeypatch):
    settings.API_RATE_LIMIT = 1

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "add", broken)
    _, token = ApiToken.issue(user, "t")
    assert [_get(client, token).status_code for _ in range(3)] == [200, 200, 200]


def test_unknown_and_revoked_tokens_are_401(client, user, project):
    token_row, token = ApiToken.issue(user, "soon revoked")
    assert _get(client, token).status_code == 200
    token_row.delete()
    for candidate in (token, "sntryu_" + "0" * 64, "garbage"):
        response = _get(client, candidate)
        assert response.status_code == 401
        assert response.json() == {"detail": "Invalid token."}
