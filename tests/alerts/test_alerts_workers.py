"""Two real Celery workers, in two processes, consuming the same queue: every notification
is sent once, and an evaluation delivered twice fires once."""

import subprocess
import sys
import threading
from collections import Counter

import pytest
from celery.signals import task_postrun

from tests import factories
from tests.alerts.helpers import hook, make_rule, only_rules, payload
from tests.live import process_env, wait_until
from tracker.alerts import tasks
from tracker.alerts.models import Firing, Notification

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


@pytest.fixture
def second_worker(digest_worker, tmp_path):
    """A second worker, in its own process, on the same broker queue and database; yields
    the path of its log."""
    log = tmp_path / "worker.log"
    env = process_env()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tracker.celery", "worker", "--pool=solo",
             "--concurrency=1", "--loglevel=INFO", "--without-mingle", "--without-gossip",
             "-Q", env["CELERY_QUEUE"], "-n", "second@%h"],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        wait_until(lambda: "ready." in log.read_text(), 30)
        yield log
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@pytest.fixture
def workers_seen():
    """Threads of this process that ran delivery tasks: the in-process worker's."""
    seen = Counter()

    def done(sender=None, task=None, **_):
        if sender is not None and sender.name == "tracker.alerts.tasks.deliver":
            seen[threading.get_ident()] += 1

    task_postrun.connect(done, weak=False)
    yield seen
    task_postrun.disconnect(done)


def test_two_workers_send_each_notification_once(project, webhooks, second_worker,
                                                 workers_seen):
    only_rules(project)
    issue = factories.make_issue(project)
    make_rule(project, "Storm", frequency=60, conditions=[("event_frequency", 5, 1)],
              actions=[hook(webhooks, "/a"), hook(webhooks, "/b")])
    events = [payload(issue) for _ in range(10)]
    # The same batch handed to both workers (a redelivery) and split batches racing.
    for _ in range(2):
        tasks.evaluate.delay(events)
    for event in events:
        tasks.evaluate.delay([event])
    wait_until(lambda: Notification.objects.filter(status="sent").count() >= 2)

    rule = make_rule(project, "Hooks", actions=[hook(webhooks, "/c")])
    action = rule.actions.get()
    rows = Notification.objects.bulk_create(
        [Notification(rule=rule, action=action, kind="webhook") for _ in range(20)])
    for row in rows:
        tasks.deliver.delay(row.pk)
        tasks.deliver.delay(row.pk)  # as if the sweep and a retry both enqueued it
    wait_until(lambda: Notification.objects.filter(status="sent").count() >= 22)

    assert Firing.objects.count() == 1
    paths = Counter(r.path for r in webhooks.requests)
    assert paths == {"/a": 1, "/b": 1, "/c": 20}
    deliveries = Counter(r.headers["X-Errata-Delivery"] for r in webhooks.requests)
    assert set(deliveries.values()) == {1}
    # Both workers took part: this process's and the other one.
    assert sum(workers_seen.values()) > 0
    assert "tracker.alerts.tasks.deliver[" in second_worker.read_text()
