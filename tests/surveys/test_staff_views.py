"""One-stop-shop screens at /staff/: the staff member of commune 06001 sees and prints their own agency's
links only, officers every agency of their province, and every other actor gets a 404 that gives nothing
away. PDFs are checked for their headers here; their content is tested in test_posters.py."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone

from agencies.services import add_service_point
from surveys.models import CampaignState, Channel, Methodology, Response, SurveyLink
from surveys.services.campaigns import create_campaign, transition_campaign
from surveys.services.links import create_invitation, ensure_reusable_links, keyed_hash

LOGIN_URL = "/accounts/login/"


def browser(user=None) -> Client:
    """A client in English, so messages can be asserted whatever the Vietnamese catalogue says."""
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def link_of(campaign, code: str) -> SurveyLink:
    return SurveyLink.objects.get(campaign=campaign, agency__code=code, single_use=False, service_point__isnull=True)


def poster_url(link: SurveyLink, size: str = "a4") -> str:
    return f"/staff/{link.campaign.slug}/links/{link.token}/{size}.pdf"


def invitation_url(link: SurveyLink, suffix: str = "") -> str:
    return f"/staff/{link.campaign.slug}/invitations/{link.token}/{suffix}"


@pytest.fixture
def zone_campaign(tree):
    """An open campaign of province 22 (officer_b's), which surveys only the special zone 07000."""
    today = timezone.localdate()
    campaign = create_campaign(
        year=today.year, name="Khảo sát Quảng Ninh", slug="quang-ninh", root=tree["22"],
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=today - datetime.timedelta(days=5),
        period_end=today + datetime.timedelta(days=30), channels=[Channel.QR, Channel.WEB],
        level_samples={"special_zone": 50},
    )  # fmt: skip
    campaign = transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)
    ensure_reusable_links(campaign=campaign)
    return campaign


@pytest.fixture
def counter(open_campaign, tree):
    """A one-stop-shop counter of commune 06001, with its reusable link."""
    point = add_service_point(agency=tree["06001"], code="MC1", name="Quầy một cửa số 1")
    ensure_reusable_links(campaign=open_campaign)
    return point


def add_responses(campaign, agency, count: int) -> None:
    Response.objects.bulk_create(
        Response(
            campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel=Channel.QR, submitted_at=timezone.now()
        )
        for _ in range(count)
    )


# --- anonymous ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "",
        "demo/",
        "demo/posters.pdf",
        "demo/links/TOKEN/a4.pdf",
        "demo/invitations/TOKEN/",
        "demo/invitations/TOKEN/slip.pdf",
    ],
)
def test_anonymous_visitor_is_sent_to_the_login_page(open_campaign, path):
    url = f"/staff/{path}"

    response = browser().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={url}"


def test_anonymous_post_creates_no_invitation(open_campaign):
    response = browser().post("/staff/demo/invitations/", {"agency": "06001", "dossier_code": "HS-1"})

    assert response.status_code == 302
    assert not SurveyLink.objects.filter(single_use=True).exists()


# --- campaign list -----------------------------------------------------------------------------------------------


def test_staff_sees_the_campaigns_that_survey_their_agency_only(actors, open_campaign, zone_campaign):
    page = browser(actors.staff).get("/staff/").content.decode()

    assert open_campaign.name in page
    assert zone_campaign.name not in page


def test_officer_of_another_province_sees_only_their_province_campaign(actors, open_campaign, zone_campaign):
    page = browser(actors.officer_b).get("/staff/").content.decode()

    assert zone_campaign.name in page
    assert open_campaign.name not in page


def test_enumerator_is_told_no_campaign_surveys_their_agency(actors, open_campaign):
    page = browser(actors.enumerator).get("/staff/").content.decode()

    assert open_campaign.name not in page
    assert "No campaign surveys your agency" in page


def test_campaign_list_runs_a_fixed_number_of_queries(actors, open_campaign, zone_campaign, django_assert_num_queries):
    client = browser(actors.officer_a)
    with django_assert_num_queries(4):  # session, user, memberships, campaigns
        client.get("/staff/")


# --- campaign page -----------------------------------------------------------------------------------------------


