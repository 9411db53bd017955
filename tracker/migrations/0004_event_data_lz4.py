"""Compress stored event data with lz4 instead of pglz (see tracker/compression.py).

Event JSON is written once per event by the pipeline, in batches; pglz made compressing it
a large part of the database's cost per event.
"""

from django.db import migrations

from tracker.compression import use_lz4


def compress_event_data(apps, schema_editor):
    use_lz4(schema_editor, "tracker_event", "data")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0003_issue_status_last_seen")]

    operations = [
        migrations.RunPython(compress_event_data, migrations.RunPython.noop, elidable=True)
    ]
