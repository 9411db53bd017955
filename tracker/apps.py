from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Errata"

    def ready(self) -> None:
        from tracker import artifact_bundles, attachment_files

        attachment_files.connect()
        artifact_bundles.connect()
