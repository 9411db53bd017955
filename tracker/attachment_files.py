"""Attachment files in storage go when their rows go, once the deletion has committed.

Attachment rows are deleted in several ways: an issue deleted (tracker.actions), a project
or an organization deleted (the admin's cascade), retention (tracker.retention). A
post_delete receiver sees every one of them, cascades included, so no path can leave its
files behind to fill the disk. The file is deleted only after the transaction commits: a
rolled-back deletion keeps its rows, and they must keep their files.
"""

from __future__ import annotations

import logging

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete

from tracker.models import Attachment

logger = logging.getLogger(__name__)


def delete_file(name: str) -> None:
    """Delete one stored file; a failure is logged, never raised: the row is gone already,
    and a leftover file costs disk, not correctness."""
    try:
        default_storage.delete(name)
    except Exception:
        logger.warning("could not delete attachment file %s", name, exc_info=True)


def _attachment_deleted(sender, instance: Attachment, using: str, **kwargs) -> None:
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: delete_file(name), using=using)


def connect() -> None:
    """Called once, by the app's ready()."""
    post_delete.connect(_attachment_deleted, sender=Attachment,
                        dispatch_uid="tracker.attachment_files")
