# The real SMTP server of the alert tests: invitations and password resets are mailed to it.
from tests.alerts.conftest import _smtp_server, smtp  # noqa: F401
