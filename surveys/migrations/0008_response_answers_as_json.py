"""A response's answers as PostgreSQL `json` rather than `jsonb`: written once, read whole. Copying a million
responses in spent more time in PostgreSQL parsing each row's answers into jsonb than in anything else (a plain
COPY of 1M rows: 16 s into jsonb, 9.7 s into json).

The column is rewritten (`USING answers::json`, and back with `USING answers::jsonb`), under an exclusive lock on
the table for the time of the rewrite. Django's state keeps models.JSONField: the field stayed a JSONField, only
the column's type changed. Migration 0010 turns the column back into jsonb, which is what JSONField declares. The
trigger function that compares answers (sipas_response_changed, reports 0002 and 0004) cannot compare json:
reports 0006, which depends on this migration, replaces it before anything updates a response."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("surveys", "0007_response_participant_key")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE surveys_response ALTER COLUMN answers TYPE json USING answers::json",
            "ALTER TABLE surveys_response ALTER COLUMN answers TYPE jsonb USING answers::jsonb",
        ),
    ]
