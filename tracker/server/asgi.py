"""Django's ASGI application, for ASGI servers (production runs tracker.server.rsgi on granian).

Served this way, ingest goes through Django's views (ingest/views.py) like any page: correct,
but without the event-loop fast path of ingest/rsgi.py.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")
application = get_asgi_application()
