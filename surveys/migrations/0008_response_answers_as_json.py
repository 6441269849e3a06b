"""A response's answers as PostgreSQL `json` rather than `jsonb` (sipas.fields.JSONTextField): written once, read
whole. Copying a million responses in spent more time in PostgreSQL parsing each row's answers into jsonb than
in anything else (a plain COPY of 1M rows: 16 s into jsonb, 9.7 s into json; the importer's database CPU
23.0 s -> 19.8 s).

On PostgreSQL the column is rewritten (`USING answers::json`, and back with `USING answers::jsonb`), under an
exclusive lock on the table for the time of the rewrite; elsewhere the column does not change. The trigger
function that compares answers (sipas_response_changed, reports 0002 and 0004) cannot compare json: reports
0006, which depends on this migration, replaces it before anything updates a response (PL/pgSQL resolves the
comparison when the trigger runs, not here)."""

from django.db import migrations

import sipas.fields


def column_type(name):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"ALTER TABLE surveys_response ALTER COLUMN answers TYPE {name} USING answers::{name}"
            )

    return apply


class Migration(migrations.Migration):
    dependencies = [("surveys", "0007_response_participant_key")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(column_type("json"), column_type("jsonb"))],
            state_operations=[
                migrations.AlterField(
                    model_name="response",
                    name="answers",
                    field=sipas.fields.JSONTextField(default=dict),
                ),
            ],
        ),
    ]
