"""Release health end to end: the real sentry-sdk sends errors and sessions with `release=`
to a live Errata; the release page and the sessions API show the exact rates."""

from __future__ import annotations

import json
import re
import urllib.request
from urllib.parse import urlencode

import pytest

from tests.live import dsn_for, run_python_sdk, wait_until
from tests.tracker.test_api import make_token
from tracker.models import Release, SessionBucket, SessionState

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]

# Six sessions of release shop@5.0, sent as the SDK sends them:
# - application sessions (one `session` item each, `init: true`, sent when they end):
#   u1 healthy; u2 errored (a handled error), also sent once while still running, so an
#   update moves it; u3 crashed (an exception through the excepthook path, handled false);
#   u1 again, healthy, whose envelope the SDK sends twice (a retry);
# - request sessions (a `sessions` aggregate): one request whose unhandled error did not
#   end the server, one fine request.
SCRIPT = """
import sys
from sentry_sdk.utils import event_from_exception

client = sentry_sdk.get_client()
scope = sentry_sdk.get_isolation_scope()

def unhandled(error):
    try:
        raise error
    except Exception:
        event, hint = event_from_exception(
            sys.exc_info(), client_options=client.options,
            mechanism={"type": "excepthook", "handled": False})
        sentry_sdk.capture_event(event, hint=hint)

def session(user, body):
    sentry_sdk.set_user({"id": user})
    sentry_sdk.start_session()
    body()
    sentry_sdk.end_session()
    sentry_sdk.flush(timeout=10)

session("u1", lambda: None)

def handled_error():
    client.capture_session(scope._session)  # while it runs: ok
    sentry_sdk.flush(timeout=10)
    try:
        {}["coupon"]
    except KeyError:
        sentry_sdk.capture_exception()
session("u2", handled_error)

session("u3", lambda: unhandled(RuntimeError("out of memory")))

sentry_sdk.set_user({"id": "u1"})
sentry_sdk.start_session()
ended = scope._session
sentry_sdk.end_session()
sentry_sdk.flush(timeout=10)
client.capture_session(ended)  # the SDK sends the same update again
sentry_sdk.flush(timeout=10)

for fails in (True, False):
    with sentry_sdk.isolation_scope() as request_scope:
        request_scope.start_session(session_mode="request")
        if fails:
            unhandled(ValueError("bad request"))
        request_scope.end_session()
"""


def _api(url: str, token: str) -> dict:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


def test_sdk_sessions_give_exact_rates_on_the_page_and_in_the_api(errata_server, client, user,
                                                                   project):
    run_python_sdk(dsn_for(errata_server, project), SCRIPT,
                   init='release="shop@5.0", environment="production"')

    def folded():
        counts = dict(SessionBucket.objects.filter(project=project, release="shop@5.0")
                      .values_list("status", "count"))
        return {k: v for k, v in counts.items() if v} == {
            "healthy": 3, "errored": 1, "crashed": 1, "unhandled": 1} and counts
    wait_until(folded)
    assert SessionState.objects.filter(project=project).count() == 4  # one per sid
    assert Release.objects.filter(version="shop@5.0", projects=project).exists()

    token = make_token(user)
    query = urlencode([("field", "sum(session)"), ("field", "count_unique(user)"),
                       ("field", "crash_free_rate(session)"), ("field", "crash_free_rate(user)"),
                       ("field", "unhandled_free_rate(session)"), ("groupBy", "release"),
                       ("statsPeriod", "1d"), ("interval", "1d"), ("project", str(project.pk))])
    body = _api(f"{errata_server}/api/0/organizations/{project.organization.slug}/sessions/"
                f"?{query}", token)
    [group] = body["groups"]
    assert group["by"] == {"release": "shop@5.0"}
    assert group["totals"] == {
        "sum(session)": 6, "count_unique(user)": 3, "crash_free_rate(session)": 0.833333,
        "crash_free_rate(user)": 0.666667, "unhandled_free_rate(session)": 0.666667}

    client.force_login(user)
    html = client.get(f"/{project.organization.slug}/{project.slug}/releases/shop@5.0/"
                      ).content.decode()

    def rate(name):
        return re.search(rf'data-rate="{name}">([^<]*)<', html).group(1)

    assert rate("crash-free-sessions") == "83.333%"
    assert rate("crash-free-users") == "66.667%"
    assert rate("unhandled-free-sessions") == "66.667%"
    assert rate("adoption") == "100%"
    assert "KeyError" in client.get(
        f"/{project.organization.slug}/{project.slug}/issues/",
        {"release": "shop@5.0", "status": "all"}).content.decode()
