"""A response belongs to an agency surveyed in its campaign: one composite key, (campaign, agency) →
surveys_campaignagency (surveys migration 0007), in place of six single-column keys, kept by two constraint
triggers (0009) so that an import can check its own rows at once.

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
def test_responses_have_no_declared_foreign_key_but_the_participant_key_triggers(on_postgresql, db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, contype, condeferrable, condeferred FROM pg_constraint "
            "WHERE conrelid IN ('surveys_response'::regclass, 'surveys_campaignagency'::regclass) "
            "AND (contype = 't' OR contype = 'f' AND conrelid = 'surveys_response'::regclass) ORDER BY 1, 2"
        )
        constraints = cursor.fetchall()
    assert constraints == [
        ("surveys_campaignagency", "response_participant_fk_referenced", "t", True, True),
        ("surveys_response", "response_participant_fk", "t", True, True),
    ]


@pytest.mark.postgres
def test_the_key_is_checked_at_the_commit_and_a_response_deleted_before_it_is_not(on_postgresql, open_campaign, tree):
    with transaction.atomic():
        response = make_response(open_campaign, tree["07000"])
        response.delete()  # gone before the deferred check: nothing to refuse, as with a foreign key
        make_response(open_campaign, tree["06001"])
    with pytest.raises(IntegrityError, match="response_participant_fk"), transaction.atomic():
        response = make_response(open_campaign, tree["06001"])
        Response.objects.filter(pk=response.pk).update(agency=tree["07000"])  # a change is checked too
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.postgres
def test_the_database_refuses_to_remove_a_surveyed_agency_that_has_responses(on_postgresql, open_campaign, tree):
    make_response(open_campaign, tree["06001"])
    participant = CampaignAgency.objects.get(campaign=open_campaign, agency=tree["06001"])
    refused = pytest.raises(IntegrityError, match="response_participant_fk")
    with refused, transaction.atomic(), connection.cursor() as cursor:  # past Django's PROTECT, to the database
        cursor.execute("DELETE FROM surveys_campaignagency WHERE id = %s", [participant.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with transaction.atomic():  # removed and surveyed again before the commit: nothing to refuse
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM surveys_campaignagency WHERE id = %s", [participant.pk])
        CampaignAgency.objects.create(campaign=open_campaign, agency=tree["06001"], min_sample=participant.min_sample)
    assert CampaignAgency.objects.filter(campaign=open_campaign, agency=tree["06001"]).exists()


@pytest.mark.postgres
def test_only_the_locked_campaigns_rows_skip_the_check(on_postgresql, open_campaign, tree):
    """An import locks its campaign's surveyed agencies and checks its rows itself (imports.lock_participants);
    the trigger then skips that campaign's rows, and only those, and only in that transaction."""
    with pytest.raises(IntegrityError, match="response_participant_fk"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('sipas.participants_locked', %s, true)", [str(open_campaign.pk + 1)])
        make_response(open_campaign, tree["07000"])  # another campaign is named: checked
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('sipas.participants_locked', %s, true)", [str(open_campaign.pk)])
        make_response(open_campaign, tree["07000"])  # not checked: the import checks its rows itself
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SELECT set_config('sipas.participants_locked', '', true)")  # as unlock_participants
        with pytest.raises(IntegrityError, match="response_participant_fk"), transaction.atomic():
            make_response(open_campaign, tree["07000"])  # once the import is done: checked again
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)
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
