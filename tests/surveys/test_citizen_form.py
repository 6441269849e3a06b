"""The citizen's form at /s/<token>/, through Django's test client: what the page shows, what a submission
stores (once, whatever the retries), every message next to its question, the pages that explain why a link
cannot be answered, no refusal for a shared address (only a flood is refused, with its own message), the
thank-you page, the language and the QR codes."""

from __future__ import annotations

import time
import uuid
from html.parser import HTMLParser
from xml.etree.ElementTree import Element, TreeBuilder

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from agencies.services import add_service_point
from surveys import views
from surveys.forms import SECONDS_PER_QUESTION, STARTED_SALT, SurveyForm
from surveys.models import CampaignState, FlagRule, QuestionKind, Response, SurveyLink
from surveys.services.answers import QuestionSet
from surveys.services.campaigns import transition_campaign
from surveys.services.links import create_invitation, ensure_reusable_links, keyed_hash
from surveys.services.quality import BURST_LIMIT
from surveys.services.responses import question_set

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def browser(language: str | None = None) -> Client:
    client = Client()
    if language:
        client.cookies["django_language"] = language
    return client


@pytest.fixture
def english() -> Client:
    """A client in English, so messages can be asserted whatever the Vietnamese catalogue says."""
    return browser("en")


def form_url(link: SurveyLink, query: str = "") -> str:
    return f"/s/{link.token}/{query}"


def thanks_url(link: SurveyLink) -> str:
    return f"/s/{link.token}/thanks/"


def signed_start(seconds_ago: float) -> str:
    return signing.dumps(time.time() - seconds_ago, salt=STARTED_SALT)


def post_data(answers: dict, **fields) -> dict:
    """The body a browser sends: every value a string, multiple choices as lists."""
    data = {
        "client_id": str(fields.pop("client_id", uuid.uuid4())),
        "started": fields.pop("started", signed_start(120)),
        "respondent_type": fields.pop("respondent_type", "individual"),
        "website": fields.pop("website", ""),
    }
    for code, value in answers.items():
        data[code] = [str(v) for v in value] if isinstance(value, list) else str(value)
    data.update(fields)
    return data


VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class _TreeParser(HTMLParser):
    """The page as an ElementTree (the templates write well-formed HTML; void elements close themselves)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.builder = TreeBuilder()

    def handle_starttag(self, tag, attrs):
        self.builder.start(tag, {name: value if value is not None else "" for name, value in attrs})
        if tag in VOID_ELEMENTS:
            self.builder.end(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_ELEMENTS:
            self.builder.end(tag)

    def handle_endtag(self, tag):
        if tag not in VOID_ELEMENTS:
            self.builder.end(tag)

    def handle_data(self, data):
        self.builder.data(data)


def page(response) -> Element:
    parser = _TreeParser()
    parser.feed(response.content.decode())
    parser.close()
    return parser.builder.close()


def element(doc, element_id: str):
    found = doc.find(f".//*[@id='{element_id}']")
    assert found is not None, f"no element #{element_id}"
    return found


def text_of(el) -> str:
    return " ".join("".join(el.itertext()).split())


def checked_values(doc, name: str) -> list[str]:
    return [i.get("value") for i in doc.iter("input") if i.get("name") == name and i.get("checked") is not None]


def hidden_value(doc, name: str) -> str:
    return next(i.get("value") for i in doc.iter("input") if i.get("name") == name)


# --- the page ---------------------------------------------------------------------------------------------------


def test_form_shows_the_agency_name_at_the_top(client, agency_link):
    response = client.get(form_url(agency_link))

    assert response.status_code == 200
    assert text_of(page(response).find(".//h1")) == "Xã Đoàn Kết"


def test_form_has_a_fieldset_with_a_legend_for_every_question(client, agency_link, open_campaign, tree):
    doc = page(client.get(form_url(agency_link)))

    questions = question_set(open_campaign, tree["06001"]).questions
    assert len(questions) == 43
    for question in questions:
        box = element(doc, f"q-{question.code}")
        if question.kind == QuestionKind.TEXT:
            labels = [label for label in box.iter("label") if label.get("for") == f"id_{question.code}"]
            assert labels and text_of(labels[0]), question.code
            assert box.find(f".//textarea[@id='id_{question.code}']") is not None
        else:
            assert box.tag == "fieldset", question.code
            assert text_of(box.find("legend")), question.code
            labelled = [i for label in box.iter("label") for i in label.iter("input")]
            assert labelled, question.code
            assert all(i.get("name") == question.code for i in labelled)
            assert len(labelled) == len(list(box.iter("input")))


def test_every_visible_input_of_the_form_has_a_label(client, agency_link):
    doc = page(client.get(form_url(agency_link)))

    wrapped = {id(i) for label in doc.iter("label") for i in label.iter("input")}
    labelled_ids = {label.get("for") for label in doc.iter("label") if label.get("for")}
    fields = [i for i in doc.iter("input") if i.get("type") != "hidden"] + list(doc.iter("textarea"))

    unlabelled = [f.get("name") for f in fields if id(f) not in wrapped and f.get("id") not in labelled_ids]
    assert unlabelled == []


def test_scaled_question_offers_the_five_levels(client, agency_link):
    doc = page(client.get(form_url(agency_link)))

    values = [i.get("value") for i in element(doc, "q-TC1").iter("input")]
    assert values == ["1", "2", "3", "4", "5"]


def test_wording_an_officer_wrote_is_shown_as_text_never_as_markup(client, agency_link, open_campaign):
    """Scale levels and choices are escaped once per page (surveys.forms.SurveyForm.sections): still escaped."""
    version = open_campaign.methodology
    version.scale = [{**level, "label": f'<b class="x">Mức {level["code"]}</b> & "ổn"'} for level in version.scale]
    version.save(update_fields=["scale"])
    question = version.questions.exclude(options=[]).first()
    question.options = [{**option, "label": "<script>alert(1)</script>"} for option in question.options]
    question.save(update_fields=["options"])

    html = client.get(form_url(agency_link)).content.decode()

    assert "<script>alert" not in html and '<b class="x">' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b class=&quot;x&quot;&gt;Mức 5&lt;/b&gt; &amp; &quot;ổn&quot;" in html
    doc = page(client.get(form_url(agency_link)))
    labels = [text_of(label) for label in element(doc, "q-TC1").iter("label")]
    assert labels[4] == '5 <b class="x">Mức 5</b> & "ổn"'


def test_feedback_follow_ups_are_marked_to_hide_until_pa_is_yes(client, agency_link):
    doc = page(client.get(form_url(agency_link)))

    assert element(doc, "q-GY2").get("data-when") == "PA:1"
    assert element(doc, "q-XL").get("data-when") == "TH:3"
    assert element(doc, "q-GY1").get("data-when") is None


def test_each_visit_gets_a_fresh_client_id(client, agency_link):
    first = hidden_value(page(client.get(form_url(agency_link))), "client_id")
    second = hidden_value(page(client.get(form_url(agency_link))), "client_id")

    assert uuid.UUID(first) != uuid.UUID(second)
    assert uuid.UUID(first).version == uuid.UUID(second).version == 7


def test_first_visit_gets_a_device_cookie(client, agency_link):
    response = client.get(form_url(agency_link))

    cookie = response.cookies[views.DEVICE_COOKIE]
    assert len(cookie.value) >= 16
    assert cookie["httponly"] is True


def test_device_cookie_is_secure_when_debug_is_off(client, agency_link, settings):
    assert settings.DEBUG is False

    response = client.get(form_url(agency_link))

    assert response.cookies[views.DEVICE_COOKIE]["secure"] is True


def test_device_cookie_is_kept_on_later_visits(client, agency_link):
    client.cookies[views.DEVICE_COOKIE] = "already-here"

    response = client.get(form_url(agency_link))

    assert views.DEVICE_COOKIE not in response.cookies


def test_page_is_never_cached(client, agency_link):
    response = client.get(form_url(agency_link))

    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]


# --- submitting -------------------------------------------------------------------------------------------------


def test_valid_submission_redirects_to_the_thank_you_page(client, agency_link, varied_answers):
    response = client.post(form_url(agency_link), post_data(varied_answers))

    assert response.status_code == 302
    assert response["Location"] == thanks_url(agency_link)


def test_valid_submission_stores_one_response_with_the_answers(client, agency_link, varied_answers, tree):
    client_id = uuid.uuid4()

    client.post(form_url(agency_link), post_data(varied_answers, client_id=client_id))

    stored = Response.objects.get()
    assert stored.answers == varied_answers
    assert (stored.agency, stored.link, stored.client_id) == (tree["06001"], agency_link, client_id)
    assert (stored.channel, stored.respondent_type) == ("web", "individual")


def test_submission_from_the_qr_code_is_recorded_as_the_qr_channel(client, agency_link):
    client.post(form_url(agency_link, "?c=qr"), post_data({"HL": 4}))

    assert Response.objects.get().channel == "qr"


def test_organisation_representative_is_recorded(client, agency_link):
    client.post(form_url(agency_link), post_data({"HL": 4}, respondent_type="organization"))

    assert Response.objects.get().respondent_type == "organization"


def test_time_taken_is_recorded_from_the_signed_start(client, agency_link):
    client.post(form_url(agency_link), post_data({"HL": 4}, started=signed_start(300)))

    assert 300 <= Response.objects.get().duration_seconds <= 310


def test_time_taken_from_the_page_itself_is_recorded(client, agency_link):
    started = hidden_value(page(client.get(form_url(agency_link))), "started")

    client.post(form_url(agency_link), post_data({"HL": 4}, started=started))

    assert 0 <= Response.objects.get().duration_seconds <= 30


def test_tampered_start_is_stored_without_a_duration(client, agency_link):
    response = client.post(form_url(agency_link), post_data({"HL": 4}, started=f"{time.time() - 9999:.0f}"))

    assert response.status_code == 302
    assert Response.objects.get().duration_seconds is None


def test_device_cookie_is_stored_as_a_hash(client, agency_link):
    client.cookies[views.DEVICE_COOKIE] = "phone-123"

    client.post(form_url(agency_link), post_data({"HL": 4}))

    assert Response.objects.get().device_hash == keyed_hash("phone-123", purpose="device")


def test_double_submission_is_stored_once_and_both_see_thanks(client, agency_link, varied_answers):
    data = post_data(varied_answers)

    first = client.post(form_url(agency_link), data)
    second = client.post(form_url(agency_link), data)

    assert [first.status_code, second.status_code] == [302, 302]
    assert first["Location"] == second["Location"] == thanks_url(agency_link)
    assert Response.objects.count() == 1


def test_pa_no_with_a_follow_up_answered_is_stored_without_it(client, agency_link):
    response = client.post(form_url(agency_link), post_data({"PA": "2", "GY1": 4, "GY2": 5, "HL_GY": 4, "HL": 4}))

    assert response.status_code == 302
    assert Response.objects.get().answers == {"GY1": 4, "PA": "2", "HL": 4}


def test_filled_honeypot_is_stored_flagged_and_thanked(client, agency_link):
    response = client.post(form_url(agency_link), post_data({"HL": 4}, website="http://spam.example"))

    assert response.status_code == 302
    stored = Response.objects.get()
    assert list(stored.flags.values_list("rule", flat=True)) == [FlagRule.HONEYPOT]
    assert stored.excluded is False


def test_too_fast_submission_is_stored_and_flagged(client, agency_link):
    response = client.post(form_url(agency_link), post_data({"HL": 4}, started=signed_start(5)))

    assert response.status_code == 302
    assert list(Response.objects.get().flags.values_list("rule", flat=True)) == [FlagRule.TOO_FAST]


def test_retry_arriving_after_the_campaign_closed_still_sees_thanks(client, agency_link, open_campaign):
    data = post_data({"HL": 4})
    client.post(form_url(agency_link), data)
    transition_campaign(campaign=open_campaign, to_state=CampaignState.CLOSED)

    response = client.post(form_url(agency_link), data)

    assert response.status_code == 302
    assert response["Location"] == thanks_url(agency_link)
    assert Response.objects.count() == 1


def test_service_point_link_shows_the_counter_and_records_it(client, open_campaign, tree):
    point = add_service_point(agency=tree["06001"], code="MC2", name="Quầy tiếp nhận số 2")
    ensure_reusable_links(campaign=open_campaign)
    link = SurveyLink.objects.get(service_point=point)

    shown = client.get(form_url(link))
    client.post(form_url(link), post_data({"HL": 4}))

    assert "Quầy tiếp nhận số 2" in text_of(page(shown).find(".//header"))
    assert Response.objects.get().service_point == point


def test_comment_with_a_null_character_does_not_break_the_form(agency_link):
    citizen = Client(raise_request_exception=False)

    response = citizen.post(form_url(agency_link), post_data({"HL": 4, "YK": "Tốt\x00 lắm"}))

    assert response.status_code in (302, 400)
    stored = Response.objects.first()
    assert stored is None or "\x00" not in stored.answers.get("YK", "")


def test_invitation_is_used_by_its_submission(client, dossier_invitation):
    client.post(form_url(dossier_invitation), post_data({"HL": 4}))

    dossier_invitation.refresh_from_db()
    assert dossier_invitation.used_at is not None
    assert Response.objects.get().link == dossier_invitation


def test_double_submission_on_an_invitation_is_stored_once_and_both_see_thanks(client, dossier_invitation):
    data = post_data({"HL": 4})

    first = client.post(form_url(dossier_invitation), data)
    second = client.post(form_url(dossier_invitation), data)

    assert [first.status_code, second.status_code] == [302, 302]
    assert Response.objects.count() == 1


# --- messages next to the questions -----------------------------------------------------------------------------

WRONG_ANSWERS = [
    ("TC1", "7", "Choose a level from 1 to 5, or leave it empty."),
    ("TC1", "abc", "Choose a level from 1 to 5, or leave it empty."),
    ("HL", "4.5", "Choose a level from 1 to 5, or leave it empty."),
    ("DL", "9", "Choose one of the listed answers."),
    ("NC", ["NC1", "NC99"], "Choose among the listed answers only."),
    ("NC", ["NC1", "NC2", "NC3", "NC4"], "Choose at most 3 answers."),
    ("YK", "a" * 2001, "Write at most 2000 characters."),
]


@pytest.mark.parametrize(("code", "value", "message"), WRONG_ANSWERS)
def test_wrong_answer_is_explained_inside_its_question(english, agency_link, code, value, message):
    answers = {"TC2": 5, "HL_TC": 4, "DL": "2", "NC": ["NC3"], code: value}

    response = english.post(form_url(agency_link), post_data(answers))

    assert response.status_code == 400
    box = element(page(response), f"q-{code}")
    error = element(box, f"err-{code}")
    assert text_of(error) == message
    described = box if box.tag == "fieldset" else box.find("textarea")
    assert f"err-{code}" in described.get("aria-describedby").split()
    assert Response.objects.count() == 0


@pytest.mark.parametrize(("code", "value", "message"), WRONG_ANSWERS)
def test_wrong_answer_is_listed_in_the_summary_with_a_link_to_its_question(english, agency_link, code, value, message):
    response = english.post(form_url(agency_link), post_data({code: value}))

    summary = element(page(response), "error-summary")
    assert summary.get("role") == "alert"
    links = [a for a in summary.iter("a") if a.get("href") == f"#q-{code}"]
    assert len(links) == 1
    assert message in text_of(links[0])


@pytest.mark.parametrize(("code", "value", "message"), WRONG_ANSWERS)
def test_summary_names_the_question_in_words_not_by_its_code(english, agency_link, tree, code, value, message):
    with translation.override("en"):  # the page is in English; a test before may have left Vietnamese active
        label = question_set(agency_link.campaign, tree["06001"]).by_code[code].label

    summary = element(page(english.post(form_url(agency_link), post_data({code: value}))), "error-summary")

    (link,) = [a for a in summary.iter("a") if a.get("href") == f"#q-{code}"]
    assert text_of(link) == f"“{label}”: {message}"
    assert f"{code}:" not in text_of(summary)


def test_summary_lists_the_errors_in_the_order_of_the_form(english, agency_link):
    summary = element(
        page(english.post(form_url(agency_link), post_data({"YK": "a" * 2001, "TC1": "9"}))), "error-summary"
    )

    assert [a.get("href") for a in summary.iter("a")] == ["#q-TC1", "#q-YK"]


def test_multiple_choice_with_a_maximum_says_so_before_anything_is_sent(english, agency_link):
    box = element(page(english.get(form_url(agency_link))), "q-NC")

    hint = element(box, "hint-NC")
    assert text_of(hint) == "Choose up to 3 answers."
    assert box.get("aria-describedby") == "hint-NC"
    assert box.get("data-max") == "3"  # survey.js keeps the choice within it
    assert box.get("data-max-message") == "You have already chosen 3 answers: untick one to choose another."
    assert element(box, "limit-NC").get("aria-live") == "polite"


def test_overlong_comment_is_marked_invalid_and_kept(english, agency_link):
    comment = "Ý kiến " + "a" * 2000

    response = english.post(form_url(agency_link), post_data({"YK": comment}))

    textarea = element(page(response), "id_YK")
    assert textarea.get("aria-invalid") == "true"
    assert textarea.text == comment


def test_other_answers_stay_checked_after_an_error(english, agency_link):
    answers = {"TC1": "9", "TC2": 5, "HL": 4, "PA": "1", "NC": ["NC2", "NC7"], "GT": "1", "YK": "Tốt"}

    doc = page(english.post(form_url(agency_link), post_data(answers, respondent_type="organization")))

    assert checked_values(doc, "TC2") == ["5"]
    assert checked_values(doc, "HL") == ["4"]
    assert checked_values(doc, "PA") == ["1"]
    assert checked_values(doc, "NC") == ["NC2", "NC7"]
    assert checked_values(doc, "GT") == ["1"]
    assert checked_values(doc, "respondent_type") == ["organization"]
    assert element(doc, "id_YK").text == "Tốt"


def test_client_id_and_start_are_kept_after_an_error_so_the_retry_counts_once(english, agency_link):
    data = post_data({"TC1": "9"})

    doc = page(english.post(form_url(agency_link), data))

    assert hidden_value(doc, "client_id") == data["client_id"]
    assert hidden_value(doc, "started") == data["started"]


def test_only_the_wrong_questions_carry_a_message(english, agency_link):
    doc = page(english.post(form_url(agency_link), post_data({"TC1": "9", "DL": "9", "HL": 4})))

    with_message = sorted(el.get("id") for el in doc.iter("p") if "err" in (el.get("class") or "").split())
    assert with_message == ["err-DL", "err-TC1"]


def test_empty_form_asks_for_at_least_one_answer(english, agency_link):
    response = english.post(form_url(agency_link), post_data({}))

    assert response.status_code == 400
    assert "Please answer at least one question." in text_of(element(page(response), "error-summary"))
    assert Response.objects.count() == 0


def test_unreadable_form_is_refused_with_a_message(english, agency_link):
    data = post_data({"HL": 4})
    del data["client_id"]

    response = english.post(form_url(agency_link), data)

    assert response.status_code == 400
    assert element(page(response), "error-summary") is not None
    assert Response.objects.count() == 0


# --- links that cannot be answered ------------------------------------------------------------------------------


@pytest.fixture
def closed_link(make_survey_campaign, tree) -> SurveyLink:
    campaign = make_survey_campaign("closed", state=CampaignState.CLOSED)
    ensure_reusable_links(campaign=campaign)
    return SurveyLink.objects.get(campaign=campaign, agency=tree["06001"])


@pytest.fixture
def future_link(make_survey_campaign, tree) -> SurveyLink:
    campaign = make_survey_campaign("future", starts_in_days=5, ends_in_days=60)
    ensure_reusable_links(campaign=campaign)
    return SurveyLink.objects.get(campaign=campaign, agency=tree["06001"])


def test_closed_campaign_shows_a_polite_page(english, closed_link):
    response = english.get(form_url(closed_link))

    assert response.status_code == 410
    assert response.context["reason"] == "closed"
    assert "The survey is closed" in text_of(page(response).find(".//main"))
    assert page(response).find(".//form[@id='survey']") is None


def test_submission_to_a_closed_campaign_is_refused_with_the_same_page(client, closed_link):
    response = client.post(form_url(closed_link), post_data({"HL": 4}))

    assert (response.status_code, response.context["reason"]) == (410, "closed")
    assert Response.objects.count() == 0


def test_campaign_not_started_shows_when_it_opens(english, future_link):
    response = english.get(form_url(future_link))

    assert response.status_code == 403
    assert response.context["reason"] == "not_started"
    assert future_link.campaign.period_start.strftime("%d/%m/%Y") in response.content.decode()


def test_submission_before_the_start_is_refused(client, future_link):
    response = client.post(form_url(future_link), post_data({"HL": 4}))

    assert (response.status_code, response.context["reason"]) == (403, "not_started")
    assert Response.objects.count() == 0


@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_token_shows_a_not_found_page(client, open_campaign, method):
    response = getattr(client, method)("/s/no-such-token/")

    assert response.status_code == 404
    assert response.context["reason"] == "unknown"
    assert Response.objects.count() == 0


def test_used_invitation_shows_a_page_that_says_it_was_used(english, dossier_invitation):
    english.post(form_url(dossier_invitation), post_data({"HL": 4}))

    response = english.get(form_url(dossier_invitation))

    assert response.status_code == 410
    assert response.context["reason"] == "used"
    assert "already been used" in text_of(page(response).find(".//main"))


def test_second_submission_on_a_used_invitation_is_refused(client, dossier_invitation):
    client.post(form_url(dossier_invitation), post_data({"HL": 4}))

    response = Client().post(form_url(dossier_invitation), post_data({"HL": 1}))

    assert (response.status_code, response.context["reason"]) == (410, "used")
    assert Response.objects.count() == 1


def test_unused_invitation_shows_the_form(client, dossier_invitation):
    response = client.get(form_url(dossier_invitation))

    assert response.status_code == 200
    assert page(response).find(".//form[@id='survey']") is not None


# --- shared addresses and floods -------------------------------------------------------------------------------


def send_many(link, count: int, address: str = "127.0.0.1") -> list[int]:
    return [Client().post(form_url(link), post_data({"HL": 4}), REMOTE_ADDR=address).status_code for _ in range(count)]


@pytest.fixture
def low_flood_limit(settings) -> int:
    """A flood limit of 3 instead of the default, where the test is not about the value itself."""
    settings.SURVEY_FLOOD_LIMIT = 3
    return 3


def test_many_citizens_behind_one_address_are_all_stored_and_the_burst_flagged(agency_link):
    """A one-stop shop's Wi-Fi: 25 citizens send from one address within minutes (the old limit refused the
    21st). Every answer is stored; those past the burst threshold are flagged for the officer to decide."""
    statuses = send_many(agency_link, 25)

    assert statuses == [302] * 25
    responses = Response.objects.order_by("submitted_at", "pk")
    assert responses.count() == 25
    flagged = [response.flags.filter(rule=FlagRule.BURST).exists() for response in responses]
    assert flagged == [False] * BURST_LIMIT + [True] * (25 - BURST_LIMIT)


def test_default_flood_limit_is_far_above_a_busy_office():
    from django.conf import settings as deployed

    assert deployed.SURVEY_FLOOD_LIMIT >= 1000  # a busy one-stop shop sends a few hundred an hour


def test_flood_is_refused_with_its_own_message_and_the_answers_kept(agency_link, low_flood_limit):
    assert send_many(agency_link, low_flood_limit) == [302] * low_flood_limit
    answers = {"TC1": 3, "HL": 5, "NC": ["NC1", "NC9"]}

    response = browser("en").post(form_url(agency_link), post_data(answers))

    assert response.status_code == 429
    doc = page(response)
    notice = element(doc, "wait-notice")
    assert notice.get("role") == "alert"
    assert "Please wait a few minutes" in text_of(notice)
    assert "press Send again" in text_of(notice)
    assert doc.find(".//*[@id='error-summary']") is None  # nothing is wrong with the answers
    assert checked_values(doc, "TC1") == ["3"]
    assert checked_values(doc, "HL") == ["5"]
    assert checked_values(doc, "NC") == ["NC1", "NC9"]
    assert Response.objects.count() == low_flood_limit


def test_flooded_citizen_can_send_again_later(agency_link, low_flood_limit):
    send_many(agency_link, low_flood_limit)
    data = post_data({"HL": 5})
    assert Client().post(form_url(agency_link), data).status_code == 429

    cache.clear()  # the window has passed
    response = Client().post(form_url(agency_link), data)

    assert response.status_code == 302
    assert Response.objects.filter(client_id=data["client_id"]).count() == 1


def test_flood_limit_is_per_address(agency_link, low_flood_limit):
    send_many(agency_link, low_flood_limit)

    assert send_many(agency_link, 1) == [429]
    assert send_many(agency_link, 1, address="203.0.113.50") == [302]


def test_single_use_invitation_is_never_refused_for_its_address(agency_link, low_flood_limit, tree):
    """An invitation answers once whatever the address, so no flood can come through it (21: past the limit
    of 20 per address the form had before)."""
    assert send_many(agency_link, 21)[-1] == 429
    invitation, _created = create_invitation(
        campaign=agency_link.campaign, agency=tree["06001"], dossier_code="000.00.06001.H44-250301-0099"
    )

    response = Client().post(form_url(invitation), post_data({"HL": 4}), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == 302
    assert Response.objects.filter(link=invitation).count() == 1


def test_flood_counter_lives_in_the_shared_cache(agency_link, low_flood_limit):
    """The count is kept in Django's cache (Redis when REDIS_URL is set, shared by every worker), not in the
    process: a count another worker left there is seen here."""
    key = f"survey-flood:{agency_link.campaign_id}:{keyed_hash('198.51.100.7', purpose='ip')}"
    cache.set(key, low_flood_limit, 600)

    assert send_many(agency_link, 1, address="198.51.100.7") == [429]


def test_submissions_succeed_when_the_cache_is_broken(agency_link, low_flood_limit, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", broken)

    assert send_many(agency_link, low_flood_limit + 2) == [302] * (low_flood_limit + 2)
    assert Response.objects.count() == low_flood_limit + 2


# --- thanks, language, QR ---------------------------------------------------------------------------------------


def test_thank_you_page_names_the_agency(client, agency_link):
    response = client.get(thanks_url(agency_link))

    assert response.status_code == 200
    assert "Xã Đoàn Kết" in text_of(page(response).find(".//main"))


def test_thank_you_page_marks_the_answers_kept_in_the_browser_as_sent(client, agency_link):
    """survey.js reads the mark: a form page of this link that comes back (Back) says it was sent."""
    doc = page(client.get(thanks_url(agency_link)))

    assert doc.find(f".//*[@data-sent-key='sipas:{agency_link.token}']") is not None


def test_form_carries_a_hidden_notice_for_a_page_that_was_already_sent(english, agency_link):
    doc = page(english.get(form_url(agency_link)))

    notice = element(doc, "sent-notice")
    assert notice.get("hidden") is not None  # without JavaScript it never shows
    assert "already been sent" in text_of(notice)
    assert element(doc, "survey").get("data-store-key") == f"sipas:{agency_link.token}"


def test_sent_notice_of_an_invitation_offers_no_second_answer(english, dossier_invitation):
    notice = element(page(english.get(form_url(dossier_invitation))), "sent-notice")

    assert notice.find(".//*[@id='answer-again']") is None


def test_thank_you_page_of_an_unknown_token_is_not_found(client, open_campaign):
    assert client.get("/s/no-such-token/thanks/").status_code == 404


def test_form_is_in_vietnamese_by_default(client, agency_link):
    doc = page(client.get(form_url(agency_link)))

    assert doc.get("lang") == "vi"
    assert text_of(element(doc, "q-TC1").find("legend")) == "Nơi ngồi chờ tại Bộ phận Một cửa có đủ chỗ ngồi"


def test_form_is_in_english_when_the_visitor_chose_english(english, agency_link):
    doc = page(english.get(form_url(agency_link)))

    assert doc.get("lang") == "en"
    assert text_of(element(doc, "q-TC1").find("legend")) == "The waiting area has enough seats"
    assert "Very satisfied" in text_of(element(doc, "q-TC1"))
    assert "Did you give feedback" in text_of(element(doc, "q-PA"))
    assert "Access to the service" in text_of(element(doc, "part-1"))


def language_switch(doc) -> str:
    (switch,) = [a for a in doc.iter("a") if "lang" in (a.get("class") or "").split()]
    return switch.get("href")


def test_language_switch_keeps_the_qr_channel(client, agency_link):
    assert language_switch(page(client.get(form_url(agency_link, "?c=qr")))) == form_url(agency_link, "?c=qr&lang=en")
    assert language_switch(page(client.get(form_url(agency_link)))) == form_url(agency_link, "?lang=en")


def test_language_switch_after_an_error_leads_back_to_the_form_with_its_channel(english, agency_link):
    doc = page(english.post(f"/s/{agency_link.token}/send/?c=qr", post_data({"TC1": "9"})))

    assert language_switch(doc) == form_url(agency_link, "?c=qr&lang=vi")


def test_answer_sent_after_switching_language_from_the_qr_code_is_recorded_as_qr(agency_link):
    citizen = Client()
    switched = page(citizen.get(form_url(agency_link, "?c=qr")))
    english_page = page(citizen.get(language_switch(switched)))
    (form,) = [f for f in english_page.iter("form") if f.get("id") == "survey"]

    citizen.post(form.get("action"), post_data({"HL": 4}))

    assert Response.objects.get().channel == "qr"


# --- the time it takes ------------------------------------------------------------------------------------------


def test_intro_states_the_time_derived_from_the_questionnaire(english, agency_link, tree):
    questions = question_set(agency_link.campaign, tree["06001"]).questions
    asked = sum(1 for question in questions if not question.shown_if)  # follow-ups are asked only after PA = 1
    minutes = -(-asked * SECONDS_PER_QUESTION // 60)
    assert (asked, minutes) == (38, 4)

    intro = text_of(page(english.get(form_url(agency_link))).find(".//p[@class='intro']"))

    assert "38 questions: about 4 minutes." in intro
    assert "two minutes" not in intro


@pytest.mark.parametrize(("count", "minutes"), [(1, 1), (10, 1), (11, 2), (20, 2), (21, 3), (38, 4)])
def test_time_estimate_follows_the_number_of_questions(agency_link, tree, count, minutes):
    questions = [q for q in question_set(agency_link.campaign, tree["06001"]).questions if not q.shown_if]
    form = SurveyForm(questions=QuestionSet(tuple(questions[:count])), scale=[])

    assert form.asked_count() == count
    assert form.minutes_estimate() == minutes


def test_qr_code_as_svg(client, agency_link):
    response = client.get(f"/s/{agency_link.token}/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<svg")


def test_qr_code_as_png(client, agency_link):
    response = client.get(f"/s/{agency_link.token}/qr.png")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("ending", ["qr.svg", "qr.png"])
def test_qr_code_of_an_unknown_token_is_not_found(client, open_campaign, ending):
    assert client.get(f"/s/no-such-token/{ending}").status_code == 404


@pytest.mark.parametrize("ending", ["qr.gif", "qr.jpg", "qr.svgz", "qr"])
def test_qr_code_in_another_format_is_not_found(client, agency_link, ending):
    assert client.get(f"/s/{agency_link.token}/{ending}").status_code == 404
