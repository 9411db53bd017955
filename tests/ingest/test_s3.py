"""Attachments on S3-compatible storage, configured by settings alone (moto's server)."""

import socket
import subprocess
import sys
import time
import urllib.request

import boto3
import pytest

from tests.ingest.helpers import digest_all, event_envelope, exception_event, post
from tracker.models import Attachment, Event

CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test",
               "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p",
                             str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                raise
            time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_attachments_are_stored_in_the_bucket(client, project, settings, s3_endpoint):
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    s3.create_bucket(Bucket="errata-attachments")
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {"bucket_name": "errata-attachments", "endpoint_url": s3_endpoint,
                    "access_key": "test", "secret_key": "test", "region_name": "us-east-1",
                    "default_acl": None, "file_overwrite": True},
    }}
    body = event_envelope(exception_event(),
                          attachments=[("report.json", b'{"ok": true}', "event.attachment")])
    assert post(client, project, body).status_code == 200
    digest_all()
    assert Event.objects.count() == 1
    attachment = Attachment.objects.get()
    stored = s3.get_object(Bucket="errata-attachments", Key=attachment.file.name)
    assert stored["Body"].read() == b'{"ok": true}'
