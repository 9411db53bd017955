"""`manage.py run`: web server, Celery worker and Celery beat in the foreground (see
tracker/server/run.py)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from tracker.server import run


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat until interrupted."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=settings.PORT)
        parser.add_argument("--web-workers", type=int, default=2)

    def handle(self, *args, **options):
        run.supervise(run.processes(port=options["port"], web_workers=options["web_workers"]),
                      self.stderr.write)
