"""The Celery application: configured from Django settings (the CELERY_ prefix)."""

import os

from celery import Celery
from celery.signals import worker_process_init
from django.conf import settings

from tracker.server import gc_tuning

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("errata")
app.config_from_object("django.conf:settings", namespace="CELERY")


def route_to_configured_queue(name, args, kwargs, options, task=None, **kw):
    """Every task goes to CELERY_QUEUE, read when it is sent: installs sharing a broker keep
    apart, and so do test runs, which switch it per test."""
    return {"queue": settings.CELERY_TASK_DEFAULT_QUEUE}


app.conf.task_routes = (route_to_configured_queue,)
app.autodiscover_tasks()
# The digest's tasks live in ingest/digest/, not in the app's tasks module: name the package.
# The web side never imports them; it sends the digest task by name (ingest/inbox/wake.py).
app.autodiscover_tasks(["ingest.digest"])


@worker_process_init.connect
def _tune_worker_process(**kwargs) -> None:
    gc_tuning.tune_after_startup()
