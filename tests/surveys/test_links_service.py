"""Survey links: keyed hashes, single-use invitations per dossier (never storing the dossier code in clear),
reusable links per agency and service point, and QR codes."""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from agencies.services import add_service_point
from sipas.models import AuditEntry
from surveys.models import CampaignState, Channel, FlagRule, SurveyLink
from surveys.services.campaigns import transition_campaign
from surveys.services.links import (
    InvitationError,
    create_invitation,
    dossier_answered_elsewhere,
    ensure_reusable_links,
    keyed_hash,
    link_url,
    qr_png,
    qr_svg,
)
from surveys.services.responses import submit_response

DOSSIER_CODE = "000.00.06001.H44-250301-0042"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def invite(campaign, agency, code=DOSSIER_CODE, **options):
    return create_invitation(campaign=campaign, agency=agency, dossier_code=code, **options)


# --- keyed hashes -----------------------------------------------------------------------------------------------


def test_keyed_hash_is_stable():
    assert keyed_hash("HS-1", purpose="dossier") == keyed_hash("HS-1", purpose="dossier")


def test_keyed_hash_is_hex_sha256_and_hides_its_input():
    digest = keyed_hash("HS-1", purpose="dossier")

    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert "HS-1" not in digest


def test_keyed_hash_differs_by_purpose():
    assert keyed_hash("203.0.113.7", purpose="ip") != keyed_hash("203.0.113.7", purpose="dossier")


def test_keyed_hash_differs_by_key(settings):
    settings.HASH_KEY = "first-key"
    first = keyed_hash("HS-1", purpose="dossier")

    settings.HASH_KEY = "second-key"

    assert keyed_hash("HS-1", purpose="dossier") != first


def test_keyed_hash_differs_by_input():
    assert keyed_hash("HS-1", purpose="dossier") != keyed_hash("HS-2", purpose="dossier")


# --- invitations ------------------------------------------------------------------------------------------------


def test_invitation_is_a_single_use_link_of_the_agency(open_campaign, tree):
    link, created = invite(open_campaign, tree["06001"])

    assert created is True
    assert (link.campaign, link.agency, link.single_use, link.used_at) == (open_campaign, tree["06001"], True, None)
    assert link.dossier_hash == keyed_hash(DOSSIER_CODE, purpose="dossier")


def test_same_dossier_gets_the_same_invitation_back(open_campaign, tree):
    first, _ = invite(open_campaign, tree["06001"])

    again, created = invite(open_campaign, tree["06001"])

    assert created is False
    assert again.pk == first.pk
    assert again.token == first.token
    assert SurveyLink.objects.filter(single_use=True).count() == 1


def test_dossier_code_with_surrounding_spaces_is_the_same_dossier(open_campaign, tree):
    first, _ = invite(open_campaign, tree["06001"])

    again, created = invite(open_campaign, tree["06001"], code=f"  {DOSSIER_CODE}\n")

    assert (again.pk, created) == (first.pk, False)


def test_two_dossiers_get_two_invitations(open_campaign, tree):
    first, _ = invite(open_campaign, tree["06001"], code="HS-1")
    second, created = invite(open_campaign, tree["06001"], code="HS-2")

    assert created is True
    assert first.token != second.token


def test_dossier_invited_by_another_agency_gets_an_invitation_of_its_own(open_campaign, tree):
    """An agency asking with a dossier code another agency already invited is answered as for any other
    dossier: its own single-use link, never the other agency's (with it, it could answer in its name)."""
    theirs, _ = invite(open_campaign, tree["06001"])

    ours, created = invite(open_campaign, tree["06004"])

    assert created is True
    assert ours.agency == tree["06004"]
    assert ours.token != theirs.token
    assert invite(open_campaign, tree["06004"]) == (ours, False)
    assert SurveyLink.objects.filter(single_use=True).count() == 2


def test_a_dossier_answered_through_two_agencies_invitations_is_flagged_the_second_time(
    open_campaign, tree, varied_answers
):
    first, _ = invite(open_campaign, tree["06001"])
    second, _ = invite(open_campaign, tree["06004"])

    answered = [
        submit_response(
            campaign=open_campaign, agency=link.agency, answers=varied_answers, client_id=uuid.uuid4(),
            channel=Channel.WEB, link=link,
        )[0]
        for link in (first, second)
    ]  # fmt: skip

    assert [set(r.flags.values_list("rule", flat=True)) for r in answered] == [set(), {FlagRule.REUSED_INVITATION}]


def test_dossier_answered_elsewhere_ignores_other_dossiers_and_unused_invitations(open_campaign, tree):
    first, _ = invite(open_campaign, tree["06001"])
    second, _ = invite(open_campaign, tree["06004"])
    other, _ = invite(open_campaign, tree["06001"], code="HS-OTHER")
    SurveyLink.objects.filter(pk=other.pk).update(used_at=timezone.now())

    assert dossier_answered_elsewhere(second) is False
    SurveyLink.objects.filter(pk=first.pk).update(used_at=timezone.now())
    assert dossier_answered_elsewhere(second) is True
    assert dossier_answered_elsewhere(SurveyLink.objects.get(pk=first.pk)) is False


def test_dossier_code_is_stored_nowhere_in_clear(open_campaign, tree, actors):
    link, _ = invite(open_campaign, tree["06001"], acting_user=actors.staff)

    row = str(SurveyLink.objects.filter(pk=link.pk).values().get())
    audit = str(list(AuditEntry.objects.filter(action="invitation.created").values()))
    assert DOSSIER_CODE not in row
    assert DOSSIER_CODE not in audit
    assert AuditEntry.objects.filter(action="invitation.created", actor=actors.staff).count() == 1


