from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Errata"

    def ready(self) -> None:
        from tracker import attachment_files

        attachment_files.connect()
