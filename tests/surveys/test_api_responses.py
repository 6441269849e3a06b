"""POST /api/v1/campaigns/<slug>/responses/: responses from kiosks and the one-stop-shop software, idempotent on
the client id, validated like every channel, scoped by the caller's token."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from surveys.demo import ensure_demo_campaign
from surveys.models import Campaign, CampaignState, Channel, FlagRule, Response
from surveys.services.campaigns import transition_campaign
from surveys.services.links import create_invitation, keyed_hash

URL = "/api/v1/campaigns/{slug}/responses/"
NOT_FOUND = ["No surveyed agency with this code in your area."]


def english_client() -> APIClient:
    """Messages in English (their msgids): the portal speaks Vietnamese unless the language cookie says otherwise."""
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def api():
    """An API client authenticated with `user`'s token."""

    def client_for(user) -> APIClient:
        client = english_client()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def body(varied_answers) -> dict:
    return {"client_id": str(uuid.uuid4()), "agency_code": "06001", "answers": varied_answers}


@pytest.fixture
def submit(api, actors, open_campaign, body):
    """POST `body` (changed by `fields`) as `user` (default: the staff of commune 06001) to the open campaign."""

    def post(payload: dict | None = None, *, user=None, slug: str | None = None, **fields):
        payload = payload if payload is not None else {**body, **fields}
        return api(user or actors.staff).post(URL.format(slug=slug or open_campaign.slug), payload, format="json")

    return post


@pytest.fixture
def invitation(open_campaign, tree):
    link, _created = create_invitation(campaign=open_campaign, agency=tree["06001"], dossier_code="HS-0042")
    return link


# --- storing --------------------------------------------------------------------------------------------------------


def test_response_is_stored_with_its_answers(submit, body, tree, varied_answers):
    response = submit()

    assert response.status_code == 201
    stored = Response.objects.get()
    assert stored.agency == tree["06001"]
    assert stored.answers["TC1"] == 4
    assert stored.answers["NC"] == ["NC3", "NC5"]
    assert str(stored.client_id) == body["client_id"]


def test_created_body_has_the_id_the_client_id_and_no_flags(submit, body):
    response = submit()

    assert response.json() == {"id": Response.objects.get().pk, "client_id": body["client_id"], "flags": []}


def test_channel_defaults_to_api_and_respondent_to_individual(submit):
    submit()

    stored = Response.objects.get()
    assert (stored.channel, stored.respondent_type) == (Channel.API, "individual")


def test_kiosk_channel_and_organisation_respondent_are_kept(submit):
    submit(channel="kiosk", respondent_type="organization")

    stored = Response.objects.get()
    assert (stored.channel, stored.respondent_type) == ("kiosk", "organization")


def test_response_records_the_calling_account_and_a_hashed_address(api, actors, open_campaign, body, settings):
    settings.PROXY_COUNT = 0

    api(actors.staff).post(URL.format(slug=open_campaign.slug), body, format="json", REMOTE_ADDR="203.0.113.7")

    stored = Response.objects.get()
    assert stored.entered_by == actors.staff
    assert stored.ip_hash == keyed_hash("203.0.113.7", purpose="ip")


def test_numbers_sent_as_text_are_stored_as_numbers(submit, varied_answers):
    submit(answers={**varied_answers, "TC1": "4", "PA": 1})

    stored = Response.objects.get()
    assert (stored.answers["TC1"], stored.answers["PA"]) == (4, "1")


def test_empty_answers_are_stored_as_absent(submit, varied_answers):
    submit(answers={**varied_answers, "TC1": None, "TC2": ""})

    assert "TC1" not in Response.objects.get().answers
    assert "TC2" not in Response.objects.get().answers


def test_duration_and_submission_time_are_kept(submit):
    sent = timezone.now() - datetime.timedelta(hours=2)

    submit(duration_seconds=130, submitted_at=sent.isoformat())

    stored = Response.objects.get()
    assert stored.duration_seconds == 130
    assert stored.submitted_at == sent


