"""Event data as JSON text instead of jsonb (see tracker.fields.JSONTextField).

The column is rewritten once (`USING data::text`); its lz4 compression is set again in case
the rewrite dropped it.
"""

from django.db import migrations

import tracker.fields
from tracker.compression import use_lz4


def compress_event_data(apps, schema_editor):
    use_lz4(schema_editor, "tracker_event", "data")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0004_event_data_lz4")]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="data",
            field=tracker.fields.JSONTextField(default=dict),
        ),
        migrations.RunPython(compress_event_data, migrations.RunPython.noop, elidable=True),
    ]
