"""The enumerator's entry screens (/entry/): paper and mailed forms typed as codes with the same validation as
every channel, the agency's paper-form tally and its back-checks (phúc tra), each reachable only by the
enumerator of the agency and the officers above it."""

from __future__ import annotations

import datetime
import html
import re
import uuid

import pytest
from django.test import Client
from django.utils import timezone, translation

from sipas.models import AuditEntry
from surveys.models import BackCheck, CampaignAgency, CampaignState, Channel, Methodology, Response
from surveys.services.campaigns import create_campaign, transition_campaign
from surveys.services.paper import (
    PaperTally,
    enter_paper_form,
    entered_today,
    paper_tallies,
    paper_total,
    record_back_check,
    record_paper_tally,
)
from surveys.services.responses import SubmissionRejected

PAGE = "/entry/sipas-2025/06004/"
OTHER_PAGE = "/entry/sipas-2025/06001/"
ENTRY_CHANNELS = [Channel.QR, Channel.WEB, Channel.PAPER, Channel.POST, Channel.ENUMERATOR]


def browser(user=None) -> Client:
    """A client in English, so messages can be asserted whatever the Vietnamese catalogue says."""
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def make_campaign(tree, *, slug="sipas-2025", channels=ENTRY_CHANNELS, state=CampaignState.OPEN, kinds=None):
    today = timezone.localdate()
    campaign = create_campaign(
        year=today.year, name=f"Khảo sát {slug}", slug=slug, root=tree["20"],
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=today - datetime.timedelta(days=30),
        period_end=today + datetime.timedelta(days=30), channels=channels, agency_kinds=kinds,
    )  # fmt: skip
    for step in (CampaignState.OPEN, CampaignState.CLOSED, CampaignState.COMPUTED):
        if campaign.state == state:
            break
        campaign = transition_campaign(campaign=campaign, to_state=step)
    return campaign


@pytest.fixture
def campaign(tree):
    return make_campaign(tree)


@pytest.fixture
def participant(campaign, tree):
    return CampaignAgency.objects.get(campaign=campaign, agency=tree["06004"])


def blank_client_id(client, url=PAGE) -> str:
    """The client id the blank form carries in its hidden field."""
    return re.search(r'name="client_id" value="([^"]+)"', client.get(url).content.decode()).group(1)


def form_data(**answers) -> dict:
    """What the entry form posts: a fresh client id, paper, an individual, today, plus the given answers."""
    data = {"client_id": str(uuid.uuid4()), "channel": "paper", "respondent_type": "individual", "serial": ""}
    data["submitted_at"] = timezone.localdate().isoformat()
    data.update(answers)
    return data


def text(response) -> str:
    return html.unescape(response.content.decode())


def error_of(response, code: str) -> str:
    match = re.search(rf'id="err-{code}">([^<]*)<', text(response))
    return match.group(1) if match else ""


def value_of(response, code: str) -> str:
    return html.unescape(re.search(rf'id="in-{code}" value="([^"]*)"', response.content.decode()).group(1))


