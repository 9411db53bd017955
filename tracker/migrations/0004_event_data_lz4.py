"""Compress stored event data with lz4 instead of pglz (PostgreSQL 14+ built with lz4).

Event JSON is written once per event by the pipeline, in batches; pglz made compressing it
a large part of the database's cost per event. Servers without lz4 keep pglz: the statement
fails inside a savepoint and nothing else changes. (Same as ingest.0002 for the inbox.)
"""

from django.db import migrations, transaction
from django.db.utils import DatabaseError


def use_lz4(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE tracker_event ALTER COLUMN data SET COMPRESSION lz4")
    except DatabaseError:
        pass


class Migration(migrations.Migration):
    dependencies = [("tracker", "0003_issue_status_last_seen")]

    operations = [migrations.RunPython(use_lz4, migrations.RunPython.noop, elidable=True)]
