"""lz4 instead of pglz for the large columns (PostgreSQL 14+ built with lz4); for migrations.

Payloads are written once per event, in batches; pglz made compressing them a large part of
the database's cost per event. Servers without lz4 keep pglz: the statement fails inside a
savepoint and nothing else changes. Other databases are left alone.
"""

from django.db import transaction
from django.db.utils import DatabaseError


def use_lz4(schema_editor, table: str, column: str) -> None:
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE {schema_editor.quote_name(table)} "
                f"ALTER COLUMN {schema_editor.quote_name(column)} SET COMPRESSION lz4"
            )
    except DatabaseError:
        pass
