"""POST /api/v1/campaigns/<slug>/invitations/: single-use invitations for the one-stop-shop software, scoped by
the caller's token; the `create_api_token` command; the OpenAPI schema of the survey API."""

from __future__ import annotations

import io
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from agencies.services import add_service_point
from sipas.models import AuditEntry
from surveys.demo import ensure_demo_campaign
from surveys.models import CampaignState, SurveyLink
from surveys.services.campaigns import transition_campaign
from surveys.services.links import keyed_hash

URL = "/api/v1/campaigns/{slug}/invitations/"
DOSSIER = "000.00.06001.H20-250312-0042"
NOT_FOUND = ["No surveyed agency with this code in your area."]


def english_command(*args, **options):
    """Commands speak Vietnamese by default; these tests read their English messages."""
    with translation.override("en"):
        return call_command(*args, **options)


def english_client() -> APIClient:
    """Messages in English (their msgids): the portal speaks Vietnamese unless the language cookie says otherwise."""
    client = APIClient()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def api():
    """An API client authenticated with `user`'s token (created on first use)."""

    def client_for(user) -> APIClient:
        client = english_client()
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_for


@pytest.fixture
def invite(api, actors, open_campaign):
    """POST an invitation as `user` (default: the staff of commune 06001) to the open campaign of province 20."""

    def post(body: dict | None = None, *, user=None, slug: str | None = None, **fields):
        payload = body if body is not None else {"agency_code": "06001", "dossier_code": DOSSIER, **fields}
        return api(user or actors.staff).post(URL.format(slug=slug or open_campaign.slug), payload, format="json")

    return post


@pytest.fixture
def campaign_22(tree):
    return ensure_demo_campaign(province=tree["22"], slug="quang-ninh")


# --- creating -------------------------------------------------------------------------------------------------------


def test_invitation_is_created_for_a_dossier(invite, open_campaign, tree):
    response = invite()

    assert response.status_code == 201
    link = SurveyLink.objects.get(campaign=open_campaign, single_use=True)
    assert link.agency == tree["06001"]
    assert response.json()["token"] == link.token


def test_invitation_body_has_exactly_the_documented_fields(invite, settings):
    settings.SITE_URL = "https://sipas.example.vn"

    body = invite().json()

    token = body["token"]
    assert body == {
        "token": token,
        "url": f"https://sipas.example.vn/s/{token}/",
        "qr_svg_url": f"https://sipas.example.vn/s/{token}/qr.svg",
        "qr_png_url": f"https://sipas.example.vn/s/{token}/qr.png",
        "agency_code": "06001",
        "created_at": body["created_at"],
    }
    assert body["created_at"]


def test_same_dossier_twice_returns_the_same_invitation(invite):
    first = invite()
    second = invite()

    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json()["token"] == first.json()["token"]
    assert SurveyLink.objects.filter(single_use=True).count() == 1


def test_dossier_code_with_surrounding_spaces_is_the_same_dossier(invite):
    first = invite()
    second = invite(dossier_code=f"  {DOSSIER} ")

    assert second.status_code == 200
    assert second.json()["token"] == first.json()["token"]


def test_another_dossier_gets_another_invitation(invite):
    first = invite()
    second = invite(dossier_code="000.00.06001.H20-250312-0043")

    assert second.status_code == 201
    assert second.json()["token"] != first.json()["token"]


def test_dossier_invited_by_another_agency_is_answered_as_any_other_dossier(invite, actors, open_campaign, tree):
    from surveys.services.links import create_invitation

    theirs, _ = create_invitation(campaign=open_campaign, agency=tree["06004"], dossier_code=DOSSIER)

    response = invite()

    assert response.status_code == 201
    assert set(response.json()) == {"token", "url", "qr_svg_url", "qr_png_url", "agency_code", "created_at"}
    assert response.json()["agency_code"] == "06001"
    assert response.json()["token"] != theirs.token
    assert "another agency" not in response.content.decode()


def test_dossier_code_is_stored_only_as_a_keyed_hash_and_never_returned(invite):
    response = invite()

    link = SurveyLink.objects.get(single_use=True)
    assert link.dossier_hash == keyed_hash(DOSSIER, purpose="dossier")
    assert DOSSIER not in response.content.decode()
    assert not AuditEntry.objects.filter(data__icontains=DOSSIER).exists()


def test_invitation_records_the_calling_account(invite, actors):
    invite()

    link = SurveyLink.objects.get(single_use=True)
    assert link.created_by == actors.staff
    assert AuditEntry.objects.filter(action="invitation.created", actor=actors.staff).count() == 1


