"""DSN keys: create, enable or disable, rotate.

Every change goes through `save()`: ingest caches key verdicts and drops them on the
post_save signal, so a disabled key stops working within seconds. A `QuerySet.update()`
would skip that signal and leave the old verdict cached.
"""

from __future__ import annotations

from django.db import transaction

from tracker.models import Project, ProjectKey


def create_key(
    project: Project, label: str, *, rate_limit_count: int | None = None,
    rate_limit_window: int = 60,
) -> ProjectKey:
    return ProjectKey.objects.create(
        project=project, label=label or "Default", rate_limit_count=rate_limit_count,
        rate_limit_window=rate_limit_window,
    )


def set_key_active(key: ProjectKey, active: bool) -> None:
    if key.is_active != active:
        key.is_active = active
        key.save(update_fields=["is_active"])


def set_rate_limit(key: ProjectKey, count: int | None, window: int) -> None:
    key.rate_limit_count = count
    key.rate_limit_window = window
    key.save(update_fields=["rate_limit_count", "rate_limit_window"])


@transaction.atomic
def rotate_key(key: ProjectKey) -> ProjectKey:
    """A new key with the old one's label and limits; the old one is disabled, not deleted,
    so it can be re-enabled if a client still needs it."""
    new = create_key(
        key.project, key.label, rate_limit_count=key.rate_limit_count,
        rate_limit_window=key.rate_limit_window,
    )
    set_key_active(key, False)
    return new


def delete_key(key: ProjectKey) -> None:
    """Disabled first, through save(), so ingest's cached verdict is dropped; then gone."""
    set_key_active(key, False)
    key.delete()
