"""Tell PostgreSQL's planner how tag keys and values go together.

Without it the planner multiplies the selectivities of `key = 'environment'` and
`value = 'staging'` as if independent, guesses a few hundred matching rows where there are
tens of thousands, and drives tag-filtered issue lists from the tag table (hundreds of ms on
a million events) instead of probing the (issue, key, value) index per issue (a few ms).
Extended statistics have no model-level form in Django, hence this hand-written migration.
"""

from django.db import migrations

STATISTICS = "tracker_issuetag_key_value_stats"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} (mcv, dependencies) "
            "ON key, value FROM tracker_issuetag"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):
    dependencies = [("tracker", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
