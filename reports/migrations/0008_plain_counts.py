"""The index computed plainly, every time, by one GROUP BY over a campaign's responses (reports.services.aggregate):

- the tallies go, with the triggers and functions of 0002, 0004 and 0006 that kept them true (and the advisory lock
  every insert of responses took);
- a result's counts become a plain mapping by name again (`counts`), converted in SQL from the lists of 0007 and
  their run's `count_names`, which goes; an agency without responses ([]) gets {"n": 0};
- results' figures and counts, stored as `json` since 0005, become `jsonb`, as Django's JSONField declares them.

Reversible: back to 0007's json columns, lists and triggers (an empty CountTally table comes back; the next
computation under the old code would have aggregated in full)."""

from django.db import migrations

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

# The triggers as 0002, 0004 and 0006 left them, for the way back.
CREATE_TRIGGERS = """
CREATE FUNCTION sipas_response_write_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(5119200017);
    RETURN NULL;
END $$;
CREATE TRIGGER response_write_lock BEFORE INSERT ON surveys_response
    FOR EACH STATEMENT EXECUTE FUNCTION sipas_response_write_lock();

CREATE FUNCTION sipas_response_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    WITH bumped AS (
        UPDATE surveys_campaign SET tally_epoch = tally_epoch + 1
        WHERE id IN (SELECT DISTINCT campaign_id FROM old_rows) RETURNING id
    )
    DELETE FROM reports_counttally WHERE campaign_id IN (SELECT id FROM bumped);
    RETURN NULL;
END $$;
CREATE TRIGGER response_deleted AFTER DELETE ON surveys_response
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION sipas_response_deleted();

CREATE FUNCTION sipas_response_changed() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TRIGGER response_changed AFTER UPDATE ON surveys_response
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT
    EXECUTE FUNCTION sipas_response_changed();

CREATE FUNCTION sipas_responses_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE surveys_campaign SET tally_epoch = tally_epoch + 1;
    DELETE FROM reports_counttally;
    RETURN NULL;
END $$;
CREATE TRIGGER responses_truncated AFTER TRUNCATE ON surveys_response
    FOR EACH STATEMENT EXECUTE FUNCTION sipas_responses_truncated();
"""

TO_JSONB = """
ALTER TABLE reports_agencyresult
    ALTER COLUMN figures TYPE jsonb USING figures::jsonb,
    ALTER COLUMN count_values TYPE jsonb USING count_values::jsonb;
"""

TO_JSON = """
ALTER TABLE reports_agencyresult
    ALTER COLUMN figures TYPE json USING figures::json,
    ALTER COLUMN count_values TYPE json USING count_values::json;
"""

# Each list of counts becomes an object by the names of its run; an agency without responses ([]) gets {"n": 0}.
LISTS_TO_MAPPINGS = """
UPDATE reports_agencyresult AS result SET count_values = CASE
    WHEN jsonb_array_length(result.count_values) = 0 THEN '{"n": 0}'
    ELSE (SELECT jsonb_object_agg(names.name, result.count_values -> (names.position::int - 1))
          FROM jsonb_array_elements_text(run.count_names) WITH ORDINALITY AS names(name, position)) END
FROM reports_indexrun AS run
WHERE run.id = result.run_id AND jsonb_typeof(result.count_values) = 'array';
"""

# The way back, as 0007 made them: a run's names are those its results use ("n" first); {"n": 0} gets [].
MAPPINGS_TO_LISTS = """
UPDATE reports_indexrun AS run SET count_names = coalesce(
    (SELECT jsonb_agg(name ORDER BY name <> 'n', name) FROM (
        SELECT DISTINCT jsonb_object_keys(result.count_values) AS name
        FROM reports_agencyresult AS result WHERE result.run_id = run.id) AS names),
    '[]');
UPDATE reports_agencyresult AS result SET count_values = CASE
    WHEN EXISTS (SELECT 1 FROM jsonb_each(result.count_values) AS counted WHERE counted.value <> '0')
    THEN (SELECT jsonb_agg(coalesce(result.count_values -> names.name, '0') ORDER BY names.position)
          FROM jsonb_array_elements_text(run.count_names) WITH ORDINALITY AS names(name, position))
    ELSE '[]' END
FROM reports_indexrun AS run
WHERE run.id = result.run_id AND jsonb_typeof(result.count_values) = 'object';
"""


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_result_counts_as_lists"),
        ("surveys", "0009_participant_key_as_triggers"),
    ]

    operations = [
        migrations.RunSQL(DROP_TRIGGERS, CREATE_TRIGGERS),
        migrations.DeleteModel(name="CountTally"),
        migrations.RunSQL(TO_JSONB, TO_JSON),
        migrations.RunSQL(LISTS_TO_MAPPINGS, MAPPINGS_TO_LISTS),
        migrations.RemoveField(model_name="indexrun", name="count_names"),
        migrations.RenameField(model_name="agencyresult", old_name="count_values", new_name="counts"),
    ]
