"""Compress inbox payloads with lz4 instead of pglz (see tracker/compression.py).

Every accepted event is written once and read once; PostgreSQL compresses payloads over
2 kB, and pglz is slow enough to double the database's cost per event.
"""

from django.db import migrations

from tracker.compression import use_lz4


def compress_payload(apps, schema_editor):
    use_lz4(schema_editor, "ingest_inboxitem", "payload")


class Migration(migrations.Migration):
    dependencies = [("ingest", "0001_initial")]

    operations = [migrations.RunPython(compress_payload, migrations.RunPython.noop, elidable=True)]
