"""The official SDKs, unchanged, against a live Errata: events end up stored in issues."""

import pytest

from tests.live import dsn_for, run_node_sdk, run_python_sdk, wait_until
from tracker.models import Attachment, Event, Issue

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("digest_worker"),
]


def stored(project, n):
    return lambda: Event.objects.filter(project=project).count() >= n


def test_python_sdk_exception_message_and_attachment(errata_server, project):
    dsn = dsn_for(errata_server, project)
    run_python_sdk(dsn, """
        def checkout(cart):
            return sum(cart) / len(cart)
        try:
            checkout([])
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
        sentry_sdk.capture_message("Payment failed for order A-1001")
        with sentry_sdk.new_scope() as scope:
            scope.add_attachment(bytes=b"hello attachment", filename="notes.txt")
            sentry_sdk.capture_message("with attachment")
    """)
    wait_until(stored(project, 3))
    wait_until(lambda: Attachment.objects.filter(project=project).exists())
    titles = set(Issue.objects.filter(project=project).values_list("title", flat=True))
    assert "ZeroDivisionError: division by zero" in titles
    assert "Payment failed for order A-1001" in titles
    attachment = Attachment.objects.get(project=project)
    assert attachment.name == "notes.txt"
    with attachment.file.open("rb") as f:
        assert f.read() == b"hello attachment"


@pytest.mark.parametrize("compression", ["br", "gzip"])
def test_python_sdk_transport_compression(errata_server, project, compression):
    dsn = dsn_for(errata_server, project)
    options = f'_experiments={{"transport_compression_algo": "{compression}"}}'
    run_python_sdk(dsn, 'sentry_sdk.capture_message("compressed " + "x" * 5000)',
                   init=options)
    wait_until(stored(project, 1))


def test_node_sdk_exception(errata_server, project):
    dsn = dsn_for(errata_server, project)
    run_node_sdk(dsn, """
        try { JSON.parse("{not json"); } catch (e) { Sentry.captureException(e); }
        Sentry.captureMessage("hello from node");
    """)
    wait_until(stored(project, 2))
    titles = set(Issue.objects.filter(project=project).values_list("title", flat=True))
    assert any(t.startswith("SyntaxError") for t in titles), titles
    assert "hello from node" in titles