def alert_text(response, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">(.*?)</div>', text(response), re.S)
    return " ".join(match.group(1).split()) if match else ""


# --- scope ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/entry/", PAGE])
def test_anonymous_visitor_is_sent_to_the_login_page(campaign, url):
    response = browser().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_anonymous_post_stores_nothing(campaign):
    response = browser().post(PAGE, {"client_id": str(uuid.uuid4()), "TC1": "4", "channel": "paper"})

    assert response.status_code == 302
    assert not Response.objects.exists()


@pytest.mark.parametrize("actor", ["staff", "manager"])
def test_entry_home_is_404_for_roles_that_do_not_enter_forms(actors, campaign, actor):
    response = browser(getattr(actors, actor)).get("/entry/")

    assert response.status_code == 404
    assert campaign.name not in text(response)


def test_entry_home_lists_only_the_enumerators_own_agency(actors, campaign):
    page = text(browser(actors.enumerator).get("/entry/"))

    assert campaign.name in page
    assert f'href="{PAGE}"' in page
    assert "Xã Đoàn Kết" not in page
    assert "Sở Tư pháp" not in page


def test_entry_home_lists_every_agency_of_the_officers_province(actors, campaign):
    page = text(browser(actors.officer_a).get("/entry/"))

    for name in ("Sở Nội vụ", "Sở Tư pháp", "Xã Đoàn Kết", "Phường Đông Kinh"):
        assert name in page


def test_entry_home_of_another_provinces_officer_shows_no_campaign(actors, campaign):
    response = browser(actors.officer_b).get("/entry/")

    assert response.status_code == 200
    assert campaign.name not in text(response)
    assert "No campaign surveys your agencies yet." in text(response)


def test_entry_home_query_count_does_not_grow_with_campaigns(actors, tree, django_assert_num_queries):
    for number in range(3):
        make_campaign(tree, slug=f"campaign-{number}")
    client = browser(actors.officer_a)

    # session, user, membership check, scope (x2: campaigns, participants), campaigns, participants, valid forms
    with django_assert_num_queries(8):
        response = client.get("/entry/")

    assert text(response).count('href="/entry/campaign-') == 12


@pytest.mark.parametrize("actor", ["enumerator", "officer_a", "admin"])
def test_agency_page_opens_for_the_enumerator_and_the_officers_above(actors, campaign, actor):
    response = browser(getattr(actors, actor)).get(PAGE)

    assert response.status_code == 200
    assert "Phường Đông Kinh" in text(response)


WRONG_ACTORS = [("staff", PAGE), ("manager", PAGE), ("officer_b", PAGE), ("enumerator", OTHER_PAGE)]


@pytest.mark.parametrize(("actor", "url"), WRONG_ACTORS)
def test_agency_page_is_404_for_everyone_else(actors, campaign, actor, url):
    response = browser(getattr(actors, actor)).get(url)

    assert response.status_code == 404
    assert "Đông Kinh" not in text(response)
    assert "Đoàn Kết" not in text(response)


@pytest.mark.parametrize(("actor", "url"), WRONG_ACTORS)
@pytest.mark.parametrize(
    "data",
    [
        {"entry_action": "response", "TC1": "4", "channel": "paper", "respondent_type": "individual"},
        {"entry_action": "tally", "forms_issued": "10", "forms_returned": "5"},
        {"entry_action": "back_check", "forms_checked": "1", "forms_confirmed": "1", "note": "x"},
    ],
    ids=["response", "tally", "back_check"],
)
def test_agency_page_posts_are_404_for_everyone_else_and_write_nothing(actors, campaign, actor, url, data):
    data = {**data, "client_id": str(uuid.uuid4()), "submitted_at": timezone.localdate().isoformat()}

    response = browser(getattr(actors, actor)).post(url, data)

    assert response.status_code == 404
    assert not Response.objects.exists()
    assert not BackCheck.objects.exists()
    assert not CampaignAgency.objects.filter(forms_issued__gt=0).exists()


def test_agency_page_is_404_when_the_campaign_does_not_survey_the_agency(actors, tree):
    make_campaign(tree, slug="departments", kinds=["department"])

    response = browser(actors.enumerator).get("/entry/departments/06004/")

    assert response.status_code == 404


def test_agency_page_is_404_for_an_unknown_campaign(actors, campaign):
    assert browser(actors.enumerator).get("/entry/no-such-campaign/06004/").status_code == 404


def test_agency_page_is_404_for_an_unknown_agency(actors, campaign):
    assert browser(actors.officer_a).get("/entry/sipas-2025/99999/").status_code == 404


# --- the blank form ------------------------------------------------------------------------------------------------


def test_blank_form_labels_every_question_with_its_code_and_text(actors, campaign):
    page = text(browser(actors.enumerator).get(PAGE))

    assert '<label for="in-TC1" class="code">TC1</label>' in page
    assert re.search(r'<label for="in-TC1" class="qtext">The waiting area has enough seats', page)
    assert '<label for="in-YK" class="code">YK</label>' in page
    assert "<legend>Access to the service</legend>" in page


def test_blank_form_puts_the_cursor_in_the_form_number(actors, campaign):
    page = browser(actors.enumerator).get(PAGE).content.decode()

    assert re.search(r'<input type="text" name="serial"[^>]*autofocus', page)
    assert page.count("autofocus") == 1


def test_blank_form_offers_only_the_entry_channels_the_campaign_allows(actors, campaign):
    page = text(browser(actors.enumerator).get(PAGE))
    channel_select = re.search(r'<select name="channel".*?</select>', page, re.S).group(0)

    assert 'value="paper"' in channel_select
    assert 'value="post"' in channel_select
    assert 'value="enumerator"' in channel_select
    assert 'value="qr"' not in channel_select
    assert 'value="phone"' not in channel_select


def test_blank_form_defaults_the_date_to_today(actors, campaign):
    page = browser(actors.enumerator).get(PAGE).content.decode()

    assert f'name="submitted_at" value="{timezone.localdate().isoformat()}"' in page


def test_each_blank_form_carries_a_new_client_id(actors, campaign):
    client = browser(actors.enumerator)

    assert uuid.UUID(blank_client_id(client)) != uuid.UUID(blank_client_id(client))


def test_skip_dependent_questions_say_when_they_are_asked(actors, campaign):
    page = text(browser(actors.enumerator).get(PAGE))

    assert 'data-when="PA" data-values="1"' in page
    assert "(only if PA = 1)" in page


def test_agency_page_query_count_is_pinned(actors, participant, django_assert_num_queries):
    for number in range(3):
        record_back_check_as(participant, actors.officer_a, note=f"check {number}", returned=10)
    client = browser(actors.enumerator)
    client.get(PAGE)

    # session, user, scope memberships, agency, participant+campaign+methodology (the agency's version), questions,
    # entered today, entry-channel responses, valid paper forms, back-checks with their checkers
    with django_assert_num_queries(10):
        response = client.get(PAGE)

    assert text(response).count("check ") >= 3


# --- entering a form -----------------------------------------------------------------------------------------------


def test_valid_form_is_stored_with_the_enumerator_channel_and_date(actors, campaign, tree):
    client = browser(actors.enumerator)
    day = timezone.localdate() - datetime.timedelta(days=3)
    data = form_data(TC1="4", TC2="5", PA="2", DL="2", NC="NC3|NC5", YK="Tốt", channel="post")
    data.update(submitted_at=day.isoformat(), respondent_type="organization")

    response = client.post(PAGE, data)

    assert response.status_code == 302
    stored = Response.objects.get()
    assert stored.answers == {"TC1": 4, "TC2": 5, "PA": "2", "DL": "2", "NC": ["NC3", "NC5"], "YK": "Tốt"}
    assert stored.agency == tree["06004"]
    assert stored.channel == "post"
    assert stored.respondent_type == "organization"
    assert stored.entered_by == actors.enumerator
    assert timezone.localtime(stored.submitted_at).date() == day
    assert str(stored.client_id) == data["client_id"]


def test_saving_comes_back_to_an_empty_form_with_the_count_entered_today(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4"), follow=True)

    page = text(response)
    assert "Form saved. You have entered 1 form for Phường Đông Kinh today." in page
    assert value_of(response, "TC1") == ""
    assert re.search(r'<input type="text" name="serial"[^>]*autofocus', response.content.decode())


def test_the_count_grows_with_each_form_entered(actors, campaign):
    client = browser(actors.enumerator)
    client.post(PAGE, form_data(TC1="4"))

    response = client.post(PAGE, form_data(TC1="3"), follow=True)

    assert "You have entered 2 forms for Phường Đông Kinh today." in text(response)


def test_the_count_leaves_out_forms_entered_by_someone_else(actors, campaign):
    officer = browser(actors.officer_a)
    officer.post(PAGE, form_data(TC1="4"))
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="3"), follow=True)

    assert "You have entered 1 form for Phường Đông Kinh today." in text(response)


