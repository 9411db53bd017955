"""Nothing accepted is lost: broker down, workers killed mid-batch, redelivery, races."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from ingest.digest import tasks
from ingest.models import InboxItem
from tests.ingest.helpers import digest_all, event_envelope, exception_event, post
from tests.live import (
    dsn_for,
    live_database_url,
    process_env,
    run_python_sdk,
    running_server,
    wait_until,
)
from tracker.models import Event, Issue, IssueHash, Outcome, OutcomeKind

pytestmark = pytest.mark.django_db(transaction=True)


def accepted_events() -> int:
    return Outcome.objects.filter(outcome=OutcomeKind.ACCEPTED, category=1).aggregate(
        n=Sum("quantity"))["n"] or 0


def assert_exactly_once(expected: int) -> None:
    """Every event stored once, in one issue, and every counter agrees."""
    assert Event.objects.count() == expected
    assert Issue.objects.aggregate(n=Sum("times_seen"))["n"] == expected
    for issue in Issue.objects.all():
        assert issue.times_seen == Event.objects.filter(issue=issue).count()
    assert accepted_events() == expected
    assert not InboxItem.objects.exists()


def victim_database_url() -> str:
    """The test database, with a name PostgreSQL shows for the connection we will kill."""
    url = live_database_url()
    return url + "?application_name=killed-digester" if connection.vendor == "postgresql" else url


def victim_gone() -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity "
                       "WHERE application_name = 'killed-digester'")
        return cursor.fetchone()[0] == 0


@pytest.mark.e2e
@pytest.mark.usefixtures("digest_worker")
def test_events_accepted_while_the_broker_is_down_are_digested_when_it_is_back(project):
    # A server whose broker is unreachable: ingest must still answer 200 for every event.
    with running_server(CELERY_BROKER_URL="redis://127.0.0.1:1/0") as url:
        run_python_sdk(dsn_for(url, project), """
            for i in range(5):
                sentry_sdk.capture_message(f"while the broker is down {i}")
        """)
        wait_until(lambda: InboxItem.objects.count() == 5)
    time.sleep(0.5)
    assert not Event.objects.exists()  # nobody was told
    tasks.sweep()  # what beat runs every few seconds, now that the broker answers
    wait_until(lambda: Event.objects.count() == 5)
    assert_exactly_once(5)


def test_a_redelivered_batch_changes_nothing(client, project):
    for i in range(10):
        post(client, project, event_envelope(exception_event("KeyError", f"k{i % 3}")))
    rows = list(InboxItem.objects.all())
    digest_all()
    assert_exactly_once(10)
    # The broker redelivers: the same rows come back after they were digested.
    for row in rows:
        row.claimed_until = None
        row.attempts = 0
    InboxItem.objects.bulk_create(rows)
    digest_all()
    tasks.digest()  # and a task runs twice
    assert Event.objects.count() == 10
    assert Issue.objects.aggregate(n=Sum("times_seen"))["n"] == 10
    assert accepted_events() == 10


def test_a_worker_killed_mid_batch_loses_nothing(client, project):
    total = 400
    for i in range(total):
        post(client, project, event_envelope(exception_event(f"Error{i % 7}", f"v{i % 20}")))
    worker = subprocess.Popen(  # a real process, killed without warning
        [sys.executable, "-m", "tests.digest_process", "--batch-size", "20"],
        env=process_env(DATABASE_URL=victim_database_url()),
    )
    wait_until(lambda: Event.objects.exists(), timeout=60, interval=0.01)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    wait_until(victim_gone)  # PostgreSQL ends the dead worker's session a moment later
    left = InboxItem.objects.count()
    assert 0 < left < total, "the kill should land mid-way"
    # The dead worker's leases run out; then any worker picks its rows up again.
    InboxItem.objects.filter(claimed_until__isnull=False).update(
        claimed_until=timezone.now() - timedelta(seconds=1))
    digest_all()
    assert_exactly_once(total)


@pytest.mark.postgres
def test_eight_processes_racing_on_one_new_hash_create_one_issue(client, project):
    per_worker, workers = 25, 8
    for i in range(per_worker * workers):
        post(client, project, event_envelope(exception_event("RaceError", f"attempt {i}")))
    start_at = time.time() + 3
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.digest_process", "--batch-size", "5",
             "--start-at", str(start_at)],
            env=process_env(),
        )
        for _ in range(workers)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    issue = Issue.objects.get()
    assert issue.times_seen == per_worker * workers
    assert set(IssueHash.objects.values_list("issue_id", flat=True)) == {issue.pk}
    assert_exactly_once(per_worker * workers)
