"""The citizen's form at /s/<token>/, through Django's test client: what the page shows, what a submission
stores (once, whatever the retries), every message next to its question, the pages that explain why a link
cannot be answered, the rate limit that explains itself, the thank-you page, the language and the QR codes."""

from __future__ import annotations

import time
import uuid
from html.parser import HTMLParser
from xml.etree.ElementTree import Element, TreeBuilder

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client

from agencies.services import add_service_point
from surveys import views
from surveys.forms import STARTED_SALT
from surveys.models import CampaignState, FlagRule, QuestionKind, Response, SurveyLink
from surveys.services.campaigns import transition_campaign
from surveys.services.links import ensure_reusable_links, keyed_hash
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


def test_feedback_follow_ups_are_marked_to_hide_until_pa_is_yes(client, agency_link):
    doc = page(client.get(form_url(agency_link)))

    assert element(doc, "q-GY2").get("data-when") == "PA:1"
    assert element(doc, "q-XL").get("data-when") == "TH:3"
    assert element(doc, "q-GY1").get("data-when") is None


def test_each_visit_gets_a_fresh_client_id(client, agency_link):
    first = hidden_value(page(client.get(form_url(agency_link))), "client_id")
    second = hidden_value(page(client.get(form_url(agency_link))), "client_id")

    assert uuid.UUID(first) != uuid.UUID(second)


def test_first_visit_gets_a_device_cookie(client, agency_link):
    response = client.get(form_url(agency_link))

    cookie = response.cookies[views.DEVICE_COOKIE]
    assert len(cookie.value) >= 16
    assert cookie["httponly"] is True


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
    assert described.get("aria-describedby") == f"err-{code}"
    assert Response.objects.count() == 0


@pytest.mark.parametrize(("code", "value", "message"), WRONG_ANSWERS)
def test_wrong_answer_is_listed_in_the_summary_with_a_link_to_its_question(english, agency_link, code, value, message):
    response = english.post(form_url(agency_link), post_data({code: value}))

    summary = element(page(response), "error-summary")
    assert summary.get("role") == "alert"
    links = [a for a in summary.iter("a") if a.get("href") == f"#q-{code}"]
    assert len(links) == 1
    assert message in text_of(links[0])


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


# --- rate limit -------------------------------------------------------------------------------------------------


def send_many(link, count: int, address: str = "127.0.0.1") -> list[int]:
    return [Client().post(form_url(link), post_data({"HL": 4}), REMOTE_ADDR=address).status_code for _ in range(count)]


@pytest.fixture
def low_rate_limit(monkeypatch) -> int:
    """A limit of 3 instead of surveys.views.RATE_LIMIT, where the test is not about the value itself."""
    monkeypatch.setattr(views, "RATE_LIMIT", 3)
    return 3


def test_submission_over_the_rate_limit_is_explained_and_kept_on_the_page(agency_link):
    assert send_many(agency_link, views.RATE_LIMIT) == [302] * views.RATE_LIMIT
    answers = {"TC1": 3, "HL": 5, "NC": ["NC1", "NC9"]}

    response = browser("en").post(form_url(agency_link), post_data(answers))

    assert response.status_code == 429
    doc = page(response)
    assert "press Send again" in text_of(element(doc, "error-summary"))
    assert checked_values(doc, "TC1") == ["3"]
    assert checked_values(doc, "HL") == ["5"]
    assert checked_values(doc, "NC") == ["NC1", "NC9"]
    assert Response.objects.count() == views.RATE_LIMIT


def test_rate_limited_citizen_can_send_again_later(agency_link, low_rate_limit):
    send_many(agency_link, low_rate_limit)
    data = post_data({"HL": 5})
    assert Client().post(form_url(agency_link), data).status_code == 429

    cache.clear()  # the window has passed
    response = Client().post(form_url(agency_link), data)

    assert response.status_code == 302
    assert Response.objects.filter(client_id=data["client_id"]).count() == 1


def test_rate_limit_is_per_address(agency_link, low_rate_limit):
    send_many(agency_link, low_rate_limit)

    assert send_many(agency_link, 1) == [429]
    assert send_many(agency_link, 1, address="203.0.113.50") == [302]


def test_submissions_succeed_when_the_cache_is_broken(agency_link, low_rate_limit, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", broken)

    assert send_many(agency_link, low_rate_limit + 2) == [302] * (low_rate_limit + 2)
    assert Response.objects.count() == low_rate_limit + 2


# --- thanks, language, QR ---------------------------------------------------------------------------------------


def test_thank_you_page_names_the_agency(client, agency_link):
    response = client.get(thanks_url(agency_link))

    assert response.status_code == 200
    assert "Xã Đoàn Kết" in text_of(page(response).find(".//main"))


def test_thank_you_page_clears_the_answers_kept_in_the_browser(client, agency_link):
    doc = page(client.get(thanks_url(agency_link)))

    assert doc.find(f".//*[@data-clear-key='sipas:{agency_link.token}']") is not None


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
