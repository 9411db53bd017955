"""A script written only from Sentry's API reference runs unchanged against Errata: list
unresolved issues (paged), resolve those a query finds, assign one to a team, and read the
latest event's stack trace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.factories import make_event, make_issue, make_org, make_project, make_user
from tracker.models import ApiToken, Issue, Team

SCRIPT = Path(__file__).with_name("scripts") / "sentry_triage.py"


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_a_script_for_sentrys_api_runs_unchanged(errata_server):
    owner = make_user("ops")
    org = make_org("Acme", owner=owner)
    project = make_project(org, "Shop", slug="shop", platform="python")
    team = Team.objects.create(organization=org, name="Backend", slug="backend")
    now = datetime.now(UTC)
    timeouts = [make_issue(project, f"TimeoutError: upstream {i}", times_seen=5,
                           now=now - timedelta(minutes=i)) for i in range(3)]
    top = make_issue(project, "KeyError: 'NZ'", times_seen=40, now=now - timedelta(minutes=5))
    quiet = make_issue(project, "ValueError: bad", times_seen=2, now=now - timedelta(minutes=6))
    make_issue(project, "TimeoutError: old", status=Issue.Status.RESOLVED)
    make_event(top, timestamp=now - timedelta(hours=1), data={"message": "older"})
    latest = make_event(top, timestamp=now, data={"exception": {"values": [{
        "type": "KeyError", "value": "'NZ'", "stacktrace": {"frames": [
            {"filename": "shop/views.py", "function": "checkout", "lineno": 12, "in_app": True},
            {"filename": "shop/pricing.py", "function": "cart_total", "lineno": 18,
             "in_app": True},
        ]}}]}})
    # Another organization's issues stay out of it.
    make_issue(make_project(make_org("Globex", owner=make_user("x")), "Web", slug="shop"),
               "TimeoutError: theirs")
    _, token = ApiToken.issue(owner, "triage script", ["event:write"])

    env = {**os.environ, "SENTRY_URL": errata_server, "SENTRY_AUTH_TOKEN": token,
           "SENTRY_ORG": "acme", "SENTRY_PROJECT": "shop", "SENTRY_TEAM_ID": str(team.pk),
           "RESOLVE_QUERY": "TimeoutError"}
    result = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)

    assert sorted(report["unresolved"]) == sorted(
        i.qualified_short_id for i in [*timeouts, top, quiet])
    assert sorted(report["resolved"]) == sorted(i.qualified_short_id for i in timeouts)
    assert set(Issue.objects.filter(status="resolved", project=project).values_list(
        "pk", flat=True)) >= {i.pk for i in timeouts}
    assert report["assigned"] == {"issue": top.qualified_short_id, "to": {
        "type": "team", "id": str(team.pk), "name": "backend"}}
    top.refresh_from_db()
    assert top.assignee_team_id == team.pk
    assert report["latestEvent"] == latest.event_id.hex
    assert report["stacktrace"] == ["shop/views.py:12 in checkout",
                                    "shop/pricing.py:18 in cart_total"]
