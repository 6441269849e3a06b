"""submit_response: one response stored once per client id, the reasons a response is refused (with nothing
written), and single-use invitations."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from django.utils import timezone, translation

from surveys.demo import ensure_demo_campaign
from surveys.models import CampaignState, Channel, Response, ResponseFlag, SurveyLink, new_client_id
from surveys.services.campaigns import transition_campaign
from surveys.services.links import keyed_hash
from surveys.services.responses import SubmissionRejected, submit_response


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def submit(campaign, agency, answers, **options):
    options.setdefault("client_id", uuid.uuid4())
    options.setdefault("channel", Channel.WEB)
    return submit_response(campaign=campaign, agency=agency, answers=answers, **options)


def rejection(campaign, agency, answers, **options) -> SubmissionRejected:
    with pytest.raises(SubmissionRejected) as caught:
        submit(campaign, agency, answers, **options)
    return caught.value


def nothing_stored() -> bool:
    return not Response.objects.exists() and not ResponseFlag.objects.exists()


# --- storing and replaying --------------------------------------------------------------------------------------


def test_submission_is_stored_with_its_answers_and_channel(open_campaign, tree, varied_answers):
    response, created = submit(open_campaign, tree["06001"], varied_answers, channel=Channel.QR, duration_seconds=140)

    stored = Response.objects.get()
    assert created is True
    assert stored == response
    assert (stored.agency, stored.channel, stored.duration_seconds) == (tree["06001"], "qr", 140)
    assert stored.answers == varied_answers
    assert abs(stored.submitted_at - timezone.now()) < datetime.timedelta(minutes=1)
    assert stored.excluded is False


def test_replayed_submission_is_counted_once(open_campaign, tree, varied_answers):
    client_id = uuid.uuid4()
    first, first_created = submit(open_campaign, tree["06001"], varied_answers, client_id=client_id)

    again, again_created = submit(open_campaign, tree["06001"], varied_answers, client_id=client_id)

    assert (first_created, again_created) == (True, False)
    assert again.pk == first.pk
    assert Response.objects.count() == 1


def test_replay_keeps_the_first_answers(open_campaign, tree):
    client_id = uuid.uuid4()
    submit(open_campaign, tree["06001"], {"HL": 5}, client_id=client_id)

    again, created = submit(open_campaign, tree["06001"], {"HL": 1}, client_id=client_id)

    assert created is False
    assert again.answers == {"HL": 5}
    assert Response.objects.get().answers == {"HL": 5}


def test_replay_after_the_campaign_closed_returns_the_stored_response(open_campaign, tree):
    client_id = uuid.uuid4()
    first, _ = submit(open_campaign, tree["06001"], {"HL": 4}, client_id=client_id)
    transition_campaign(campaign=open_campaign, to_state=CampaignState.CLOSED)
    open_campaign.refresh_from_db()

    again, created = submit(open_campaign, tree["06001"], {"HL": 4}, client_id=client_id)

    assert (again.pk, created) == (first.pk, False)
    assert Response.objects.count() == 1


def test_same_client_id_in_another_campaign_is_a_new_response(open_campaign, make_survey_campaign, tree):
    other = make_survey_campaign("other")
    client_id = uuid.uuid4()
    submit(open_campaign, tree["06001"], {"HL": 4}, client_id=client_id)

    _response, created = submit(other, tree["06001"], {"HL": 4}, client_id=client_id)

    assert created is True
    assert Response.objects.count() == 2


def test_organisation_representative_is_recorded(open_campaign, tree):
    response, _ = submit(open_campaign, tree["20.SNV"], {"HL": 4}, respondent_type="organization")

    assert Response.objects.get(pk=response.pk).respondent_type == "organization"


def test_network_address_and_device_are_kept_only_as_keyed_hashes(open_campaign, tree):
    submit(open_campaign, tree["06001"], {"HL": 4}, ip="203.0.113.7", device="device-cookie-abc")

    stored = Response.objects.get()
    assert stored.ip_hash == keyed_hash("203.0.113.7", purpose="ip")
    assert stored.device_hash == keyed_hash("device-cookie-abc", purpose="device")
    row = str(Response.objects.values().get())
    assert "203.0.113.7" not in row
    assert "device-cookie-abc" not in row


def test_enumerator_entry_keeps_who_entered_it_and_when_the_form_was_filled(open_campaign, tree, actors):
    filled = timezone.now() - datetime.timedelta(days=3)

    submit(
        open_campaign, tree["06004"], {"HL": 4}, channel=Channel.ENUMERATOR, entered_by=actors.enumerator,
        submitted_at=filled,
    )  # fmt: skip

    stored = Response.objects.get()
    assert (stored.channel, stored.entered_by, stored.submitted_at) == ("enumerator", actors.enumerator, filled)


def test_paper_form_can_still_be_entered_after_the_campaign_closed(open_campaign, tree):
    transition_campaign(campaign=open_campaign, to_state=CampaignState.CLOSED)
    open_campaign.refresh_from_db()

    _response, created = submit(open_campaign, tree["06001"], {"HL": 4}, channel=Channel.PAPER)

    assert created is True


def test_demo_campaign_is_handed_back_open(tree):
    campaign = ensure_demo_campaign(province=tree["20"], slug="handed-back")

    assert campaign.state == CampaignState.OPEN
    _response, created = submit(campaign, tree["06001"], {"HL": 4})
    assert created is True


# --- rejections: nothing written --------------------------------------------------------------------------------


def test_closed_campaign_refuses_an_online_response(make_survey_campaign, tree):
    campaign = make_survey_campaign("closed", state=CampaignState.CLOSED)

    assert rejection(campaign, tree["06001"], {"HL": 4}).reason == "closed"
    assert nothing_stored()


def test_open_campaign_past_its_period_refuses_an_online_response(make_survey_campaign, tree):
    campaign = make_survey_campaign("ended", starts_in_days=-30, ends_in_days=-1)

    assert rejection(campaign, tree["06001"], {"HL": 4}).reason == "closed"
    assert nothing_stored()


def test_campaign_before_its_period_refuses_a_response(make_survey_campaign, tree):
    campaign = make_survey_campaign("future", starts_in_days=3, ends_in_days=60)

    assert rejection(campaign, tree["06001"], {"HL": 4}).reason == "not_started"
    assert nothing_stored()


def test_draft_campaign_refuses_a_response(make_survey_campaign, tree):
    campaign = make_survey_campaign("draft", state=CampaignState.DRAFT)

    assert rejection(campaign, tree["06001"], {"HL": 4}).reason == "not_started"
    assert nothing_stored()


def test_channel_not_allowed_by_the_campaign_is_refused(open_campaign, tree):
    assert Channel.PHONE not in open_campaign.channels

    assert rejection(open_campaign, tree["06001"], {"HL": 4}, channel=Channel.PHONE).reason == "channel"
    assert nothing_stored()


@pytest.mark.parametrize("code", ["07000", "20"])
def test_agency_not_surveyed_is_refused(open_campaign, tree, code):
    assert rejection(open_campaign, tree[code], {"HL": 4}).reason == "agency"
    assert nothing_stored()


def test_invalid_answers_are_refused_with_an_error_per_question(open_campaign, tree):
    refused = rejection(open_campaign, tree["06001"], {"TC1": 9, "NC": "NC1|NC99", "HL": 4})

    assert refused.reason == "invalid"
    assert set(refused.errors) == {"TC1", "NC"}
    assert nothing_stored()


def test_skip_logic_is_strict_by_default(open_campaign, tree):
    refused = rejection(open_campaign, tree["06001"], {"PA": "2", "GY2": 4})

    assert (refused.reason, set(refused.errors)) == ("invalid", {"GY2"})
    assert nothing_stored()


def test_lenient_skip_logic_stores_the_response_without_the_hidden_answer(open_campaign, tree):
    submit(open_campaign, tree["06001"], {"PA": "2", "GY2": 4, "HL": 4}, strict_skips=False)

    assert Response.objects.get().answers == {"PA": "2", "HL": 4}


@pytest.mark.parametrize("answers", [{}, {"TC1": "", "NC": [], "YK": "  "}])
def test_an_empty_sheet_is_refused(open_campaign, tree, answers):
    refused = rejection(open_campaign, tree["06001"], answers)

    assert refused.reason == "invalid"
    assert refused.errors == {"__all__": "Please answer at least one question."}
    assert nothing_stored()


def test_unknown_respondent_type_is_refused(open_campaign, tree):
    refused = rejection(open_campaign, tree["06001"], {"HL": 4}, respondent_type="robot")

    assert (refused.reason, set(refused.errors)) == ("invalid", {"respondent_type"})
    assert nothing_stored()


# --- single-use invitations -------------------------------------------------------------------------------------


def test_invitation_is_marked_used_by_its_first_response(open_campaign, tree, dossier_invitation):
    response, _ = submit(open_campaign, tree["06001"], {"HL": 4}, link=dossier_invitation)

    dossier_invitation.refresh_from_db()
    assert dossier_invitation.used_at is not None
    assert response.link == dossier_invitation
    assert not response.flags.exists()


def test_used_invitation_refuses_a_second_response(open_campaign, tree, dossier_invitation):
    submit(open_campaign, tree["06001"], {"HL": 4}, link=dossier_invitation)

    refused = rejection(open_campaign, tree["06001"], {"HL": 2}, link=dossier_invitation)

    assert refused.reason == "used"
    assert Response.objects.count() == 1
    assert Response.objects.get().answers == {"HL": 4}


def test_double_tap_on_an_invitation_is_a_replay_not_a_second_use(open_campaign, tree, dossier_invitation):
    client_id = uuid.uuid4()
    first, _ = submit(open_campaign, tree["06001"], {"HL": 4}, link=dossier_invitation, client_id=client_id)

    again, created = submit(open_campaign, tree["06001"], {"HL": 4}, link=dossier_invitation, client_id=client_id)

    assert (again.pk, created) == (first.pk, False)


def test_used_invitation_can_be_stored_with_a_reused_flag_when_asked(open_campaign, tree, dossier_invitation):
    submit(open_campaign, tree["06001"], {"HL": 4}, link=dossier_invitation)

    second, created = submit(
        open_campaign, tree["06001"], {"HL": 2}, link=dossier_invitation, reject_used_invitation=False
    )

    assert created is True
    assert Response.objects.count() == 2
    assert list(second.flags.values_list("rule", flat=True)) == ["reused_invitation"]


def test_refused_answers_do_not_use_up_the_invitation(open_campaign, tree, dossier_invitation):
    rejection(open_campaign, tree["06001"], {"TC1": 9}, link=dossier_invitation)

    dossier_invitation.refresh_from_db()
    assert dossier_invitation.used_at is None
    _response, created = submit(open_campaign, tree["06001"], {"TC1": 4}, link=dossier_invitation)
    assert created is True


def test_reusable_link_takes_any_number_of_responses(open_campaign, tree, agency_link):
    for _ in range(3):
        submit(open_campaign, tree["06001"], {"HL": 4}, link=agency_link)

    assert Response.objects.filter(link=agency_link).count() == 3
    assert SurveyLink.objects.get(pk=agency_link.pk).used_at is None


# --- ids the server makes ---------------------------------------------------------------------------------------


def test_client_ids_made_by_the_server_are_rfc_9562_version_7():
    made = new_client_id()

    assert made.version == 7 and made.variant == uuid.RFC_4122
    assert abs((made.int >> 80) - time.time_ns() // 1_000_000) < 1000  # its first 48 bits: now, in milliseconds


def test_client_ids_made_in_sequence_sort_in_sequence():
    """What keeps a large import's writes at one end of the index: an id made later sorts after (one per
    millisecond here; within a millisecond the order is random)."""
    made = []
    for _ in range(20):
        made.append(new_client_id())
        time.sleep(0.002)

    assert sorted(made) == made and len({m.int & ((1 << 74) - 1) for m in made}) == 20
