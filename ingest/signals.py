"""Drop cached key verdicts when what they were built from changes."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from ingest import keys
from tracker.models import Organization, Project, ProjectKey


def _key_changed(sender, instance: ProjectKey, **kwargs):
    keys.forget([instance.public_key])


def _project_changed(sender, instance: Project, **kwargs):
    keys.forget(
        ProjectKey.objects.filter(project_id=instance.pk).values_list("public_key", flat=True)
    )


def _org_changed(sender, instance: Organization, **kwargs):
    keys.forget(
        ProjectKey.objects.filter(project__organization_id=instance.pk).values_list(
            "public_key", flat=True
        )
    )


def connect() -> None:
    for signal in (post_save, post_delete):
        signal.connect(_key_changed, sender=ProjectKey, dispatch_uid="ingest-key")
        signal.connect(_project_changed, sender=Project, dispatch_uid="ingest-project")
        signal.connect(_org_changed, sender=Organization, dispatch_uid="ingest-org")
