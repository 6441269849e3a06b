"""Responses stored plainly (issue 15): answers as jsonb, what Django's JSONField declares; the participant rule
as a declared composite foreign key again instead of the triggers of 0009 and their bypass setting; the four
optional references (service point, link, entered by, decided by) with their foreign-key constraints back; and
no tally_epoch on campaigns.

Before anything changes, the migration stops with a clear message if a stored response belongs to an agency that
is not surveyed in its campaign (the key would refuse it). An optional reference to a row that no longer exists
(possible while the constraint was missing) is cleared, as on_delete=SET_NULL would have cleared it.

The answers column is rewritten (`USING answers::jsonb`) under an exclusive lock on the table for the time of
the rewrite; each row's text is parsed into jsonb (keys in jsonb's order; a key written twice keeps its last
value), so the values read back are the ones written.
"""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CONSTRAINT = "response_participant_fk"
triggers = importlib.import_module("surveys.migrations.0009_participant_key_as_triggers")
participant_key = importlib.import_module("surveys.migrations.0007_response_participant_key")

OPTIONAL_REFERENCES = ("service_point", "link", "entered_by", "decided_by")


def clear_dangling_references(apps, schema_editor):
    """Clear the optional references whose row is gone, as on_delete=SET_NULL would have cleared them."""
    Response = apps.get_model("surveys", "Response")
    for name in OPTIONAL_REFERENCES:
        field = Response._meta.get_field(name)
        exists = field.related_model.objects.filter(pk=models.OuterRef(field.attname))
        Response.objects.filter(**{f"{name}__isnull": False}).exclude(models.Exists(exists)).update(**{name: None})


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0002_agency_search_text"),
        ("surveys", "0009_participant_key_as_triggers"),
        # reports 0008 drops the tally triggers, which write the tally_epoch column this migration removes.
        ("reports", "0008_plain_counts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE surveys_response ALTER COLUMN answers TYPE jsonb USING answers::jsonb",
            "ALTER TABLE surveys_response ALTER COLUMN answers TYPE json USING answers::json",
        ),
        migrations.RunPython(participant_key.refuse_orphans, migrations.RunPython.noop),
        migrations.RunPython(clear_dangling_references, migrations.RunPython.noop),
        migrations.RunSQL(
            [triggers.DROP, triggers.ADD_KEY],
            [f"ALTER TABLE surveys_response DROP CONSTRAINT {CONSTRAINT}", triggers.CREATE],
        ),
        migrations.AlterField(
            model_name="response",
            name="service_point",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                to="agencies.servicepoint",
            ),
        ),
        migrations.AlterField(
            model_name="response",
            name="link",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="responses",
                to="surveys.surveylink",
            ),
        ),
        migrations.AlterField(
            model_name="response",
            name="entered_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="entered_responses",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="response",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="decided_responses",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RemoveField(model_name="campaign", name="tally_epoch"),
    ]
