"""A burst of 500 events of one issue: one notification per rule per action interval."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.alerts.helpers import hook, make_rule, settle
from tests.ingest.helpers import event_envelope, exception_event, post
from tracker.alerts.models import Firing, Notification, RuleIssueState
from tracker.models import Issue

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def send(client, project, n: int, offset: int = 0) -> None:
    for i in range(offset, offset + n):
        event = exception_event("ConnectionRefusedError", "[Errno 111] Connection refused",
                                user={"id": f"user-{i % 50}"})
        assert post(client, project, event_envelope(event)).status_code == 200


def test_a_burst_notifies_once_per_rule_per_interval(client, project, smtp, webhooks,
                                                      evaluations):
    make_rule(project, "Every event", frequency=60, actions=[hook(webhooks, "/every")])
    make_rule(project, "Fast storm", frequency=5, conditions=[("event_frequency", 10, 1)],
              actions=[hook(webhooks, "/fast")])
    make_rule(project, "Many users", frequency=60, conditions=[("unique_users", 20, 60)],
              actions=[hook(webhooks, "/users")])
    send(client, project, 500)
    settle(project, evaluations, 500)

    assert Issue.objects.get(project=project).times_seen == 500
    fired = Counter(Firing.objects.values_list("rule__name", flat=True))
    assert fired == {"New issue": 1, "High volume": 1, "Every event": 1, "Fast storm": 1,
                     "Many users": 1}
    assert Notification.objects.count() == 5
    assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    assert len(smtp.mails) == 2  # New issue and High volume, to alice
    assert Counter(r.path for r in webhooks.requests) == {"/every": 1, "/fast": 1, "/users": 1}

    # Once the intervals are over, the storm still raging fires each counting rule again,
    # once; "New issue" does not: the issue is not new.
    RuleIssueState.objects.update(last_fired=timezone.now() - timedelta(minutes=61))
    send(client, project, 20, offset=500)
    settle(project, evaluations, 520)
    fired = Counter(Firing.objects.values_list("rule__name", flat=True))
    assert fired == {"New issue": 1, "High volume": 2, "Every event": 2, "Fast storm": 2,
                     "Many users": 2}
    assert len(smtp.mails) == 3
    assert Counter(r.path for r in webhooks.requests) == {"/every": 2, "/fast": 2, "/users": 2}
