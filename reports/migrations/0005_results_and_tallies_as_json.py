"""Results' figures and counts and a tally's counts as PostgreSQL `json` rather than `jsonb`: JSON written once
and only ever read whole (turned back into jsonb by 0008_plain_counts; the models kept Django's JSONField).

Changing a column's type drops its compression method: lz4 is set again where 0003 had set it, and on the
tally's counts too (both ways where 0003 had it)."""

from django.db import migrations

COLUMNS = [("reports_agencyresult", "counts"), ("reports_agencyresult", "figures"), ("reports_counttally", "agencies")]
LZ4_BEFORE = [("reports_agencyresult", "figures"), ("reports_agencyresult", "counts")]  # set by 0003
LZ4_AFTER = [*LZ4_BEFORE, ("reports_counttally", "agencies")]


def retype(target: str, lz4_columns):
    def apply(apps, schema_editor):
        for table, column in COLUMNS:
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {target} USING {column}::{target}")
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
            )
            if cursor.fetchone() is None:  # a server built without lz4 keeps pglz
                return
        for table, column in lz4_columns:
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")

    return apply


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_tally_epoch_triggers")]

    operations = [migrations.RunPython(retype("json", LZ4_AFTER), retype("jsonb", LZ4_BEFORE))]
