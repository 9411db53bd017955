import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_wsgi_application()

from tracker.server import gc_tuning  # noqa: E402

gc_tuning.tune_after_startup()
