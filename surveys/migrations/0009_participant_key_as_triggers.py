"""The participant key of responses, (campaign, agency) → surveyed agency (0007), kept by two constraint
triggers instead of a declared foreign key, so that a bulk import can check its rows once rather than one
index probe per row.

PostgreSQL checks a declared foreign key row by row, also for the rows of a COPY, and nothing can turn that
off for one statement. The per-row check was a quarter of the database's work when a million responses were
imported (bench/import_responses.py: database CPU 19.5 s with the key, 14.0 s without). An import checks every
row's agency against the campaign's surveyed agencies anyway, and locks those surveyed agencies for its
transaction (FOR KEY SHARE, as the foreign key does); it then names its campaign in the transaction-local
setting `sipas.participants_locked`, and the insert trigger skips the rows of that campaign. Every other insert,
and every change of a response's campaign or agency, is checked as the foreign key checked it: deferred to the
commit, the surveyed agency locked against removal until then (FOR KEY SHARE). Removing a surveyed agency that
still has responses is refused at the commit, as the foreign key refused it. The errors keep the foreign key's
SQLSTATE (23503, an IntegrityError in Django) and its name, response_participant_fk.

Migration 0010 puts the declared foreign key back and drops these triggers and the setting they read.
"""

from django.db import migrations

CONSTRAINT = "response_participant_fk"

CREATE = f"""
CREATE FUNCTION sipas_response_participant() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Deferred to the commit: the row may have been deleted or changed since (the change has its own check).
    PERFORM 1 FROM surveys_response
     WHERE id = NEW.id AND campaign_id = NEW.campaign_id AND agency_id = NEW.agency_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM surveys_campaignagency
     WHERE campaign_id = NEW.campaign_id AND agency_id = NEW.agency_id
       FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'insert or update on table "surveys_response" violates foreign key constraint "{CONSTRAINT}"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{CONSTRAINT}', TABLE = 'surveys_response',
                  DETAIL = format('Key (campaign_id, agency_id)=(%s, %s) is not present in table '
                                  '"surveys_campaignagency".', NEW.campaign_id, NEW.agency_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER {CONSTRAINT}
    AFTER INSERT OR UPDATE OF campaign_id, agency_id ON surveys_response
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    WHEN (current_setting('sipas.participants_locked', true) IS DISTINCT FROM NEW.campaign_id::text)
    EXECUTE FUNCTION sipas_response_participant();

CREATE FUNCTION sipas_participant_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM surveys_response WHERE campaign_id = OLD.campaign_id AND agency_id = OLD.agency_id)
       AND NOT EXISTS (SELECT 1 FROM surveys_campaignagency
                        WHERE campaign_id = OLD.campaign_id AND agency_id = OLD.agency_id) THEN
        RAISE EXCEPTION 'update or delete on table "surveys_campaignagency" violates foreign key constraint '
                        '"{CONSTRAINT}" on table "surveys_response"'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = '{CONSTRAINT}', TABLE = 'surveys_response',
                  DETAIL = format('Key (campaign_id, agency_id)=(%s, %s) is still referenced from table '
                                  '"surveys_response".', OLD.campaign_id, OLD.agency_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER {CONSTRAINT}_referenced
    AFTER DELETE OR UPDATE OF campaign_id, agency_id ON surveys_campaignagency
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW
    EXECUTE FUNCTION sipas_participant_removed();
"""

DROP = f"""
DROP TRIGGER IF EXISTS {CONSTRAINT}_referenced ON surveys_campaignagency;
DROP FUNCTION IF EXISTS sipas_participant_removed();
DROP TRIGGER IF EXISTS {CONSTRAINT} ON surveys_response;
DROP FUNCTION IF EXISTS sipas_response_participant();
"""


ADD_KEY = (
    f"ALTER TABLE surveys_response ADD CONSTRAINT {CONSTRAINT} FOREIGN KEY (campaign_id, agency_id) "
    "REFERENCES surveys_campaignagency (campaign_id, agency_id) DEFERRABLE INITIALLY DEFERRED"
)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0008_response_answers_as_json"),
    ]

    operations = [
        migrations.RunSQL(
            [f"ALTER TABLE surveys_response DROP CONSTRAINT IF EXISTS {CONSTRAINT}", CREATE],
            [DROP, ADD_KEY],
        ),
    ]
