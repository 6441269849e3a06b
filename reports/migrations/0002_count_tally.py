"""Tallies of aggregate counts, and the PostgreSQL triggers that kept them true (removed by 0008_plain_counts)."""

import django.db.models.deletion
from django.db import migrations, models


# The advisory lock every statement inserting responses holds (shared) until its transaction ends; a
# computation takes it exclusively, for an instant, to find the id below which no insert is in flight.
# The same number is reports.services.tallies.RESPONSE_WRITE_LOCK.
RESPONSE_WRITE_LOCK = 5_119_200_017

TRIGGERS = f"""
CREATE FUNCTION sipas_response_write_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared({RESPONSE_WRITE_LOCK});
    RETURN NULL;
END $$;
CREATE TRIGGER response_write_lock BEFORE INSERT ON surveys_response
    FOR EACH STATEMENT EXECUTE FUNCTION sipas_response_write_lock();

CREATE FUNCTION sipas_response_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM reports_counttally WHERE campaign_id IN (SELECT DISTINCT campaign_id FROM old_rows);
    RETURN NULL;
END $$;
CREATE TRIGGER response_deleted AFTER DELETE ON surveys_response
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sipas_response_deleted();

CREATE FUNCTION sipas_response_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM reports_counttally WHERE campaign_id IN (
        SELECT o.campaign_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.answers IS DISTINCT FROM o.answers OR n.agency_id <> o.agency_id OR n.campaign_id <> o.campaign_id
        UNION
        SELECT n.campaign_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.campaign_id <> o.campaign_id
    );
    RETURN NULL;
END $$;
CREATE TRIGGER response_changed AFTER UPDATE ON surveys_response
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION sipas_response_changed();

CREATE FUNCTION sipas_responses_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM reports_counttally;
    RETURN NULL;
END $$;
CREATE TRIGGER responses_truncated AFTER TRUNCATE ON surveys_response
    FOR EACH STATEMENT EXECUTE FUNCTION sipas_responses_truncated();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS response_write_lock ON surveys_response;
DROP TRIGGER IF EXISTS response_deleted ON surveys_response;
DROP TRIGGER IF EXISTS response_changed ON surveys_response;
DROP TRIGGER IF EXISTS responses_truncated ON surveys_response;
DROP FUNCTION IF EXISTS sipas_response_write_lock();
DROP FUNCTION IF EXISTS sipas_response_deleted();
DROP FUNCTION IF EXISTS sipas_response_changed();
DROP FUNCTION IF EXISTS sipas_responses_truncated();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
        ("surveys", "0005_response_excluded_idx"),
    ]

    operations = [
        migrations.CreateModel(
            name="CountTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("plan_key", models.CharField(max_length=64, verbose_name="aggregation")),
                ("upto", models.BigIntegerField(verbose_name="responses up to id")),
                ("rows", models.BigIntegerField(verbose_name="responses")),
                ("id_sum", models.BigIntegerField()),
                ("id_max", models.BigIntegerField()),
                ("names", models.JSONField()),
                ("agencies", models.JSONField()),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="count_tallies", to="surveys.campaign"
                    ),
                ),
            ],
            options={
                "verbose_name": "count tally",
                "verbose_name_plural": "count tallies",
                "constraints": [models.UniqueConstraint(fields=("campaign", "plan_key"), name="one_tally_per_plan")],
            },
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