def test_staff_page_lists_their_agency_links_and_not_their_neighbours(actors, open_campaign, counter):
    own, neighbour = link_of(open_campaign, "06001"), link_of(open_campaign, "06004")
    counter_link = SurveyLink.objects.get(campaign=open_campaign, service_point=counter)

    page = browser(actors.staff).get("/staff/demo/").content.decode()

    assert poster_url(own, "a4") in page
    assert poster_url(own, "a6") in page
    assert f"/s/{own.token}/qr.svg" in page
    assert f"/s/{own.token}/qr.png" in page
    assert poster_url(counter_link) in page
    assert "Quầy một cửa số 1" in page
    assert neighbour.token not in page
    assert "Phường Đông Kinh" not in page


def test_staff_page_shows_the_response_count_of_their_agency(actors, open_campaign, tree):
    add_responses(open_campaign, tree["06001"], 3)
    add_responses(open_campaign, tree["06004"], 5)

    page = browser(actors.staff).get("/staff/demo/").content.decode()

    minimum = open_campaign.participants.get(agency=tree["06001"]).min_sample
    assert f"3 received, 3 counted, minimum {minimum}" in page
    assert "5 received" not in page


def test_staff_does_not_get_the_all_agencies_posters_button(actors, open_campaign):
    page = browser(actors.staff).get("/staff/demo/").content.decode()

    assert "/staff/demo/posters.pdf" not in page


def test_officer_page_lists_every_agency_of_their_province_and_the_all_posters_button(actors, open_campaign):
    page = browser(actors.officer_a).get("/staff/demo/").content.decode()

    for code in ["20.SNV", "20.STP", "06001", "06004"]:
        assert link_of(open_campaign, code).token in page
    assert "/staff/demo/posters.pdf" in page


def test_leader_reaches_their_own_agency_only(actors, open_campaign):
    page = browser(actors.manager).get("/staff/demo/").content.decode()

    assert link_of(open_campaign, "20.STP").token in page
    assert link_of(open_campaign, "06001").token not in page


@pytest.mark.parametrize("who", ["staff", "manager", "officer_a"])
def test_campaign_that_does_not_survey_the_users_agencies_is_404(actors, zone_campaign, who):
    assert browser(getattr(actors, who)).get("/staff/quang-ninh/").status_code == 404


def test_enumerator_gets_404_for_the_campaign_page(actors, open_campaign):
    assert browser(actors.enumerator).get("/staff/demo/").status_code == 404


def test_unknown_campaign_is_404(actors, db):
    assert browser(actors.admin).get("/staff/nope/").status_code == 404


def test_campaign_page_creates_missing_links_once(actors, make_survey_campaign):
    campaign = make_survey_campaign("no-links-yet")

    page = browser(actors.staff).get("/staff/no-links-yet/").content.decode()

    assert link_of(campaign, "06001").token in page
    assert SurveyLink.objects.filter(campaign=campaign).count() == 4


def test_staff_campaign_page_runs_a_fixed_number_of_queries(actors, open_campaign, counter, django_assert_num_queries):
    client = browser(actors.staff)
    # session, user, then memberships + campaign, memberships + participants, links, service points, response
    # counts, memberships for "manages this campaign" (no query follows: staff manage nothing)
    with django_assert_num_queries(10):
        client.get("/staff/demo/")


def test_officer_campaign_page_queries_do_not_grow_with_links(actors, open_campaign, tree, django_assert_num_queries):
    client = browser(actors.officer_a)
    with django_assert_num_queries(11):  # as for staff, plus "manages this campaign"
        client.get("/staff/demo/")
    for code in ["20.SNV", "06001", "06004"]:
        add_service_point(agency=tree[code], code="MC1", name=f"Quầy {code}")
        add_service_point(agency=tree[code], code="MC2", name=f"Quầy 2 {code}")
    ensure_reusable_links(campaign=open_campaign)

    with django_assert_num_queries(11):
        response = client.get("/staff/demo/")

    assert response.content.decode().count("/a6.pdf") == 10


def test_closed_campaign_page_offers_no_invitation_form(actors, make_survey_campaign):
    make_survey_campaign("closed", state=CampaignState.CLOSED)

    page = browser(actors.staff).get("/staff/closed/").content.decode()

    assert 'name="dossier_code"' not in page


# --- posters -----------------------------------------------------------------------------------------------------