def test_response_creation_takes_a_fixed_number_of_queries(api, actors, open_campaign, body, django_assert_num_queries):
    client = api(actors.staff)

    # token, memberships, campaign with its default version (the agency's), agency, replay?, participant, questions,
    # savepoint, savepoint, insert, release, burst count, (no flags to insert), release, flags read back
    with django_assert_num_queries(13):
        response = client.post(URL.format(slug=open_campaign.slug), body, format="json")

    assert response.status_code == 201


# --- idempotency ----------------------------------------------------------------------------------------------------


def test_replayed_client_id_is_stored_once(submit):
    first = submit()
    second = submit()

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == first.json()
    assert Response.objects.count() == 1


def test_replay_after_the_campaign_closed_still_returns_the_stored_response(submit, open_campaign):
    first = submit()
    transition_campaign(campaign=open_campaign, to_state=CampaignState.CLOSED)

    second = submit()

    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]


def test_client_id_already_used_for_another_agency_is_a_conflict(submit, actors):
    submit()

    response = submit(user=actors.officer_a, agency_code="06004")

    assert response.status_code == 409
    assert response.json()["reason"] == "client_id_reused"
    assert Response.objects.count() == 1


def test_same_client_id_with_other_answers_is_a_conflict_and_keeps_the_first(submit, varied_answers):
    first = submit()

    response = submit(answers={**varied_answers, "TC1": 1})

    assert response.status_code == 409
    assert response.json() == {
        "detail": "This client id was already used for a response with other answers, which stays as it was "
        "stored. Send a new response with a new client id.",
        "reason": "client_id_reused",
    }
    assert Response.objects.get(pk=first.json()["id"]).answers["TC1"] == 4


def test_same_client_id_with_another_channel_or_respondent_is_a_conflict(submit):
    submit()

    assert submit(channel="kiosk").status_code == 409
    assert submit(respondent_type="organization").status_code == 409


def test_replay_with_the_same_answers_written_differently_is_still_the_stored_response(submit, varied_answers):
    first = submit()

    again = submit(answers={**varied_answers, "TC1": "4", "NC": ["NC5", "NC3"], "YK": f" {varied_answers['YK']} "})

    assert again.status_code == 200
    assert again.json() == first.json()


def test_replay_takes_fewer_queries(api, actors, open_campaign, body, django_assert_num_queries):
    client = api(actors.staff)
    client.post(URL.format(slug=open_campaign.slug), body, format="json")

    # token, memberships, campaign with its default version (the agency's), agency, replay, the version's questions
    # (to compare the answers), flags read back
    with django_assert_num_queries(7):
        response = client.post(URL.format(slug=open_campaign.slug), body, format="json")

    assert response.status_code == 200


# --- invitations ----------------------------------------------------------------------------------------------------


def test_response_through_an_invitation_uses_it_up(submit, invitation):
    submit(invitation_token=invitation.token)

    invitation.refresh_from_db()
    assert invitation.used_at is not None
    assert Response.objects.get().link == invitation


def test_reused_invitation_is_stored_and_flagged(submit, invitation):
    submit(invitation_token=invitation.token)

    second = submit(invitation_token=invitation.token, client_id=str(uuid.uuid4()))

    assert second.status_code == 201
    assert second.json()["flags"] == [FlagRule.REUSED_INVITATION]
    assert Response.objects.count() == 2


def test_unknown_invitation_token_is_a_field_error(submit):
    response = submit(invitation_token="not-a-token")

    assert response.status_code == 400
    assert list(response.json()) == ["invitation_token"]
    assert not Response.objects.exists()


def test_invitation_of_another_agency_is_a_field_error(submit, open_campaign, tree):
    link, _created = create_invitation(campaign=open_campaign, agency=tree["06004"], dossier_code="HS-7")

    response = submit(invitation_token=link.token)

    assert response.status_code == 400
    assert list(response.json()) == ["invitation_token"]


# --- quality flags --------------------------------------------------------------------------------------------------


def test_implausibly_fast_response_is_stored_and_flagged(submit):
    response = submit(duration_seconds=5)

    assert response.status_code == 201
    assert response.json()["flags"] == [FlagRule.TOO_FAST]


def test_response_dated_outside_the_period_is_stored_and_flagged(submit, open_campaign):
    before = datetime.datetime.combine(open_campaign.period_start, datetime.time(12)) - datetime.timedelta(days=3)

    response = submit(submitted_at=timezone.make_aware(before).isoformat())

    assert response.status_code == 201
    assert response.json()["flags"] == [FlagRule.OUTSIDE_PERIOD]