def test_the_count_leaves_out_forms_entered_on_earlier_days(actors, campaign):
    client = browser(actors.enumerator)
    client.post(PAGE, form_data(TC1="4"))
    AuditEntry.objects.filter(action="response.entered").update(at=timezone.now() - datetime.timedelta(days=1))

    response = client.post(PAGE, form_data(TC1="3"), follow=True)

    assert "You have entered 1 form for Phường Đông Kinh today." in text(response)


def test_double_submit_is_stored_once(actors, campaign):
    client = browser(actors.enumerator)
    data = form_data(TC1="4", client_id=blank_client_id(client))

    first = client.post(PAGE, data)
    second = client.post(PAGE, data, follow=True)

    assert first.status_code == 302
    assert Response.objects.count() == 1
    assert "This form had already been saved, so it was not stored twice." in text(second)
    assert "You have entered 1 form" in text(second)
    assert AuditEntry.objects.filter(action="response.entered").count() == 1


def test_next_form_keeps_the_channel_and_date_of_the_previous_one(actors, campaign):
    client = browser(actors.enumerator)
    day = timezone.localdate() - datetime.timedelta(days=2)
    data = form_data(TC1="4", channel="post", submitted_at=day.isoformat())

    page = client.post(PAGE, data, follow=True).content.decode()

    assert f'name="submitted_at" value="{day.isoformat()}"' in page
    assert re.search(r'<option value="post" selected>', page)