def test_staff_downloads_the_a4_poster_of_their_agency_as_an_attachment(actors, open_campaign):
    response = browser(actors.staff).get(poster_url(link_of(open_campaign, "06001"), "a4"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="sipas-demo-06001-poster-a4.pdf"'
    assert response.content.startswith(b"%PDF-")


def test_staff_downloads_the_a6_card_of_their_counter(actors, open_campaign, counter):
    link = SurveyLink.objects.get(campaign=open_campaign, service_point=counter)

    response = browser(actors.staff).get(poster_url(link, "a6"))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sipas-demo-06001-MC1-card-a6.pdf"'


@pytest.mark.parametrize("who", ["staff", "manager", "enumerator", "officer_b"])
def test_poster_of_another_agency_is_404(actors, open_campaign, who):
    response = browser(getattr(actors, who)).get(poster_url(link_of(open_campaign, "06004")))

    assert response.status_code == 404


def test_poster_of_a_link_under_another_campaign_slug_is_404(actors, open_campaign, make_survey_campaign):
    make_survey_campaign("other")
    link = link_of(open_campaign, "06001")

    assert browser(actors.staff).get(f"/staff/other/links/{link.token}/a4.pdf").status_code == 404


def test_an_invitation_token_gets_no_poster(actors, dossier_invitation):
    assert browser(actors.staff).get(poster_url(dossier_invitation)).status_code == 404


def test_unknown_poster_size_is_404(actors, open_campaign):
    link = link_of(open_campaign, "06001")

    assert browser(actors.staff).get(f"/staff/demo/links/{link.token}/a3.pdf").status_code == 404


def test_officer_downloads_the_poster_of_any_agency_of_their_province(actors, open_campaign):
    response = browser(actors.officer_a).get(poster_url(link_of(open_campaign, "06004"), "a6"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_officer_downloads_every_agency_poster_in_one_pdf(actors, open_campaign, django_capture_on_commit_callbacks):
    client = browser(actors.officer_a)
    with django_capture_on_commit_callbacks(execute=True):  # a job (issue 17): rendered by a worker, then downloaded
        asked = client.post("/staff/demo/posters.pdf", {"size": "a4"})
    response = client.get(asked["Location"] + "download/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="sipas-demo-posters-a4.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


@pytest.mark.parametrize("who", ["staff", "manager", "enumerator", "officer_b"])
def test_all_agencies_posters_are_404_for_whoever_does_not_manage_the_campaign(actors, open_campaign, who):
    assert browser(getattr(actors, who)).get("/staff/demo/posters.pdf").status_code == 404


# --- invitations -------------------------------------------------------------------------------------------------


def test_staff_creates_an_invitation_and_is_sent_to_its_slip(actors, open_campaign, tree):
    response = browser(actors.staff).post("/staff/demo/invitations/", {"agency": "06001", "dossier_code": "HS-0042"})

    link = SurveyLink.objects.get(campaign=open_campaign, single_use=True)
    assert response.status_code == 302
    assert response["Location"] == invitation_url(link)
    assert link.agency == tree["06001"]
    assert link.created_by == actors.staff
    assert link.dossier_hash == keyed_hash("HS-0042", purpose="dossier")


def test_the_same_dossier_code_gives_the_same_invitation_again(actors, open_campaign):
    client = browser(actors.staff)
    first = client.post("/staff/demo/invitations/", {"agency": "06001", "dossier_code": "HS-0042"})

    second = client.post("/staff/demo/invitations/", {"agency": "06001", "dossier_code": " HS-0042 "}, follow=True)

    assert second.redirect_chain[0][0] == first["Location"]
    assert SurveyLink.objects.filter(campaign=open_campaign, single_use=True).count() == 1
    assert "This dossier already has an invitation" in second.content.decode()


def test_invitation_for_a_counter_records_the_service_point(actors, open_campaign, counter):
    browser(actors.staff).post(
        "/staff/demo/invitations/", {"agency": "06001", "service_point": str(counter.pk), "dossier_code": "HS-7"}
    )

    assert SurveyLink.objects.get(campaign=open_campaign, single_use=True).service_point == counter


def test_empty_dossier_code_is_a_form_error(actors, open_campaign):
    response = browser(actors.staff).post("/staff/demo/invitations/", {"agency": "06001", "dossier_code": "   "})

    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_too_long_dossier_code_is_a_form_error(actors, open_campaign):
    response = browser(actors.staff).post("/staff/demo/invitations/", {"agency": "06001", "dossier_code": "9" * 65})

    assert response.status_code == 400
    assert "at most 64 characters" in response.content.decode()


def test_staff_cannot_create_an_invitation_for_another_agency(actors, open_campaign):
    response = browser(actors.staff).post("/staff/demo/invitations/", {"agency": "06004", "dossier_code": "HS-1"})

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_service_point_of_another_agency_is_a_form_error(actors, open_campaign, counter):
    response = browser(actors.officer_a).post(
        "/staff/demo/invitations/", {"agency": "06004", "service_point": str(counter.pk), "dossier_code": "HS-1"}
    )

    assert response.status_code == 400
    assert "The service point does not belong to this agency" in response.content.decode()
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_closed_campaign_refuses_invitations_with_a_form_error(actors, make_survey_campaign):
    make_survey_campaign("closed", state=CampaignState.CLOSED)

    response = browser(actors.staff).post("/staff/closed/invitations/", {"agency": "06001", "dossier_code": "HS-1"})

    assert response.status_code == 400
    assert "The campaign is closed" in response.content.decode()
    assert not SurveyLink.objects.filter(single_use=True).exists()


@pytest.mark.parametrize("who", ["enumerator", "officer_b"])
def test_invitation_post_to_an_unreachable_campaign_is_404(actors, open_campaign, who):
    response = browser(getattr(actors, who)).post("/staff/demo/invitations/", {"agency": "06001", "dossier_code": "X"})

    assert response.status_code == 404
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_invitation_page_shows_its_address_and_slip_button(actors, dossier_invitation):
    page = browser(actors.staff).get(invitation_url(dossier_invitation)).content.decode()

    assert f"/s/{dossier_invitation.token}/" in page
    assert invitation_url(dossier_invitation, "slip.pdf") in page
    assert "Not answered yet" in page


@pytest.mark.parametrize("who", ["manager", "enumerator", "officer_b"])
def test_invitation_page_is_404_for_the_wrong_actor(actors, dossier_invitation, who):
    assert browser(getattr(actors, who)).get(invitation_url(dossier_invitation)).status_code == 404


def test_invitation_of_a_neighbouring_agency_is_404_for_staff(actors, open_campaign, tree):
    link, _ = create_invitation(campaign=open_campaign, agency=tree["06004"], dossier_code="HS-9")

    assert browser(actors.staff).get(invitation_url(link)).status_code == 404
    assert browser(actors.staff).get(invitation_url(link, "slip.pdf")).status_code == 404


def test_a_reusable_link_has_no_invitation_page_or_slip(actors, open_campaign):
    link = link_of(open_campaign, "06001")

    assert browser(actors.staff).get(invitation_url(link)).status_code == 404
    assert browser(actors.staff).get(invitation_url(link, "slip.pdf")).status_code == 404


def test_staff_downloads_the_slip_of_an_invitation(actors, dossier_invitation):
    response = browser(actors.staff).get(invitation_url(dossier_invitation, "slip.pdf"))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="sipas-demo-06001-slip-{dossier_invitation.token[:6]}.pdf"'
    )


@pytest.mark.parametrize("who", ["manager", "enumerator", "officer_b"])
def test_slip_is_404_for_the_wrong_actor(actors, dossier_invitation, who):
    assert browser(getattr(actors, who)).get(invitation_url(dossier_invitation, "slip.pdf")).status_code == 404


def test_a_service_point_posted_where_none_is_offered_is_a_visible_form_error(actors, open_campaign):
    response = browser(actors.staff).post(
        "/staff/demo/invitations/", {"agency": "06001", "service_point": "999999", "dossier_code": "HS-1"}
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_superuser_reaches_every_agency(actors, open_campaign, zone_campaign):
    client = browser(actors.admin)

    assert link_of(zone_campaign, "07000").token in client.get("/staff/quang-ninh/").content.decode()
    assert client.get(poster_url(link_of(open_campaign, "06004"), "a6")).status_code == 200


def test_a_dossier_code_already_invited_at_another_agency_gets_an_invitation_like_any_other(
    actors, open_campaign, tree
):
    other, _ = create_invitation(campaign=open_campaign, agency=tree["06004"], dossier_code="HS-1")

    response = browser(actors.staff).post("/staff/demo/invitations/", {"agency": "06001", "dossier_code": "HS-1"})

    ours = SurveyLink.objects.get(single_use=True, agency=tree["06001"])
    assert response.status_code == 302
    assert response["Location"] == invitation_url(ours)
    page = browser(actors.staff).get(response["Location"]).content.decode()
    assert "another agency" not in page
    assert other.token not in page
    assert "Phường Đông Kinh" not in page