# --- bad answers ----------------------------------------------------------------------------------------------------


def test_skip_logic_violation_is_an_error_on_the_follow_up_question(submit, varied_answers):
    answers = {**varied_answers, "PA": "2"}
    for code in ("GY3", "GY4", "HL_GY"):
        answers.pop(code)

    response = submit(answers=answers)

    assert response.status_code == 400
    assert response.json() == {"answers": {"GY2": ["Must be empty: it is asked only when PA is 1."]}}
    assert not Response.objects.exists()


def test_unknown_question_code_is_an_error_under_its_code(submit, varied_answers):
    response = submit(answers={**varied_answers, "ZZ9": 4})

    assert response.status_code == 400
    assert response.json() == {"answers": {"ZZ9": ["There is no question ZZ9 in this questionnaire."]}}


def test_scale_value_out_of_range_is_an_error_under_its_code(submit, varied_answers):
    response = submit(answers={**varied_answers, "TC1": 6})

    assert response.json() == {"answers": {"TC1": ["Choose a level from 1 to 5, or leave it empty."]}}


def test_unknown_option_is_an_error_under_its_code(submit, varied_answers):
    response = submit(answers={**varied_answers, "TH": "9"})

    assert response.json() == {"answers": {"TH": ["Choose one of the listed answers."]}}


def test_too_many_needs_is_an_error_under_nc(submit, varied_answers):
    response = submit(answers={**varied_answers, "NC": ["NC1", "NC2", "NC3", "NC4"]})

    assert response.json() == {"answers": {"NC": ["Choose at most 3 answers."]}}


def test_every_wrong_answer_is_reported_at_once(submit, varied_answers):
    response = submit(answers={**varied_answers, "TC1": 0, "TC2": "x", "ZZ9": 1})

    assert set(response.json()["answers"]) == {"TC1", "TC2", "ZZ9"}


def test_no_answer_at_all_is_an_error_on_answers(submit):
    response = submit(answers={})

    assert response.status_code == 400
    assert response.json() == {"answers": ["Please answer at least one question."]}


def test_answers_that_are_not_an_object_are_a_field_error(submit):
    response = submit(answers=[4, 5])

    assert response.status_code == 400
    assert list(response.json()) == ["answers"]


def test_missing_answers_is_a_field_error(submit, body):
    response = submit({k: v for k, v in body.items() if k != "answers"})

    assert response.json() == {"answers": ["This field is required."]}


@pytest.mark.parametrize("value", [{"level": 4}, True, [4, None]])
def test_answer_of_the_wrong_shape_is_an_error_under_its_code(submit, varied_answers, value):
    response = submit(answers={**varied_answers, "TC1": value})

    assert response.status_code == 400
    assert response.json() == {"answers": {"TC1": ["Give a number, a text or a list of option codes."]}}


# --- bad fields -----------------------------------------------------------------------------------------------------


def test_missing_client_id_is_a_field_error(submit, body):
    response = submit({k: v for k, v in body.items() if k != "client_id"})

    assert response.status_code == 400
    assert response.json() == {"client_id": ["This field is required."]}


def test_malformed_client_id_is_a_field_error(submit):
    response = submit(client_id="1234")

    assert response.json() == {"client_id": ["Must be a valid UUID."]}


def test_missing_agency_code_is_a_field_error(submit, body):
    response = submit({k: v for k, v in body.items() if k != "agency_code"})

    assert response.json() == {"agency_code": ["This field is required."]}


def test_unknown_agency_is_a_field_error(submit):
    response = submit(agency_code="99999")

    assert response.status_code == 400
    assert response.json() == {"agency_code": NOT_FOUND}


def test_unknown_respondent_type_is_a_field_error(submit):
    response = submit(respondent_type="robot")

    assert response.json() == {"respondent_type": ['"robot" is not a valid choice.']}


def test_unknown_channel_is_a_field_error(submit):
    response = submit(channel="pigeon")

    assert response.json() == {"channel": ['"pigeon" is not a valid choice.']}