def test_invitation_link_opens_the_survey_form(invite, client):
    body = invite().json()

    page = client.get(f"/s/{body['token']}/")

    assert page.status_code == 200
    assert "Xã Đoàn Kết" in page.content.decode()


def test_invitation_qr_code_is_served(invite, client):
    body = invite().json()

    svg = client.get(urlsplit(body["qr_svg_url"]).path)

    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"


def test_invitation_at_a_service_point_records_it(invite, tree):
    point = add_service_point(agency=tree["06001"], code="MC1", name="Quầy 1")

    response = invite(service_point_code="MC1")

    assert response.status_code == 201
    assert SurveyLink.objects.get(single_use=True).service_point == point


def test_invitation_creation_takes_a_fixed_number_of_queries(api, actors, open_campaign, django_assert_num_queries):
    client = api(actors.staff)
    body = {"agency_code": "06001", "dossier_code": DOSSIER}

    # token, memberships, campaign, agency, participant, existing dossier, savepoint, insert, audit, release
    with django_assert_num_queries(10):
        response = client.post(URL.format(slug=open_campaign.slug), body, format="json")

    assert response.status_code == 201


def test_invitation_replay_takes_fewer_queries(api, actors, open_campaign, django_assert_num_queries):
    client = api(actors.staff)
    body = {"agency_code": "06001", "dossier_code": DOSSIER}
    client.post(URL.format(slug=open_campaign.slug), body, format="json")

    with django_assert_num_queries(6):
        response = client.post(URL.format(slug=open_campaign.slug), body, format="json")

    assert response.status_code == 200


# --- bad input ------------------------------------------------------------------------------------------------------


def test_missing_dossier_code_is_a_field_error(invite):
    response = invite({"agency_code": "06001"})

    assert response.status_code == 400
    assert response.json() == {"dossier_code": ["This field is required."]}


def test_blank_dossier_code_is_a_field_error(invite):
    response = invite(dossier_code="   ")

    assert response.status_code == 400
    assert list(response.json()) == ["dossier_code"]
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_too_long_dossier_code_is_a_field_error(invite):
    response = invite(dossier_code="X" * 65)

    assert response.status_code == 400
    assert response.json() == {"dossier_code": ["Ensure this field has no more than 64 characters."]}
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_every_bad_field_is_reported_at_once(invite):
    response = invite({"agency_code": "99999", "dossier_code": "X" * 65})

    assert set(response.json()) == {"agency_code", "dossier_code"}


def test_missing_agency_code_is_a_field_error(invite):
    response = invite({"dossier_code": DOSSIER})

    assert response.status_code == 400
    assert response.json() == {"agency_code": ["This field is required."]}


def test_unknown_agency_is_a_field_error(invite):
    response = invite(agency_code="99999")

    assert response.status_code == 400
    assert response.json() == {"agency_code": NOT_FOUND}


def test_agency_not_surveyed_is_a_field_error(invite, actors):
    response = invite(agency_code="20", user=actors.officer_a)  # the province itself is not surveyed

    assert response.status_code == 400
    assert response.json() == {"agency_code": NOT_FOUND}


def test_unknown_service_point_is_a_field_error(invite):
    response = invite(service_point_code="NOPE")

    assert response.status_code == 400
    assert response.json() == {"service_point_code": ["This agency has no active service point with this code."]}


def test_service_point_of_another_agency_is_a_field_error(invite, tree, actors):
    add_service_point(agency=tree["06004"], code="MC1", name="Quầy 1")

    response = invite(service_point_code="MC1")

    assert response.status_code == 400
    assert list(response.json()) == ["service_point_code"]


def test_closed_campaign_refuses_new_invitations(invite, open_campaign):
    transition_campaign(campaign=open_campaign, to_state=CampaignState.CLOSED)

    response = invite()

    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["The campaign is closed: no new invitations."]}
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_same_dossier_for_another_agency_gets_that_agencys_own_invitation(invite, actors):
    first = invite(user=actors.officer_a)

    response = invite(user=actors.officer_a, agency_code="06004")

    assert response.status_code == 201
    assert response.json()["agency_code"] == "06004"
    assert response.json()["token"] != first.json()["token"]


def test_form_encoded_body_is_refused(api, actors, open_campaign):
    response = api(actors.staff).post(
        URL.format(slug=open_campaign.slug), {"agency_code": "06001", "dossier_code": DOSSIER}
    )

    assert response.status_code == 415


# --- authentication and scope ---------------------------------------------------------------------------------------