def test_date_written_day_first_is_accepted(actors, campaign):
    client = browser(actors.enumerator)
    day = timezone.localdate() - datetime.timedelta(days=1)

    client.post(PAGE, form_data(TC1="4", submitted_at=day.strftime("%d/%m/%Y")))

    assert timezone.localtime(Response.objects.get().submitted_at).date() == day


def test_several_needs_may_be_typed_as_numbers_separated_by_spaces(actors, campaign):
    client = browser(actors.enumerator)

    client.post(PAGE, form_data(NC="3 5,1"))

    assert Response.objects.get().answers == {"NC": ["NC1", "NC3", "NC5"]}


def test_feedback_questions_are_stored_after_a_yes_to_pa(actors, campaign):
    client = browser(actors.enumerator)

    client.post(PAGE, form_data(PA="1", GY2="4", HL_GY="5"))

    assert Response.objects.get().answers == {"PA": "1", "GY2": 4, "HL_GY": 5}


def test_entry_is_audited_with_the_form_number(actors, campaign):
    client = browser(actors.enumerator)

    client.post(PAGE, form_data(TC1="4", serial=" A-0012 "))

    entry = AuditEntry.objects.get(action="response.entered")
    assert entry.actor == actors.enumerator
    assert entry.data["serial"] == "A-0012"
    assert entry.target_id == str(Response.objects.get().pk)


def test_officer_may_enter_forms_for_an_agency_of_the_province(actors, campaign):
    client = browser(actors.officer_a)

    response = client.post(PAGE, form_data(TC1="4"))

    assert response.status_code == 302
    assert Response.objects.get().entered_by == actors.officer_a


def test_forms_may_still_be_entered_after_the_campaign_closed(actors, tree):
    make_campaign(tree, state=CampaignState.CLOSED)
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4"))

    assert response.status_code == 302
    assert Response.objects.count() == 1


# --- validation messages -------------------------------------------------------------------------------------------


def test_scale_outside_1_to_5_is_an_error_next_to_the_question_and_values_are_kept(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="7", TC2="5", YK="Chậm"))

    assert response.status_code == 400
    assert error_of(response, "TC1") == "Choose a level from 1 to 5, or leave it empty."
    assert error_of(response, "TC2") == ""
    assert value_of(response, "TC1") == "7"
    assert value_of(response, "TC2") == "5"
    assert value_of(response, "YK") == "Chậm"
    assert not Response.objects.exists()


def test_two_levels_typed_into_one_box_are_an_error_not_cut_to_one(actors, campaign):
    response = browser(actors.enumerator).post(PAGE, form_data(TC1="45"))

    assert error_of(response, "TC1") == "Choose a level from 1 to 5, or leave it empty."
    assert value_of(response, "TC1") == "45"
    assert "maxlength" not in re.search(r'<input[^>]*id="in-TC1"[^>]*>', text(response)).group(0)


def test_wrong_answer_gets_the_cursor_and_an_error_summary_link(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC3="x"))

    page = response.content.decode()
    assert re.search(r'id="in-TC3"[^>]*autofocus', page)
    assert page.count("autofocus") == 1
    assert '<a href="#in-TC3">TC3: Choose a level from 1 to 5, or leave it empty.</a>' in text(response)


def test_the_rejected_form_keeps_its_client_id(actors, campaign):
    client = browser(actors.enumerator)
    data = form_data(TC1="9")

    page = client.post(PAGE, data).content.decode()

    assert f'name="client_id" value="{data["client_id"]}"' in page


def test_unknown_option_code_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(DL="9"))

    assert error_of(response, "DL") == "Choose one of the listed answers."


def test_unknown_need_code_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(NC="NC1 NC42"))

    assert error_of(response, "NC") == "Choose among the listed answers only."
    assert value_of(response, "NC") == "NC1 NC42"


def test_more_than_three_needs_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(NC="NC1 NC2 NC3 NC4"))

    assert error_of(response, "NC") == "Choose at most 3 answers."


def test_too_long_comment_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(YK="x" * 2001))

    assert error_of(response, "YK") == "Write at most 2000 characters."


def test_feedback_answer_after_a_no_to_pa_is_an_error_next_to_it(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(PA="2", GY1="4", GY2="4"))

    assert response.status_code == 400
    assert error_of(response, "GY2") == "Must be empty: it is asked only when PA is 1."
    assert error_of(response, "GY1") == ""
    assert not Response.objects.exists()


