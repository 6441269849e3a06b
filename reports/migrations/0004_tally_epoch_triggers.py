"""The triggers of 0002 also raise the campaign's tally_epoch when a stored response is deleted or changed.

A computation reads a campaign's responses in one snapshot and stores the tally it closed afterwards, under a
lock on the campaign row. A response deleted or changed in between would otherwise leave that tally counting
it: the trigger now raises the epoch on the campaign row (which waits for, and then blocks, the lock a tally
is stored under), and a tally is stored only if the epoch is still the one its snapshot saw."""

from django.db import migrations

TRIGGERS = """
CREATE OR REPLACE FUNCTION sipas_response_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH bumped AS (
        UPDATE surveys_campaign SET tally_epoch = tally_epoch + 1
        WHERE id IN (SELECT DISTINCT campaign_id FROM old_rows) RETURNING id
    )
    DELETE FROM reports_counttally WHERE campaign_id IN (SELECT id FROM bumped);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION sipas_response_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (
        SELECT o.campaign_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.answers IS DISTINCT FROM o.answers OR n.agency_id <> o.agency_id OR n.campaign_id <> o.campaign_id
        UNION
        SELECT n.campaign_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.campaign_id <> o.campaign_id
    ), bumped AS (
        UPDATE surveys_campaign SET tally_epoch = tally_epoch + 1
        WHERE id IN (SELECT campaign_id FROM changed) RETURNING id
    )
    DELETE FROM reports_counttally WHERE campaign_id IN (SELECT id FROM bumped);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION sipas_responses_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE surveys_campaign SET tally_epoch = tally_epoch + 1;
    DELETE FROM reports_counttally;
    RETURN NULL;
END $$;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION sipas_response_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM reports_counttally WHERE campaign_id IN (SELECT DISTINCT campaign_id FROM old_rows);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION sipas_response_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM reports_counttally WHERE campaign_id IN (
        SELECT o.campaign_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE n.answers IS DISTINCT FROM o.answers OR n.agency_id <> o.agency_id OR n.campaign_id <> o.campaign_id
        UNION
        SELECT n.campaign_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.campaign_id <> o.campaign_id
    );
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION sipas_responses_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM reports_counttally;
    RETURN NULL;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0003_results_storage"), ("surveys", "0006_campaign_tally_epoch")]

    operations = [migrations.RunSQL(TRIGGERS, PREVIOUS)]