def test_no_token_is_401(open_campaign):
    response = english_client().post(
        URL.format(slug=open_campaign.slug), {"agency_code": "06001", "dossier_code": DOSSIER}, format="json"
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


def test_wrong_token_is_401(open_campaign):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.post(URL.format(slug=open_campaign.slug), {"agency_code": "06001"}, format="json")

    assert response.status_code == 401


def test_logged_in_session_without_token_is_401(client, actors, open_campaign):
    client.force_login(actors.staff)

    response = client.post(
        URL.format(slug=open_campaign.slug), {"agency_code": "06001", "dossier_code": DOSSIER}, "application/json"
    )

    assert response.status_code == 401


def test_unknown_campaign_is_404(invite):
    assert invite(slug="no-such-campaign").status_code == 404


def test_staff_cannot_invite_for_another_commune(invite):
    response = invite(agency_code="06004")

    assert response.status_code == 400
    assert response.json() == {"agency_code": NOT_FOUND}
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_staff_cannot_invite_for_an_agency_of_province_22(invite, campaign_22):
    response = invite(agency_code="07000")

    assert response.status_code == 400
    assert response.json() == {"agency_code": NOT_FOUND}


def test_staff_cannot_reach_the_campaign_of_province_22(invite, campaign_22):
    response = invite(slug=campaign_22.slug, agency_code="07000")

    assert response.status_code == 404
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_officer_of_province_22_cannot_reach_the_campaign_of_province_20(invite, actors):
    assert invite(user=actors.officer_b).status_code == 404


def test_officer_invites_for_any_surveyed_agency_of_the_province(invite, actors):
    assert invite(user=actors.officer_a, agency_code="06004").status_code == 201


def test_manager_invites_for_the_own_agency(invite, actors):
    assert invite(user=actors.manager, agency_code="20.STP").status_code == 201


def test_manager_cannot_invite_for_another_department(invite, actors):
    response = invite(user=actors.manager, agency_code="20.SNV")

    assert response.json() == {"agency_code": NOT_FOUND}


def test_enumerator_token_reaches_no_campaign(invite, actors):
    assert invite(user=actors.enumerator, agency_code="06004").status_code == 404


def test_deactivated_account_token_is_401(invite, actors):
    actors.staff.is_active = False
    actors.staff.save()

    assert invite().status_code == 401


# --- create_api_token -----------------------------------------------------------------------------------------------


def test_create_api_token_creates_and_prints_the_token(actors):
    out = io.StringIO()

    english_command("create_api_token", "staff", stdout=out, stderr=io.StringIO())

    assert out.getvalue().strip() == Token.objects.get(user=actors.staff).key


def test_create_api_token_prints_the_existing_token_again(actors):
    token = Token.objects.create(user=actors.staff)
    out = io.StringIO()

    english_command("create_api_token", "staff", stdout=out, stderr=io.StringIO())

    assert out.getvalue().strip() == token.key
    assert Token.objects.filter(user=actors.staff).count() == 1


def test_create_api_token_records_an_audit_entry_once(actors):
    for _ in range(2):
        english_command("create_api_token", "staff", stdout=io.StringIO(), stderr=io.StringIO())

    assert AuditEntry.objects.filter(action="api_token.created", target_id=str(actors.staff.pk)).count() == 1


def test_printed_token_authenticates_the_api(actors, open_campaign):
    out = io.StringIO()
    english_command("create_api_token", "staff", stdout=out, stderr=io.StringIO())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")

    response = client.post(
        URL.format(slug=open_campaign.slug), {"agency_code": "06001", "dossier_code": DOSSIER}, format="json"
    )

    assert response.status_code == 201


def test_create_api_token_for_an_unknown_user_fails(db):
    with pytest.raises(CommandError, match="No user is named ghost"):
        english_command("create_api_token", "ghost", stdout=io.StringIO())


def test_create_api_token_for_a_deactivated_user_fails(actors):
    actors.staff.is_active = False
    actors.staff.save()

    with pytest.raises(CommandError, match="deactivated"):
        english_command("create_api_token", "staff", stdout=io.StringIO())
    assert not Token.objects.exists()


def test_create_api_token_warns_when_the_account_reaches_no_agency(actors):
    err = io.StringIO()

    english_command("create_api_token", "enumerator", stdout=io.StringIO(), stderr=err)

    assert "reaches no agency" in err.getvalue()


# --- OpenAPI ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/v1/campaigns/{slug}/invitations/", "/api/v1/campaigns/{slug}/responses/"])
def test_schema_documents_the_request_and_the_responses(client, db, path):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    operation = schema["paths"][path]["post"]
    assert "application/json" in operation["requestBody"]["content"]
    assert {"200", "201", "400", "401", "404"} <= set(operation["responses"])
    assert operation["security"] == [{"tokenAuth": []}]