def test_feedback_answer_without_pa_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(HL_GY="3"))

    assert error_of(response, "HL_GY") == "Must be empty: it is asked only when PA is 1."


def test_apology_answer_when_the_result_was_not_late_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TH="2", XL="1"))

    assert error_of(response, "XL") == "Must be empty: it is asked only when TH is 3."


def test_empty_form_asks_for_at_least_one_answer(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data())

    assert response.status_code == 400
    assert "Please answer at least one question." in text(response)
    assert not Response.objects.exists()


def test_date_that_is_not_a_date_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4", submitted_at="31/02/2025"))

    assert response.status_code == 400
    assert "Enter the date written on the form as a date, e.g. 31/03/2025." in text(response)
    assert not Response.objects.exists()


def test_missing_date_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4", submitted_at=""))

    assert "Enter the date written on the form." in text(response)


def test_date_after_today_is_an_error(actors, campaign):
    client = browser(actors.enumerator)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post(PAGE, form_data(TC1="4", submitted_at=tomorrow.isoformat()))

    assert response.status_code == 400
    assert "The date on the form cannot be later than today." in text(response)
    assert not Response.objects.exists()


def test_bad_date_and_bad_answers_are_reported_together(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="0", submitted_at="hôm qua"))

    assert "Enter the date written on the form as a date" in text(response)
    assert error_of(response, "TC1") == "Choose a level from 1 to 5, or leave it empty."


def test_future_date_and_bad_answers_are_reported_together(actors, campaign):
    client = browser(actors.enumerator)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    response = client.post(PAGE, form_data(TC1="0", submitted_at=tomorrow.isoformat()))

    assert "The date on the form cannot be later than today." in text(response)
    assert error_of(response, "TC1") == "Choose a level from 1 to 5, or leave it empty."


def test_channel_the_campaign_does_not_allow_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4", channel="phone"))

    assert response.status_code == 400
    assert "Choose one of the channels this campaign allows." in text(response)
    assert not Response.objects.exists()


