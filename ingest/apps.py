from django.apps import AppConfig


class IngestConfig(AppConfig):
    name = "ingest"
    verbose_name = "Ingest"

    def ready(self):
        # Here, not at the top: signals uses tracker's models, which load after this module.
        from ingest import signals

        signals.connect()