def test_invitation_at_a_service_point_of_the_agency(open_campaign, tree):
    point = add_service_point(agency=tree["06001"], code="MC1", name="Quầy 1")

    link, _ = invite(open_campaign, tree["06001"], service_point=point)

    assert link.service_point == point


@pytest.mark.parametrize("code", ["", "   ", "x" * 65])
def test_dossier_code_must_have_1_to_64_characters(open_campaign, tree, code):
    with pytest.raises(InvitationError):
        invite(open_campaign, tree["06001"], code=code)

    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_dossier_code_of_64_characters_is_accepted(open_campaign, tree):
    _link, created = invite(open_campaign, tree["06001"], code="x" * 64)

    assert created is True


def test_no_invitation_for_an_agency_not_surveyed(open_campaign, tree):
    with pytest.raises(InvitationError, match="07000"):
        invite(open_campaign, tree["07000"])

    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_no_invitation_once_the_campaign_is_closed(open_campaign, tree):
    transition_campaign(campaign=open_campaign, to_state=CampaignState.CLOSED)
    open_campaign.refresh_from_db()

    with pytest.raises(InvitationError):
        invite(open_campaign, tree["06001"])

    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_no_invitation_at_a_service_point_of_another_agency(open_campaign, tree):
    elsewhere = add_service_point(agency=tree["06004"], code="MC1", name="Quầy 1")

    with pytest.raises(InvitationError):
        invite(open_campaign, tree["06001"], service_point=elsewhere)

    assert not SurveyLink.objects.filter(single_use=True).exists()


def test_invitations_can_be_prepared_while_the_campaign_is_a_draft(make_survey_campaign, tree):
    draft = make_survey_campaign("draft", state=CampaignState.DRAFT)

    _link, created = invite(draft, tree["06001"])

    assert created is True


# --- reusable links ---------------------------------------------------------------------------------------------


def reusable_keys(campaign) -> list[tuple[str, str | None]]:
    return sorted(
        SurveyLink.objects.filter(campaign=campaign, single_use=False).values_list(
            "agency__code", "service_point__code"
        ),
        key=lambda key: (key[0], key[1] or ""),
    )


def test_one_reusable_link_per_surveyed_agency(open_campaign):
    links = ensure_reusable_links(campaign=open_campaign)

    surveyed = sorted(open_campaign.participants.values_list("agency__code", flat=True))
    assert sorted(link.agency.code for link in links) == surveyed
    assert reusable_keys(open_campaign) == [(code, None) for code in surveyed]
    assert len({link.token for link in links}) == len(links)


def test_reusable_links_are_created_once(open_campaign):
    first = ensure_reusable_links(campaign=open_campaign)

    again = ensure_reusable_links(campaign=open_campaign)

    assert [link.pk for link in again] == [link.pk for link in first]
    assert SurveyLink.objects.filter(campaign=open_campaign).count() == len(first)


def test_each_active_service_point_gets_its_own_reusable_link(open_campaign, tree):
    add_service_point(agency=tree["06001"], code="MC1", name="Quầy 1")
    add_service_point(agency=tree["06001"], code="MC2", name="Quầy 2")
    closed = add_service_point(agency=tree["06001"], code="MC3", name="Quầy cũ")
    closed.is_active = False
    closed.save()

    ensure_reusable_links(campaign=open_campaign)
    ensure_reusable_links(campaign=open_campaign)

    commune_links = [key for key in reusable_keys(open_campaign) if key[0] == "06001"]
    assert commune_links == [("06001", None), ("06001", "MC1"), ("06001", "MC2")]


def test_invitations_are_not_reusable_links(open_campaign, tree, dossier_invitation):
    links = ensure_reusable_links(campaign=open_campaign)

    assert dossier_invitation.pk not in [link.pk for link in links]


def test_link_url_is_the_short_form_address_on_the_site(open_campaign, agency_link, settings):
    settings.SITE_URL = "https://sipas.langson.gov.vn"

    assert link_url(agency_link) == f"https://sipas.langson.gov.vn/s/{agency_link.token}/"


# --- QR codes ---------------------------------------------------------------------------------------------------


def test_qr_svg_is_an_svg_image():
    svg = qr_svg("https://sipas.example.vn/s/abc/?c=qr")

    assert svg.lstrip().startswith("<svg")
    assert svg.rstrip().endswith("</svg>")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg


def test_qr_png_is_a_png_image():
    png = qr_png("https://sipas.example.vn/s/abc/?c=qr")

    assert png.startswith(PNG_SIGNATURE)


def test_new_link_codes_have_no_look_alike_characters(open_campaign, tree):
    from surveys.services.links import TOKEN_ALPHABET, new_token

    codes = {new_token() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(code) == 20 and set(code) <= set(TOKEN_ALPHABET) for code in codes)
    assert not set("0Oo1lIi") & set("".join(codes))


def test_a_link_printed_with_an_old_style_code_still_opens_the_form(open_campaign, tree, client):
    from surveys.models import SurveyLink

    link = SurveyLink.objects.get(campaign=open_campaign, agency=tree["06004"], single_use=False)
    SurveyLink.objects.filter(pk=link.pk).update(token="tEtIQ82oJACPRuiy")  # as printed before this change
    response = client.get("/s/tEtIQ82oJACPRuiy/")
    assert response.status_code == 200