def test_online_channel_cannot_be_typed_in(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4", channel="qr"))

    assert "Choose one of the channels this campaign allows." in text(response)
    assert not Response.objects.exists()


def test_unknown_respondent_type_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4", respondent_type="robot"))

    assert "Choose individual or organisation." in text(response)
    assert not Response.objects.exists()


@pytest.mark.parametrize("client_id", ["", "not-a-uuid"])
def test_missing_or_broken_client_id_asks_to_reload(actors, campaign, client_id):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4", client_id=client_id))

    assert response.status_code == 400
    assert "This entry screen could not be read. Reload the page and enter the form again." in text(response)
    assert not Response.objects.exists()


def test_form_number_entered_twice_is_an_error(actors, campaign):
    client = browser(actors.enumerator)
    client.post(PAGE, form_data(TC1="4", serial="0012"))

    response = client.post(PAGE, form_data(TC1="5", serial="0012"))

    assert response.status_code == 400
    assert "Form number 0012 has already been entered for this agency." in text(response)
    assert Response.objects.count() == 1


def test_same_form_number_at_another_agency_is_accepted(actors, campaign):
    officer = browser(actors.officer_a)
    officer.post(PAGE, form_data(TC1="4", serial="0012"))

    response = officer.post(OTHER_PAGE, form_data(TC1="4", serial="0012"))

    assert response.status_code == 302
    assert Response.objects.count() == 2


def test_too_long_form_number_is_an_error(actors, campaign):
    client = browser(actors.enumerator)

    response = client.post(PAGE, form_data(TC1="4", serial="9" * 33))

    assert response.status_code == 400
    assert not Response.objects.exists()


# --- campaign state and channels -------------------------------------------------------------------------------------


def test_computed_campaign_explains_why_no_form_can_be_entered(actors, tree):
    make_campaign(tree, state=CampaignState.COMPUTED)

    response = browser(actors.enumerator).get(PAGE)

    assert response.status_code == 200
    assert "Forms can be entered only while the campaign is open or closed; this campaign is “Computed”." in text(
        response
    )
    assert 'id="entry-form"' not in text(response)


def test_post_to_a_computed_campaign_stores_nothing(actors, tree):
    make_campaign(tree, state=CampaignState.COMPUTED)
    data = {"client_id": str(uuid.uuid4()), "channel": "paper", "respondent_type": "individual", "TC1": "4"}

    response = browser(actors.enumerator).post(PAGE, {**data, "submitted_at": timezone.localdate().isoformat()})

    assert response.status_code == 409
    assert "This form was not saved." in text(response)
    assert not Response.objects.exists()


def test_draft_campaign_explains_why_no_form_can_be_entered(actors, tree):
    make_campaign(tree, state=CampaignState.DRAFT)

    assert "this campaign is “Draft”" in text(browser(actors.enumerator).get(PAGE))


def test_campaign_closed_for_entry_between_display_and_save_stores_nothing(actors, campaign):
    client = browser(actors.enumerator)
    data = form_data(TC1="4")
    transition_campaign(campaign=campaign, to_state=CampaignState.CLOSED)
    transition_campaign(campaign=campaign, to_state=CampaignState.COMPUTED)

    response = client.post(PAGE, data)

    assert response.status_code == 409
    assert "this campaign is “Computed”" in text(response)
    assert not Response.objects.exists()


def test_campaign_without_paper_channels_explains_why(actors, tree):
    make_campaign(tree, channels=[Channel.QR, Channel.WEB])

    response = browser(actors.enumerator).get(PAGE)

    assert "This campaign does not accept forms on paper, by post, by phone or through enumerators." in text(response)
    assert 'id="entry-form"' not in text(response)


# --- paper-form tally ----------------------------------------------------------------------------------------------


def tally(client, issued, returned, url=PAGE):
    data = {"entry_action": "tally", "forms_issued": issued, "forms_returned": returned}
    return client.post(url, data, follow=True)


def enter_forms(participant, count: int, *, channel=Channel.PAPER, user=None) -> list[Response]:
    return [
        enter_paper_form(
            campaign=participant.campaign, agency=participant.agency, answers={"HL": "4", "TC1": "5"},
            client_id=uuid.uuid4(), channel=channel, respondent_type="individual", form_date=timezone.localdate(),
            entered_by=user,
        )[0]
        for _ in range(count)
    ]  # fmt: skip


def test_tally_is_saved_and_shown(actors, participant):
    response = tally(browser(actors.enumerator), 200, 150)

    participant.refresh_from_db()
    assert (participant.forms_issued, participant.forms_returned) == (200, 150)
    assert "Paper-form tally saved." in text(response)
    assert 'name="forms_returned" id="id_forms_returned" value="150"' in response.content.decode()
    assert 'name="forms_valid"' not in response.content.decode()  # counted, not typed


def test_tally_is_audited_with_the_previous_figures(actors, participant):
    client = browser(actors.officer_a)
    tally(client, 10, 5)

    tally(client, 20, 10)

    entry = AuditEntry.objects.filter(action="paper.tally").first()
    assert entry.actor == actors.officer_a
    assert entry.data == {"previous": [10, 5], "issued": 20, "returned": 10}


def test_tally_with_more_returned_than_issued_is_a_form_error(actors, participant):
    response = tally(browser(actors.enumerator), 10, 11)

    assert response.status_code == 400
    assert "More forms returned (11) than issued (10)." in alert_text(response, "tally-errors")
    participant.refresh_from_db()
    assert participant.forms_issued == 0
    assert not AuditEntry.objects.filter(action="paper.tally").exists()


def test_tally_with_fewer_returned_than_the_forms_entered_is_a_form_error(actors, participant):
    enter_forms(participant, 6)

    response = tally(browser(actors.enumerator), 10, 5)

    assert response.status_code == 400
    assert (
        "6 paper and mailed forms of this agency are stored and counted: at least 6 were returned, not 5."
        in alert_text(response, "tally-errors")
    )
    participant.refresh_from_db()
    assert participant.forms_returned == 0


def test_tally_keeps_the_typed_numbers_after_an_error(actors, participant):
    response = tally(browser(actors.enumerator), 10, 11)

    assert 'name="forms_returned" id="id_forms_returned" value="11"' in response.content.decode()


@pytest.mark.parametrize(
    ("issued", "message"),
    [("-1", "greater than or equal to 0"), ("mười", "Enter a whole number"), ("99999999999", "less than or equal to")],
)
def test_tally_that_is_not_a_count_is_a_form_error(actors, participant, issued, message):
    response = tally(browser(actors.enumerator), issued, 0)

    assert response.status_code == 400
    assert message in text(response)


def test_tally_of_a_published_campaign_cannot_change(actors, participant):
    CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=5)
    type(participant.campaign).objects.filter(pk=participant.campaign_id).update(state=CampaignState.PUBLISHED)

    response = tally(browser(actors.enumerator), 10, 5)

    assert "its paper-form records can no longer change" in alert_text(response, "tally-errors")
    participant.refresh_from_db()
    assert participant.forms_issued == 5


