"""A response belongs to an agency surveyed in its campaign: one composite key, (campaign, agency) →
surveys_campaignagency (surveys migration 0007), in place of six single-column keys.

The database refuses a response of an agency that its campaign does not survey (PostgreSQL); Django's
collector applies the on_delete of every key, with or without a database constraint behind it."""

from __future__ import annotations

import importlib
import os
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


@pytest.fixture
def on_postgresql():
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI runs on PostgreSQL: the database's own key may not go untested there")
        pytest.skip("the composite key is a PostgreSQL constraint (set DATABASE_URL)")


@pytest.mark.postgres
def test_the_database_refuses_a_response_of_an_agency_not_surveyed_in_its_campaign(on_postgresql, open_campaign, tree):
    outsider = tree["07000"]  # province 22: not surveyed by the campaign over province 20
    assert not CampaignAgency.objects.filter(campaign=open_campaign, agency=outsider).exists()
    with pytest.raises(IntegrityError, match="response_participant_fk"), transaction.atomic():
        make_response(open_campaign, outsider)
        with connection.cursor() as cursor:  # the key is deferred to the commit, as Django's own keys are
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert not Response.objects.filter(agency=outsider).exists()


@pytest.mark.postgres
def test_the_database_holds_one_foreign_key_on_responses(on_postgresql, db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'surveys_response'::regclass AND contype = 'f'"
        )
        keys = cursor.fetchall()
    assert keys == [
        (
            "response_participant_fk",
            "FOREIGN KEY (campaign_id, agency_id) REFERENCES surveys_campaignagency(campaign_id, agency_id) "
            "DEFERRABLE INITIALLY DEFERRED",
        )
    ]


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
