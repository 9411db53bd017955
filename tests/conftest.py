import os
import time

import pytest
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests import factories
from tests.alerts.servers import WebhookReceiver, serve_webhooks


def pytest_collection_modifyitems(config, items):
    # Tests marked postgres only mean something on PostgreSQL (real row locks); on the
    # embedded SQLite run they are reported as skipped, not silently dropped.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _isolate_test_worker():
    """Test processes (and concurrent test runs) share the broker and Redis: give each its
    own queue and Redis key prefix so their messages and counters never mix."""
    from tracker.celery import app

    token = f"errata-test-{os.getpid()}"
    app.conf.task_default_queue = settings.CELERY_TASK_DEFAULT_QUEUE = token
    settings.REDIS_PREFIX = token
    # Servers and workers the tests start inherit the same isolation.
    os.environ.update(CELERY_QUEUE=token, REDIS_PREFIX=token)


@pytest.fixture(scope="session")
def errata_server(django_db_setup, django_db_blocker, _isolate_test_worker):
    """The production web server (granian) serving Errata on the test database: what SDKs
    talk to in tests.

    Django's own test server cannot read chunked request bodies, which @sentry/node sends.
    """
    from tests.live import running_server

    with running_server() as url:
        yield url


_worker_activity = {"running": 0, "last": 0.0}


def _task_started(**_):
    _worker_activity["running"] += 1
    _worker_activity["last"] = time.monotonic()


def _task_finished(**_):
    _worker_activity["running"] -= 1
    _worker_activity["last"] = time.monotonic()


task_prerun.connect(_task_started, weak=False)
task_postrun.connect(_task_finished, weak=False)


@pytest.fixture(scope="session")
def _session_digest_worker(django_db_setup, django_db_blocker, _isolate_test_worker):
    from tests.live import celery_worker

    with django_db_blocker.unblock(), celery_worker() as worker:
        yield worker


@pytest.fixture
def digest_worker(_session_digest_worker, transactional_db):
    """A real Celery worker (one per test process: starting one per test costs seconds).

    After the test, wait until it has been idle for a moment: work the test caused (alert
    evaluation after a batch, say) must not run while the database is being emptied. This
    fixture depends on transactional_db, so its teardown runs before the flush.
    """
    yield _session_digest_worker
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if _worker_activity["running"] == 0 and time.monotonic() - _worker_activity[
                "last"] > 0.5:
            break
        time.sleep(0.05)


@pytest.fixture(autouse=True)
def _no_background_digest(request, monkeypatch):
    """Only tests that ask for `digest_worker` get their work picked up by it; the others
    digest synchronously, and a background worker taking their rows would race them."""
    if "digest_worker" in request.fixturenames:
        return
    # Only the setting: tasks are routed by it when sent. Celery's own default queue must
    # not change, its queue table is built once and the worker consumes what it holds.
    idle = f"{settings.CELERY_TASK_DEFAULT_QUEUE}-unconsumed"
    monkeypatch.setattr(settings, "CELERY_TASK_DEFAULT_QUEUE", idle)


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Verdicts cached in-process (keys, spent quotas) must not leak between tests."""
    from ingest import keys, quotas

    keys._local.clear()
    quotas._exhausted.clear()
    if not settings.REDIS_URL:
        cache.clear()
    yield


@pytest.fixture
def user(db):
    return factories.make_user("alice")


@pytest.fixture
def org(user):
    return factories.make_org("Acme", owner=user)


@pytest.fixture
def project(org):
    return factories.make_project(org, "Shop", platform="python", slug="shop")


# A webhook receiver for alert tests (tests/alerts, tests/e2e): one server per test process.
@pytest.fixture(scope="session")
def _webhook_server():
    receiver = WebhookReceiver()
    server = serve_webhooks(receiver)
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def webhooks(_webhook_server):
    _webhook_server.clear()
    yield _webhook_server
    _webhook_server.clear()