def test_record_paper_tally_refuses_negative_numbers(participant):
    with translation.override("en"), pytest.raises(ValueError, match="cannot be negative"):
        record_paper_tally(participant=participant, issued=-1, returned=0, acting_user=None)


def test_tally_over_a_row_recorded_before_with_valid_forms_typed_in(actors, participant):
    CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=200, forms_returned=150, forms_valid=140)

    tally(browser(actors.enumerator), 100, 90)

    participant.refresh_from_db()
    assert (participant.forms_issued, participant.forms_returned) == (100, 90)


# --- forms valid are counted, returned derived from them, issued asked for (issue 16, point 8) -----------------------


def test_home_counts_the_forms_entered_as_valid_and_asks_for_the_forms_issued(actors, participant):
    enter_forms(participant, 8, user=actors.enumerator)

    response = browser(actors.enumerator).get("/entry/")

    row = re.search(r"Phường Đông Kinh.*?</tr>", text(response), re.S).group(0)
    cells = re.findall(r'<td class="text-end">(.*?)</td>', row, re.S)
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells] == ["to record", "8", "8"]
    assert 'href="/entry/sipas-2025/06004/#tally"' in row


def test_home_shows_the_recorded_forms_issued_and_returned(actors, participant):
    enter_forms(participant, 3)
    CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=20, forms_returned=12)

    row = re.search(r"Phường Đông Kinh.*?</tr>", text(browser(actors.enumerator).get("/entry/")), re.S).group(0)

    assert [c.strip() for c in re.findall(r'<td class="text-end">(.*?)</td>', row, re.S)] == ["20", "12", "3"]


def test_agency_page_shows_the_valid_forms_and_asks_for_the_tally(actors, participant):
    enter_forms(participant, 2)

    response = browser(actors.enumerator).get(PAGE)

    assert "Valid forms: 2 (entered and counted)." in " ".join(re.sub(r"<[^>]+>", "", text(response)).split())
    assert "Record the forms issued and returned" in text(response)
    assert 'name="forms_returned" id="id_forms_returned" value="2"' in response.content.decode()


def test_valid_forms_are_paper_and_mailed_forms_stored_and_counted(actors, participant, tree):
    paper = enter_forms(participant, 3)
    enter_forms(participant, 2, channel=Channel.POST)
    enter_forms(participant, 4, channel=Channel.ENUMERATOR)  # an interview issues no form
    Response.objects.filter(pk=paper[0].pk).update(excluded=True)
    other = CampaignAgency.objects.get(campaign=participant.campaign, agency=tree["06001"])
    enter_forms(other, 1)

    tallies = paper_tallies([participant, other])

    assert tallies[participant.pk] == PaperTally(issued=None, returned=4, valid=4)
    assert tallies[other.pk] == PaperTally(issued=None, returned=1, valid=1)


def test_a_campaigns_paper_total_for_its_report(participant, tree):
    """The report's "forms issued / returned / valid": 772 paper responses are 772 valid forms, not 0."""
    now = timezone.now()
    Response.objects.bulk_create(
        Response(campaign=participant.campaign, agency=participant.agency, client_id=uuid.uuid4(),
                 channel=Channel.PAPER, answers={"HL": 4}, submitted_at=now)
        for _ in range(772)
    )  # fmt: skip
    participants = list(participant.campaign.participants.all())

    total = paper_total(paper_tallies(participants).values())

    assert total == PaperTally(issued=None, returned=772, valid=772)
    CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=900, forms_returned=800)
    total = paper_total(paper_tallies(participant.campaign.participants.all()).values())
    assert total == PaperTally(issued=900, returned=800, valid=772)


# --- back-checks ---------------------------------------------------------------------------------------------------


def record_back_check_as(participant, user, *, checked=5, confirmed=4, note="", returned=None):
    if returned is not None:
        CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=returned, forms_returned=returned)
    return record_back_check(
        participant=participant, forms_checked=checked, forms_confirmed=confirmed, note=note, acting_user=user
    )


def back_check(client, checked, confirmed, note=""):
    data = {"entry_action": "back_check", "forms_checked": checked, "forms_confirmed": confirmed, "note": note}
    return client.post(PAGE, data, follow=True)


