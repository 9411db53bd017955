import pytest

from tests.alerts.servers import SMTPServer


@pytest.fixture(scope="session")
def _smtp_server():
    with SMTPServer() as server:
        yield server


@pytest.fixture
def smtp(_smtp_server, settings):
    """A real SMTP server; Django's mail goes to it for the test (in this process, which is
    where the digest worker runs the pipeline, the rules and the deliveries)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _smtp_server.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    _smtp_server.inbox.clear()
    yield _smtp_server.inbox
    _smtp_server.inbox.clear()


@pytest.fixture
def evaluations():
    from tests.alerts.helpers import Evaluations

    recorder = Evaluations()
    yield recorder
    recorder.close()
