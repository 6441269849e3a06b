"""A response belongs to an agency surveyed in its campaign: a declared composite foreign key, (campaign, agency)
→ surveys_campaignagency (surveys migration 0010), deferred to the commit like Django's own keys, with no setting
that switches it off. The four optional references of a response have their own foreign keys.

The database refuses a response of an agency that its campaign does not survey; Django's collector applies the
on_delete of every key (PROTECT refuses, SET_NULL clears)."""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from surveys.models import CampaignAgency, Channel, Response

migration = importlib.import_module("surveys.migrations.0007_response_participant_key")


def make_response(campaign, agency, **extra) -> Response:
    return Response.objects.create(
        campaign=campaign,
        agency=agency,
        client_id=uuid.uuid4(),
        channel=Channel.WEB,
        answers={"PA": 1},
        submitted_at=timezone.now(),
        **extra,
    )


def check_now() -> None:
    """Run the deferred key checks now rather than at the commit, which a test inside a transaction never reaches."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_the_database_refuses_a_response_of_an_agency_not_surveyed_in_its_campaign(open_campaign, tree):
    outsider = tree["07000"]  # province 22: not surveyed by the campaign over province 20
    assert not CampaignAgency.objects.filter(campaign=open_campaign, agency=outsider).exists()
    with pytest.raises(IntegrityError, match="response_participant_fk"), transaction.atomic():
        make_response(open_campaign, outsider)
        check_now()  # the key is deferred to the commit, as Django's own keys are
    assert not Response.objects.filter(agency=outsider).exists()


def test_responses_have_the_composite_key_and_a_key_for_each_optional_reference(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.confrelid::regclass::text, array_agg(a.attname::text ORDER BY k.n), c.condeferrable, "
            "c.condeferred FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, n) "
            "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum "
            "WHERE c.conrelid = 'surveys_response'::regclass AND c.contype = 'f' GROUP BY c.oid ORDER BY 2"
        )
        keys = cursor.fetchall()
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
            "AND tgrelid IN ('surveys_response'::regclass, 'surveys_campaignagency'::regclass) AND tgname LIKE '%%participant%%'"
        )
        participant_triggers = cursor.fetchall()
    assert keys == [
        ("surveys_campaignagency", ["campaign_id", "agency_id"], True, True),
        ("auth_user", ["decided_by_id"], True, True),
        ("auth_user", ["entered_by_id"], True, True),
        ("surveys_surveylink", ["link_id"], True, True),
        ("agencies_servicepoint", ["service_point_id"], True, True),
    ]
    assert participant_triggers == []


def test_the_database_refuses_a_reference_to_a_user_or_a_link_that_does_not_exist(open_campaign, tree):
    for column in ("entered_by_id", "decided_by_id", "link_id", "service_point_id"):
        response = make_response(open_campaign, tree["06001"])
        with pytest.raises(IntegrityError, match=column), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"UPDATE surveys_response SET {column} = 999999 WHERE id = %s", [response.pk])
            check_now()


def test_the_key_is_checked_at_the_commit_and_a_response_deleted_before_it_is_not(open_campaign, tree):
    with transaction.atomic():
        response = make_response(open_campaign, tree["07000"])
        response.delete()  # gone before the deferred check: nothing to refuse, as with a foreign key
        make_response(open_campaign, tree["06001"])
    with pytest.raises(IntegrityError, match="response_participant_fk"), transaction.atomic():
        response = make_response(open_campaign, tree["06001"])
        Response.objects.filter(pk=response.pk).update(agency=tree["07000"])  # a change is checked too
        check_now()


def test_the_database_refuses_to_remove_a_surveyed_agency_that_has_responses(open_campaign, tree):
    make_response(open_campaign, tree["06001"])
    participant = CampaignAgency.objects.get(campaign=open_campaign, agency=tree["06001"])
    refused = pytest.raises(IntegrityError, match="response_participant_fk")
    with refused, transaction.atomic(), connection.cursor() as cursor:  # past Django's PROTECT, to the database
        cursor.execute("DELETE FROM surveys_campaignagency WHERE id = %s", [participant.pk])
        check_now()
    with transaction.atomic():  # removed and surveyed again before the commit: nothing to refuse
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM surveys_campaignagency WHERE id = %s", [participant.pk])
        CampaignAgency.objects.create(campaign=open_campaign, agency=tree["06001"], min_sample=participant.min_sample)
    assert CampaignAgency.objects.filter(campaign=open_campaign, agency=tree["06001"]).exists()


def test_no_setting_switches_the_check_off(open_campaign, tree):
    """The bypass setting of the former triggers (sipas.participants_locked, set by imports) means nothing now."""
    with pytest.raises(IntegrityError, match="response_participant_fk"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('sipas.participants_locked', %s, true)", [str(open_campaign.pk)])
        make_response(open_campaign, tree["07000"])
        check_now()
    assert not Response.objects.filter(agency=tree["07000"]).exists()


def test_a_surveyed_agency_with_responses_cannot_be_removed_from_its_campaign(open_campaign, tree):
    make_response(open_campaign, tree["06001"])
    participant = CampaignAgency.objects.get(campaign=open_campaign, agency=tree["06001"])
    with pytest.raises(ProtectedError):
        participant.delete()
    with pytest.raises(ProtectedError):
        CampaignAgency.objects.filter(pk=participant.pk).delete()
    assert CampaignAgency.objects.filter(pk=participant.pk).exists()
    # Without responses it goes.
    other = CampaignAgency.objects.get(campaign=open_campaign, agency=tree["06004"])
    other.delete()
    assert not CampaignAgency.objects.filter(pk=other.pk).exists()


def test_the_campaign_and_the_agency_of_a_response_stay_protected(open_campaign, tree):
    make_response(open_campaign, tree["06001"])
    with pytest.raises(ProtectedError):
        tree["06001"].delete()
    with pytest.raises(ProtectedError):
        open_campaign.delete()


def test_deleting_a_user_or_a_link_clears_it_from_responses(open_campaign, tree, actors):
    link = open_campaign.links.filter(agency=tree["06001"]).first()
    response = make_response(open_campaign, tree["06001"], entered_by=actors.enumerator, link=link)
    actors.enumerator.delete()
    link.delete()
    response.refresh_from_db()
    assert response.entered_by_id is None and response.link_id is None


def test_responses_join_their_surveyed_agency(open_campaign, tree):
    response = make_response(open_campaign, tree["06001"])
    participant = CampaignAgency.objects.get(campaign=open_campaign, agency=tree["06001"])
    assert response.participant == participant
    assert list(participant.responses.all()) == [response]
    minimum = participant.min_sample
    assert list(Response.objects.filter(participant__min_sample=minimum, agency=tree["06001"])) == [response]


def test_the_migration_stops_with_a_clear_message_on_responses_of_agencies_not_surveyed(open_campaign, tree):
    # Inside this transaction the deferred key has not checked the row yet: the state the migration meets
    # in a database written before it.
    make_response(open_campaign, tree["07000"])
    with pytest.raises(RuntimeError, match=r"1 stored responses belong to an agency that is not surveyed"):
        migration.refuse_orphans(apps, None)
    Response.objects.filter(agency=tree["07000"]).delete()
    migration.refuse_orphans(apps, None)  # nothing left to refuse