def test_back_check_is_recorded_and_listed(actors, participant):
    CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=50, forms_returned=40)

    response = back_check(browser(actors.officer_a), 10, 9, "Gọi điện 10 người, 1 không nhớ")

    check = BackCheck.objects.get()
    assert (check.participant, check.forms_checked, check.forms_confirmed) == (participant, 10, 9)
    assert check.checked_by == actors.officer_a
    assert "Back-check recorded." in text(response)
    listing = re.search(r'id="back-check-list">.*?</table>', text(response), re.S).group(0)
    assert "Gọi điện 10 người, 1 không nhớ" in listing
    assert "officer_a" in listing


def test_back_check_is_audited(actors, participant):
    record_back_check_as(participant, actors.enumerator, checked=3, confirmed=3, returned=10)

    entry = AuditEntry.objects.get(action="paper.back_check")
    assert entry.actor == actors.enumerator
    assert entry.data == {"participant": participant.pk, "checked": 3, "confirmed": 3}


def test_back_checks_are_listed_latest_first(actors, participant):
    record_back_check_as(participant, actors.enumerator, note="first check", returned=10)
    record_back_check_as(participant, actors.enumerator, note="second check")
    BackCheck.objects.filter(note="first check").update(checked_at=timezone.now() - datetime.timedelta(days=1))

    page = text(browser(actors.enumerator).get(PAGE))

    assert page.index("second check") < page.index("first check")


def test_back_check_with_more_confirmed_than_checked_is_a_form_error(actors, participant):
    CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=50, forms_returned=40)

    response = back_check(browser(actors.enumerator), 5, 6)

    assert response.status_code == 400
    assert "More forms confirmed (6) than checked (5)." in alert_text(response, "back-check-errors")
    assert not BackCheck.objects.exists()


def test_back_check_of_more_forms_than_returned_is_a_form_error(actors, participant):
    CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=50, forms_returned=4)

    response = back_check(browser(actors.enumerator), 5, 5)

    assert "More forms checked (5) than returned (4). Record the forms returned in the tally first." in alert_text(
        response, "back-check-errors"
    )
    assert not BackCheck.objects.exists()


def test_back_check_of_no_form_is_a_form_error(actors, participant):
    response = back_check(browser(actors.enumerator), 0, 0)

    assert response.status_code == 400
    assert "greater than or equal to 1" in text(response)
    assert not BackCheck.objects.exists()


def test_back_check_keeps_the_typed_note_after_an_error(actors, participant):
    response = back_check(browser(actors.enumerator), 5, 6, "ghi chú")

    assert ">ghi chú</textarea>" in text(response)


def test_record_back_check_refuses_zero_forms(participant):
    with translation.override("en"), pytest.raises(ValueError, match="at least one form"):
        record_back_check_as(participant, None, checked=0, confirmed=0)


def test_record_back_check_refuses_a_published_campaign(participant):
    CampaignAgency.objects.filter(pk=participant.pk).update(forms_issued=10, forms_returned=10)
    type(participant.campaign).objects.filter(pk=participant.campaign_id).update(state=CampaignState.PUBLISHED)

    with translation.override("en"), pytest.raises(ValueError, match="published"):
        record_back_check_as(participant, None)
    assert not BackCheck.objects.exists()


# --- the entry service ---------------------------------------------------------------------------------------------


def enter(campaign, agency, user, **overrides):
    arguments = {
        "campaign": campaign, "agency": agency, "answers": {"TC1": "4"}, "client_id": uuid.uuid4(),
        "channel": Channel.PAPER, "respondent_type": "individual", "form_date": timezone.localdate(),
        "entered_by": user,
    }  # fmt: skip
    arguments.update(overrides)
    return enter_paper_form(**arguments)


def test_enter_paper_form_refuses_online_channels(actors, campaign, tree):
    with pytest.raises(SubmissionRejected) as rejected:
        enter(campaign, tree["06004"], actors.enumerator, channel=Channel.QR)

    assert rejected.value.reason == "channel"
    assert not Response.objects.exists()


def test_enter_paper_form_replay_returns_the_stored_response(actors, campaign, tree):
    client_id = uuid.uuid4()
    first, created = enter(campaign, tree["06004"], actors.enumerator, client_id=client_id, serial="7")

    again, created_again = enter(campaign, tree["06004"], actors.enumerator, client_id=client_id, serial="7")

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert entered_today(campaign=campaign, agency=tree["06004"], user=actors.enumerator) == 1
