"""The Celery application: configured from Django settings (the CELERY_ prefix)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("errata")
app.config_from_object("django.conf:settings", namespace="CELERY")


def route_to_configured_queue(name, args, kwargs, options, task=None, **kw):
    """Every task goes to CELERY_QUEUE, read when it is sent: installs sharing a broker keep
    apart, and so do test runs, which switch it per test."""
    from django.conf import settings

    return {"queue": settings.CELERY_TASK_DEFAULT_QUEUE}


app.conf.task_routes = (route_to_configured_queue,)
app.autodiscover_tasks()


@worker_process_init.connect
def _tune_worker_process(**kwargs) -> None:
    from tracker import gc_tuning

    gc_tuning.tune_after_startup()
