"""The endpoint table of test_endpoints, through the RSGI application granian serves.

Production serves ingest from tracker.server.rsgi (ingest/rsgi.py), the tests' Django client goes
through the views: both must answer alike. The event-loop path writes with its own connection
(and falls back to threads), so these tests commit: transactional database.
"""

import pytest

from tests.ingest import rsgi_client
from tests.ingest.test_endpoints import *  # noqa: F403 - the same tests, another client
from tests.ingest.test_endpoints import test_accepting_an_event_takes_at_most_two_statements

# Counts the sync path's statements; the async path's are not Django's to count.
del test_accepting_an_event_takes_at_most_two_statements

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def client():
    return rsgi_client.RsgiClient()


@pytest.fixture(scope="module", autouse=True)
def _close_async_inbox():
    yield
    rsgi_client.close()
