"""The Celery application: configured from Django settings (the CELERY_ prefix)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("errata")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
