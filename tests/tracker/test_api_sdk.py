"""The read API over HTTP against a live Errata, with events sent by the real sentry-sdk."""

import json
import urllib.error
import urllib.request

import pytest

from tests.live import dsn_for, run_python_sdk, wait_until
from tests.tracker.test_api import make_token
from tracker.models import Event

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def _get(url: str, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.load(response), response.headers
    except urllib.error.HTTPError as e:
        return e.code, json.load(e), e.headers


def test_sdk_event_is_found_by_its_event_id(errata_server, user, project):
    out = run_python_sdk(dsn_for(errata_server, project), """
        def apply_coupon(code):
            return {"SAVE10": 10}[code]
        for code in ("BOGUS", "EXPIRED"):
            try:
                apply_coupon(code)
            except KeyError:
                print(sentry_sdk.capture_exception())
    """)
    first_id, second_id = out.split()
    wait_until(lambda: Event.objects.filter(project=project).count() == 2)
    token = make_token(user)
    base = f"{errata_server}/api/0/projects/{project.organization.slug}/{project.slug}"

    status, body, _ = _get(f"{base}/events/{second_id}/", token)
    assert status == 200
    stored = Event.objects.get(project=project, event_id=second_id)
    assert body["eventID"] == second_id
    assert body["groupID"] == str(stored.issue_id)
    assert body["title"] == "KeyError: 'EXPIRED'"
    assert body["sdk"]["name"] == "sentry.python"
    frames = next(e for e in body["entries"] if e["type"] == "exception")["data"]["values"][0][
        "stacktrace"]["frames"]
    assert frames[-1]["function"] == "apply_coupon"

    # Both events are the same bug: one issue, listed with both events counted.
    status, first, _ = _get(f"{base}/events/{first_id}/", token)
    assert first["groupID"] == body["groupID"]
    status, issues, headers = _get(f"{base}/issues/", token)
    assert status == 200
    [issue] = issues
    assert issue["id"] == body["groupID"]
    assert issue["count"] == "2"
    assert 'rel="next"; results="false"' in headers["Link"]

    status, _, headers = _get(f"{base}/events/{second_id}/", None)
    assert status == 401
