"""Results' figures and counts and a tally's counts as PostgreSQL `json` rather than `jsonb`
(reports.models.fields.JSONTextField): JSON written once and only ever read whole.

A run of a thousand agencies writes about 6 MB of JSON by COPY, and parsing it into jsonb was most of that write
(measured in psql, the same rows: 0.20 s into jsonb, 0.075 s into json); reading a tally's megabyte of counts
printed jsonb back to text (0.025 s; as json, 0.005 s). Changing a column's type drops its compression method:
lz4 is set again where 0003 had set it, and on the tally's counts too (both ways where 0003 had it)."""

from django.db import migrations

import reports.models.fields

LZ4_BEFORE = [("reports_agencyresult", "figures"), ("reports_agencyresult", "counts")]  # set by 0003
LZ4_AFTER = [*LZ4_BEFORE, ("reports_counttally", "agencies")]


def lz4(columns):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
            )
            if cursor.fetchone() is None:  # a server built without lz4 keeps pglz
                return
        for table, column in columns:
            schema_editor.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION lz4")

    return apply


class Migration(migrations.Migration):
    dependencies = [("reports", "0004_tally_epoch_triggers")]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, lz4(LZ4_BEFORE)),  # backwards: once they are jsonb again
        migrations.AlterField(
            model_name="agencyresult",
            name="counts",
            field=reports.models.fields.JSONTextField(verbose_name="counts"),
        ),
        migrations.AlterField(
            model_name="agencyresult",
            name="figures",
            field=reports.models.fields.JSONTextField(verbose_name="figures"),
        ),
        migrations.AlterField(
            model_name="counttally",
            name="agencies",
            field=reports.models.fields.JSONTextField(decoder=reports.models.fields.IntegerJSONDecoder),
        ),
        migrations.RunPython(lz4(LZ4_AFTER), migrations.RunPython.noop),
    ]
