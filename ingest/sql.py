"""Small helpers for the few hand-written statements on hot paths."""

from __future__ import annotations

from typing import cast

from django.db import models


def fields(model: type[models.Model], names: tuple[str, ...]) -> list[models.Field]:
    """Concrete fields by name, typed as such (get_field may also return relations)."""
    return [cast(models.Field, model._meta.get_field(name)) for name in names]


def columns(field_list: list[models.Field]) -> str:
    return ", ".join(str(f.column) for f in field_list)
