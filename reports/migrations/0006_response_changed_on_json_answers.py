"""The trigger function of 0004 that drops a campaign's tally when a stored response changes, comparing the
answers as `json` (surveys 0008): json has no equality operator, so 0004's `n.answers IS DISTINCT FROM
o.answers` would fail on the first UPDATE of a response.

Answers are compared as jsonb compared them: equal text is equal JSON, and different text (other spacing, key
order, 4 written as 4.0, ...) is parsed into jsonb, that row's old and new answers only, to be compared
as values. An UPDATE that writes the same answers again therefore keeps the tally, as it did."""

from django.db import migrations

CHANGED = """
CREATE OR REPLACE FUNCTION sipas_response_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH changed AS (
        SELECT o.campaign_id FROM old_rows o JOIN new_rows n ON n.id = o.id
        WHERE (n.answers::text IS DISTINCT FROM o.answers::text
                AND n.answers::jsonb IS DISTINCT FROM o.answers::jsonb)
            OR n.agency_id <> o.agency_id OR n.campaign_id <> o.campaign_id
        UNION
        SELECT n.campaign_id FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE n.campaign_id <> o.campaign_id
    ), bumped AS (
        UPDATE surveys_campaign SET tally_epoch = tally_epoch + 1
        WHERE id IN (SELECT campaign_id FROM changed) RETURNING id
    )
    DELETE FROM reports_counttally WHERE campaign_id IN (SELECT id FROM bumped);
    RETURN NULL;
END $$;
"""

PREVIOUS = """
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
"""


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_results_and_tallies_as_json"), ("surveys", "0008_response_answers_as_json")]

    operations = [migrations.RunSQL(CHANGED, PREVIOUS)]
