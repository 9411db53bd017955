"""Model fields of our own."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from tracker.fastjson import dumps, loads


class JSONTextField(models.TextField):
    """JSON kept as text: Python sees dicts and lists, the database a string.

    For event payloads, which are written once per event, read whole, and never queried
    inside by SQL. PostgreSQL's jsonb would parse and rebuild every payload on the way in
    (a fifth of the database's work per digested event, bench/README.md) and print it again
    on the way out; text is stored as it comes, still lz4-compressed (tracker.0004).
    """

    description = "JSON stored as text"

    def from_db_value(self, value, expression, connection) -> Any:
        return None if value is None else loads(value)

    def to_python(self, value) -> Any:
        return loads(value) if isinstance(value, str) else value

    def get_prep_value(self, value) -> str | None:
        return None if value is None else dumps(value)

    def value_to_string(self, obj) -> str:
        return dumps(self.value_from_object(obj))

    def formfield(self, **kwargs):
        return models.Field.formfield(self, **{"form_class": forms.JSONField, **kwargs})
