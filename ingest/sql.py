"""Small helpers for the few hand-written statements on hot paths."""

from __future__ import annotations

from typing import cast

import psycopg
from django.db import connection, models
from psycopg.types.json import Jsonb

from tracker import fastjson
from tracker.fields import JSONTextField


def fields(model: type[models.Model], names: tuple[str, ...]) -> list[models.Field]:
    """Concrete fields by name, typed as such (get_field may also return relations)."""
    return [cast(models.Field, model._meta.get_field(name)) for name in names]


def columns(field_list: list[models.Field]) -> str:
    return ", ".join(str(f.column) for f in field_list)


def rows_source(field_list: list[models.Field], rows: list[tuple]) -> tuple[str, list]:
    """The rows of a multi-row INSERT, as SQL to put after the column list, and its params.

    PostgreSQL gets one array per column (`SELECT * FROM unnest(%s::bigint[], ...)`): a
    dozen parameters whatever the number of rows, where a VALUES list has one per cell, and
    parsing and adapting those (on both sides) cost more than the insert itself. Other
    databases get the VALUES list. Values must already be adapted (get_db_prep_save).
    """
    if connection.vendor == "postgresql":
        casts = ", ".join(f"%b::{f.db_type(connection)}[]" for f in field_list)
        columns = [list(column) for column in zip(*rows, strict=True)]
        return f"SELECT * FROM unnest({casts})", columns  # noqa: S608 - column types only
    placeholder = "(" + ", ".join(["%s"] * len(field_list)) + ")"
    return (f"VALUES {', '.join([placeholder] * len(rows))}",
            [value for row in rows for value in row])


def cursor():
    """A cursor for statements built by rows_source. On PostgreSQL, psycopg's server-side
    binding one: parameters travel apart from the SQL, arrays in binary, where Django's
    client-side binding cursor would quote every array element into the SQL text in Python.
    """
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        return psycopg.Cursor(connection.connection)
    return connection.cursor()


def prep_rows(field_list: list[models.Field], rows: list[tuple]) -> list[tuple]:
    """Rows adapted for rows_source. On PostgreSQL psycopg adapts plain values itself and
    JSON is written by orjson; elsewhere Django's fields do it (SQLite stores datetimes as
    text, for one). Relations pass as they are (their ids). The database is looked up once
    per batch: Django's connection proxy costs microseconds per access."""
    if connection.vendor != "postgresql":
        return [
            tuple(v if f.is_relation else f.get_db_prep_save(v, connection)
                  for f, v in zip(field_list, row, strict=True))
            for row in rows
        ]
    json_columns = [i for i, f in enumerate(field_list) if isinstance(f, models.JSONField)]
    text_columns = [i for i, f in enumerate(field_list) if isinstance(f, JSONTextField)]
    if not json_columns and not text_columns:
        return rows
    prepared = []
    for row in rows:
        values = list(row)
        for i in json_columns:
            if values[i] is not None:
                values[i] = Jsonb(values[i], dumps=fastjson.dumps)
        for i in text_columns:
            if values[i] is not None:
                values[i] = fastjson.dumps(values[i])
        prepared.append(tuple(values))
    return prepared

