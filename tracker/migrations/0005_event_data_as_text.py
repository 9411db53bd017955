"""Event data as JSON text instead of jsonb (see tracker.fields.JSONTextField).

The column is rewritten once (`USING data::text`); its lz4 compression is set again in case
the rewrite dropped it.
"""

import importlib

from django.db import migrations

import tracker.fields

_lz4 = importlib.import_module("tracker.migrations.0004_event_data_lz4")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0004_event_data_lz4")]

    operations = [
        migrations.AlterField(
            model_name="event",
            name="data",
            field=tracker.fields.JSONTextField(default=dict),
        ),
        migrations.RunPython(_lz4.use_lz4, migrations.RunPython.noop, elidable=True),
    ]
