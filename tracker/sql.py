"""Multi-row statements: the one place that builds them.

Ingest, the digest and the domain write many rows at once (inbox rows, events, counters,
outcomes). Each such statement is built here, so every one of them gets the fast form on
PostgreSQL and a portable one elsewhere, and no VALUES list is assembled by hand anywhere else.

PostgreSQL gets one array per column (`SELECT * FROM unnest(%b::bigint[], ...)`): a dozen
parameters whatever the number of rows, where a VALUES list has one per cell, and parsing and
adapting those (on both sides) cost more than the insert itself for the digest's wide
batches. Other databases get the VALUES list, and so does a caller that asks for it
(`arrays=False`): for the inbox's batches of a few large rows, PostgreSQL spends more per row
unpacking arrays than parsing a short VALUES list (bench/README.md).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import cast

import psycopg
from django.db import connection, models
from psycopg.types.json import Jsonb

from tracker import fastjson
from tracker.fields import JSONTextField


def fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    """Concrete fields by name or column name (`project` or `project_id`)."""
    return [cast(models.Field, model._meta.get_field(name)) for name in names]


def columns(field_list: Sequence[models.Field]) -> str:
    """The column names, quoted the SQL standard's way (PostgreSQL and SQLite both read it;
    no connection needed, which the event loop's writer must not touch): a column may be
    named like a keyword (`order`)."""
    return ", ".join(f'"{f.column}"' for f in field_list)


def rows_source(
    field_list: Sequence[models.Field], rows: Sequence[Sequence], *, vendor: str | None = None,
    arrays: bool = True,
) -> tuple[str, list]:
    """The rows as a table expression, and its params. Values must be adapted (prep_rows)."""
    vendor = vendor or connection.vendor
    if vendor == "postgresql" and arrays:
        casts = _array_casts(tuple(field_list))
        arrays = [list(column) for column in zip(*rows, strict=True)]
        return f"SELECT * FROM unnest({casts})", arrays  # noqa: S608 - column types only
    return _values_list(len(field_list), len(rows)), [value for row in rows for value in row]


@functools.cache
def _values_list(width: int, rows: int) -> str:
    placeholder = "(" + ", ".join(["%s"] * width) + ")"
    return f"VALUES {', '.join([placeholder] * rows)}"


@functools.cache
def _array_casts(field_list: tuple[models.Field, ...]) -> str:
    # Cached: the event loop's writer must not reach Django's context-local connection per
    # batch.
    return ", ".join(f"%b::{f.db_type(connection)}[]" for f in field_list)


def prep_rows(
    field_list: Sequence[models.Field], rows: Sequence[Sequence], *, vendor: str | None = None
) -> list[Sequence]:
    """Rows adapted for rows_source. On PostgreSQL psycopg adapts plain values itself and
    JSON is written by orjson; elsewhere Django's fields do it (SQLite stores datetimes as
    text, for one). Relations pass as they are (their ids). The vendor is passed in by the
    event loop's writer, which must not touch Django's context-local connection."""
    vendor = vendor or connection.vendor
    if vendor != "postgresql":
        return [
            tuple(v if f.is_relation else f.get_db_prep_save(v, connection)
                  for f, v in zip(field_list, row, strict=True))
            for row in rows
        ]
    json_columns = [i for i, f in enumerate(field_list) if isinstance(f, models.JSONField)]
    text_columns = [i for i, f in enumerate(field_list) if isinstance(f, JSONTextField)]
    if not json_columns and not text_columns:
        return list(rows)
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


def cursor(arrays: bool = True):
    """A cursor for these statements. For arrays on PostgreSQL, psycopg's server-side binding
    one: parameters travel apart from the SQL, arrays in binary, where Django's client-side
    binding cursor would quote every array element into the SQL text in Python."""
    if connection.vendor == "postgresql" and arrays:
        connection.ensure_connection()
        return psycopg.Cursor(connection.connection)
    return connection.cursor()


def insert_statement(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence], *,
    on_conflict: str = "", returning: str = "", vendor: str | None = None, arrays: bool = True,
) -> tuple[str, list]:
    """`INSERT INTO table (names) <rows> [ON CONFLICT ...] [RETURNING ...]` and its params.

    `on_conflict` is the clause after ON CONFLICT, `{t}` standing for the table."""
    field_list = fields(model, names)
    source, params = rows_source(field_list, prep_rows(field_list, rows, vendor=vendor),
                                 vendor=vendor, arrays=arrays)
    table = model._meta.db_table
    statement = f"INSERT INTO {table} ({columns(field_list)}) {source}"
    if on_conflict:
        statement += f" ON CONFLICT {on_conflict.format(t=table)}"
    if returning:
        statement += f" RETURNING {returning}"
    return statement, params


def insert(
    model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence], *,
    on_conflict: str = "", returning: str = "", arrays: bool = True,
) -> list[tuple]:
    """Insert the rows in one statement; the RETURNING rows, if asked for."""
    if not rows:
        return []
    statement, params = insert_statement(model, names, rows, on_conflict=on_conflict,
                                         returning=returning, arrays=arrays)
    with cursor(arrays) as c:
        c.execute(statement, params)
        return list(c.fetchall()) if returning else []


def add(model: type[models.Model], names: Sequence[str], rows: Sequence[Sequence], *,
        key: Sequence[str], sums: Sequence[str], also: str = "") -> None:
    """Upsert counters: insert the rows, or add their `sums` columns to the existing row.

    Concurrent writers add to the same row, never overwrite it. Callers pass rows sorted by
    key, so that concurrent batches take row locks in the same order. `also` appends more
    assignments (`{t}` the table, `excluded` the new row)."""
    assignments = [f"{c} = {{t}}.{c} + excluded.{c}" for c in sums]
    if also:
        assignments.append(also)
    insert(model, names, rows,
           on_conflict=f"({', '.join(key)}) DO UPDATE SET {', '.join(assignments)}")


def with_rows(name: str, aliases: Sequence[str], field_list: Sequence[models.Field],
              rows: Sequence[Sequence]) -> tuple[str, list]:
    """`WITH name (aliases) AS (<rows>)`, to join rows into an UPDATE; typed by `field_list`
    (a column of the same type for each alias), as PostgreSQL needs."""
    source, params = rows_source(field_list, prep_rows(field_list, rows))
    return f"WITH {name} ({', '.join(aliases)}) AS ({source}) ", params