def test_channel_the_campaign_does_not_allow_is_a_field_error(submit):
    response = submit(channel="phone")

    assert response.status_code == 400
    assert response.json() == {"channel": ["This campaign does not accept responses through phone."]}
    assert not Response.objects.exists()


def test_default_api_channel_must_be_allowed_by_the_campaign(api, actors, make_survey_campaign, body):
    campaign = make_survey_campaign("no-api")  # qr, web, paper, enumerator, kiosk

    response = api(actors.staff).post(URL.format(slug=campaign.slug), body, format="json")

    assert response.status_code == 400
    assert list(response.json()) == ["channel"]


def test_negative_duration_is_a_field_error(submit):
    response = submit(duration_seconds=-1)

    assert response.status_code == 400
    assert list(response.json()) == ["duration_seconds"]


def test_submission_time_in_the_future_is_a_field_error(submit):
    response = submit(submitted_at=(timezone.now() + datetime.timedelta(hours=1)).isoformat())

    assert response.json() == {"submitted_at": ["This time is in the future."]}


# --- campaign state -------------------------------------------------------------------------------------------------


def test_closed_campaign_is_a_conflict(submit, open_campaign):
    transition_campaign(campaign=open_campaign, to_state=CampaignState.CLOSED)

    response = submit()

    assert response.status_code == 409
    assert response.json() == {
        "detail": "The campaign is closed: it accepts no more responses.",
        "reason": "closed",
    }
    assert not Response.objects.exists()


def test_campaign_not_started_is_a_conflict(api, actors, make_survey_campaign, body):
    campaign = make_survey_campaign("later", starts_in_days=10, channels=[Channel.API])

    response = api(actors.staff).post(URL.format(slug=campaign.slug), body, format="json")

    assert response.status_code == 409
    assert response.json()["reason"] == "not_started"


@pytest.mark.parametrize("state", [CampaignState.COMPUTED, CampaignState.APPRAISED, CampaignState.PUBLISHED])
def test_campaign_past_its_fieldwork_is_a_conflict_whatever_the_channel(api, actors, make_survey_campaign, body, state):
    campaign = make_survey_campaign("done", state=CampaignState.CLOSED)  # the api channel is not even allowed
    Campaign.objects.filter(pk=campaign.pk).update(state=state)

    response = api(actors.staff).post(URL.format(slug=campaign.slug), body, format="json")

    assert response.status_code == 409
    assert response.json() == {"detail": "The campaign is closed: it accepts no more responses.", "reason": "closed"}
    assert not Response.objects.exists()


def test_draft_campaign_is_a_conflict(api, actors, make_survey_campaign, body):
    campaign = make_survey_campaign("draft", state=CampaignState.DRAFT, channels=[Channel.API])

    response = api(actors.staff).post(URL.format(slug=campaign.slug), body, format="json")

    assert response.status_code == 409
    assert response.json()["reason"] == "not_started"


# --- authentication and scope ---------------------------------------------------------------------------------------


def test_no_token_is_401(open_campaign, body):
    response = english_client().post(URL.format(slug=open_campaign.slug), body, format="json")

    assert response.status_code == 401
    assert not Response.objects.exists()


def test_unknown_campaign_is_404(submit):
    assert submit(slug="no-such-campaign").status_code == 404


def test_staff_cannot_answer_for_another_commune(submit):
    response = submit(agency_code="06004")

    assert response.status_code == 400
    assert response.json() == {"agency_code": NOT_FOUND}
    assert not Response.objects.exists()


def test_staff_cannot_answer_for_an_agency_of_province_22(submit, tree):
    campaign_22 = ensure_demo_campaign(province=tree["22"], slug="quang-ninh")

    assert submit(agency_code="07000").json() == {"agency_code": NOT_FOUND}
    assert submit(slug=campaign_22.slug, agency_code="07000").status_code == 404
    assert not Response.objects.exists()


def test_officer_answers_for_any_surveyed_agency_of_the_province(submit, actors):
    assert submit(user=actors.officer_a, agency_code="06004").status_code == 201


def test_officer_of_province_22_cannot_reach_the_campaign_of_province_20(submit, actors):
    assert submit(user=actors.officer_b).status_code == 404


def test_enumerator_token_reaches_no_campaign(submit, actors):
    assert submit(user=actors.enumerator, agency_code="06004").status_code == 404
