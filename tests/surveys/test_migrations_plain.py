"""Surveys migration 0010 on a database holding responses written by the old code (answers as `json`, the
participant rule kept by triggers, no constraint on the optional references): the answers become jsonb with every
value intact, the declared keys hold, and the way back restores the old schema."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor

from surveys.models import Campaign, Response

BEFORE = [("surveys", "0009_participant_key_as_triggers")]
ANSWERED_AT = datetime.datetime(2025, 3, 2, 9, 30, tzinfo=datetime.UTC)
WRITTEN = {"TC1": 4, "HL": 5, "DL": "2", "NC": ["NC1", "NC3"], "YK": 'Cán bộ "một cửa"\nC:\\hồ sơ 🙏'}
# As the old importer's COPY wrote them: keys in its own order, and the text kept as written by `json`.
COPIED = '{ "TC1":3, "YK":"Tốt \\"lắm\\"", "HL":2, "HL":1 }'


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


@pytest.fixture
def migrator(migration_data_restored, transactional_db):
    """Committed data (a migration runs outside the test's transaction); the schema is back at the latest state
    afterwards, whatever the test did."""
    yield
    migrate(latest())


def column_type() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'surveys_response'::regclass AND attname = 'answers'"
        )
        return cursor.fetchone()[0]


def old_responses(tree) -> dict[str, int]:
    """Responses stored at 0009 through the historical models and as the old COPY wrote them."""
    apps = migrate(BEFORE).loader.project_state(BEFORE).apps
    Campaign = apps.get_model("surveys", "Campaign")
    CampaignAgency = apps.get_model("surveys", "CampaignAgency")
    Methodology = apps.get_model("surveys", "Methodology")
    SurveyLink = apps.get_model("surveys", "SurveyLink")
    Response = apps.get_model("surveys", "Response")
    ServicePoint = apps.get_model("agencies", "ServicePoint")
    campaign = Campaign.objects.create(
        year=2025, name="Cũ", slug="old", root_id=tree["20"].pk, methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(2025, 3, 1), period_end=datetime.date(2025, 5, 31), state="open",
        channels=["paper", "web"],
    )  # fmt: skip
    for code in ("06001", "06004"):
        CampaignAgency.objects.create(campaign=campaign, agency_id=tree[code].pk, min_sample=10)
    point = ServicePoint.objects.create(agency_id=tree["06001"].pk, code="BP1", name="Bộ phận Một cửa")
    link = SurveyLink.objects.create(campaign=campaign, agency_id=tree["06001"].pk, token="old-link")
    enterer = get_user_model().objects.create_user("old-enterer")

    def response(**fields) -> int:
        defaults = {"campaign": campaign, "agency_id": tree["06001"].pk, "client_id": uuid.uuid4(),
                    "channel": "paper", "submitted_at": ANSWERED_AT, "answers": WRITTEN}  # fmt: skip
        return Response.objects.create(**{**defaults, **fields}).pk

    ids = {
        "written": response(service_point=point, link=link, entered_by_id=enterer.pk),
        "gone": response(link=link, entered_by_id=enterer.pk),
        "empty": response(answers={}, agency_id=tree["06004"].pk),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO surveys_response (campaign_id, agency_id, client_id, channel, respondent_type, answers, "
            "submitted_at, ip_hash, device_hash, excluded, decision_rule) "
            "VALUES (%s, %s, %s, 'paper', 'individual', %s, %s, '', '', false, '') RETURNING id",
            [campaign.pk, tree["06004"].pk, uuid.uuid4(), COPIED, ANSWERED_AT],
        )
        ids["copied"] = cursor.fetchone()[0]
        # Rows deleted past Django while the optional references had no constraint: their ids dangle.
        cursor.execute("UPDATE surveys_response SET link_id = NULL WHERE link_id = %s", [link.pk])
        cursor.execute("DELETE FROM surveys_surveylink WHERE id = %s", [link.pk])
        cursor.execute("UPDATE surveys_response SET link_id = %s, entered_by_id = %s WHERE id = %s",
                       [link.pk, enterer.pk + 1000, ids["gone"]])  # fmt: skip
    return ids


def test_answers_written_by_the_old_code_become_jsonb_with_every_value_intact(migrator, tree):
    ids = old_responses(tree)
    assert column_type() == "json"

    migrate(latest())

    assert column_type() == "jsonb"
    stored = dict(Response.objects.values_list("id", "answers"))
    assert stored[ids["written"]] == WRITTEN == stored[ids["gone"]]
    assert stored[ids["copied"]] == {"TC1": 3, "YK": 'Tốt "lắm"', "HL": 1}  # a key written twice: the last value
    assert stored[ids["empty"]] == {}
    assert Response.objects.filter(answers__NC__contains=["NC3"]).count() == 2  # jsonb's own operators work


def test_the_keys_hold_after_the_migration(migrator, tree):
    ids = old_responses(tree)

    migrate(latest())

    kept = Response.objects.get(pk=ids["written"])
    assert (kept.service_point.code, kept.entered_by.username) == ("BP1", "old-enterer")
    gone = Response.objects.get(pk=ids["gone"])
    assert (gone.link_id, gone.entered_by_id) == (None, None)  # cleared, as on_delete=SET_NULL clears them
    campaign = Campaign.objects.get(slug="old")
    outsider = {"campaign": campaign, "agency": tree["20.SNV"], "channel": "paper", "submitted_at": ANSWERED_AT}
    with pytest.raises(IntegrityError, match="response_participant_fk"), transaction.atomic():
        Response.objects.create(client_id=uuid.uuid4(), answers={"HL": 4}, **outsider)  # refused at the commit
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.filter(pk=ids["written"]).update(entered_by_id=kept.entered_by_id + 1000)
    assert not Response.objects.filter(agency=tree["20.SNV"]).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proname LIKE 'sipas_%%participant%%'")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = 'surveys_campaign'::regclass "
                       "AND attname = 'tally_epoch'")  # fmt: skip
        assert cursor.fetchone() == (0,)


def test_the_migration_stops_with_a_clear_message_on_a_response_of_an_agency_not_surveyed(migrator, tree):
    ids = old_responses(tree)
    with connection.cursor() as cursor:  # the old importer skipped the triggers' check for its own rows
        cursor.execute("SELECT set_config('sipas.participants_locked', campaign_id::text, false) "
                       "FROM surveys_response WHERE id = %s", [ids["written"]])  # fmt: skip
        cursor.execute("UPDATE surveys_response SET agency_id = %s WHERE id = %s", [tree["20.SNV"].pk, ids["written"]])
        cursor.execute("SELECT set_config('sipas.participants_locked', '', false)")

    with pytest.raises(RuntimeError, match="1 stored responses belong to an agency that is not surveyed"):
        migrate(latest())

    assert column_type() == "json"  # nothing changed
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM surveys_response WHERE id = %s", [ids["written"]])


def test_the_way_back_restores_json_and_the_triggers(migrator, tree):
    ids = old_responses(tree)
    migrate(latest())

    migrate(BEFORE)

    assert column_type() == "json"
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers::jsonb = %s::jsonb FROM surveys_response WHERE id = %s", [COPIED, ids["copied"]])
        assert cursor.fetchone() == (True,)
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgname LIKE 'response_participant_fk%%' ORDER BY 1")
        assert cursor.fetchall() == [("response_participant_fk",), ("response_participant_fk_referenced",)]
