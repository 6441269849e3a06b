"""The citizen survey in a real browser (issue 7, "Done when", first point): a phone opens a link printed by
`survey_links`, answers, sends, is thanked, and the answer is stored once even when it is sent twice; the
same with JavaScript disabled (skip logic included, it is CSS).

Issue 16, points 1–5, with JavaScript on and off: a reload, Back and a resend count once and a page reached
by Back says it was sent; many citizens behind one address are all stored; errors name their question and
the script keeps a multiple choice within its maximum; the language switch keeps the QR channel; the time
stated comes from the questionnaire."""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit

import pytest

from surveys.models import Channel, Response

pytestmark = pytest.mark.e2e

FOLLOW_UPS = ("GY2", "GY3", "GY4", "HL_GY")  # asked only when PA (gave feedback) is 1 (Có)
BRAND_BLUE = "rgb(11, 61, 145)"  # .send background in static/css/survey.css
PAGE_WEIGHT_LIMIT = 100 * 1024  # first load, HTML + CSS + JS as transferred (issue 7)
ANSWERED = {"TC1": 4, "CC1": 5, "KQ2": 3, "HL": 4, "PA": "2"}  # by answer_some_questions + check_skip_logic
QUICK = {"TC1": 4, "PA": "2"}  # by answer_quickly


def choose(page, code: str, label: str) -> None:
    """Tap the option of question `code` whose text is exactly `label`, as a citizen does."""
    page.locator(f"#q-{code} label.opt").filter(has=page.get_by_text(label, exact=True)).click()


def checked(page, code: str, value: str) -> bool:
    return page.locator(f'#q-{code} input[value="{value}"]').is_checked()


def follow_ups_visible(page) -> list[bool]:
    return [page.locator(f"#q-{code}").is_visible() for code in FOLLOW_UPS]


def answer_some_questions(page) -> None:
    choose(page, "TC1", "Hài lòng")
    choose(page, "CC1", "Rất hài lòng")
    choose(page, "KQ2", "Bình thường")
    choose(page, "HL", "Hài lòng")


def check_skip_logic(page) -> None:
    """Follow-ups are hidden until PA = Có, shown then, hidden again with PA = Không."""
    assert follow_ups_visible(page) == [False] * 4
    choose(page, "PA", "Có")
    assert follow_ups_visible(page) == [True] * 4
    choose(page, "GY2", "Hài lòng")  # answered, then hidden again: it must not be stored
    choose(page, "PA", "Không")
    assert follow_ups_visible(page) == [False] * 4


def answer_quickly(page) -> None:
    choose(page, "TC1", "Hài lòng")
    choose(page, "PA", "Không")


def assert_stored_once(survey, answers: dict) -> Response:
    responses = list(Response.objects.filter(campaign=survey.campaign))
    assert len(responses) == 1, f"{len(responses)} responses stored"
    response = responses[0]
    assert response.agency == survey.agency
    assert response.channel == Channel.WEB
    assert response.answers == answers  # exactly: GY2, answered then hidden by the skip logic, is not stored
    return response


def posts_of(page) -> list:
    posts: list = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    return posts


def thanks_path(survey) -> str:
    return urlsplit(survey.url).path + "thanks/"


def send_and_land_on_thanks(page, survey) -> None:
    page.locator(".send").click()
    page.wait_for_url(f"{survey.url}thanks/")
    assert page.locator(".thanks h2").is_visible()


# --- JavaScript on ------------------------------------------------------------------------------------


def test_survey_links_prints_a_live_link_per_surveyed_agency(survey, live_server):
    assert set(survey.links) == {"20.SNV", "20.STP", "06001", "06004"}
    assert all(re.fullmatch(rf"{live_server.url}/s/[\w-]+/", url) for url in survey.links.values())


def test_phone_answers_and_a_doubled_send_is_stored_once(survey, phone):
    """The link opens on a phone, styled, with the agency's name on top; the citizen answers (skip logic on
    the way); the same filled form is sent three times at once (a double tap on a slow network, a retry),
    then Send is double-tapped: every send ends on the thank-you page and one response is stored."""
    page = phone.new_page()
    page.goto(survey.url)
    assert survey.agency.name == "Xã Đoàn Kết"
    assert survey.agency.name in page.locator("h1").inner_text()
    assert page.locator(".send").evaluate("el => getComputedStyle(el).backgroundColor") == BRAND_BLUE  # CSS served
    assert re.search(r"\d+", page.locator("#progress-text").inner_text())  # survey.js ran
    answer_some_questions(page)
    check_skip_logic(page)
    posts = posts_of(page)

    landed = page.evaluate(
        """async () => {
            const form = document.getElementById("survey");
            const sends = [1, 2, 3].map(() => fetch(location.href, {method: "POST", body: new FormData(form)}));
            return (await Promise.all(sends)).map(r => [r.status, new URL(r.url).pathname]);
        }"""
    )
    page.locator(".send").dblclick()
    page.wait_for_url(f"{survey.url}thanks/")

    assert landed == [[200, thanks_path(survey)]] * 3
    assert page.locator(".thanks h2").is_visible()
    assert len(posts) >= 4
    assert_stored_once(survey, ANSWERED)


def test_answers_are_kept_in_the_browser_until_the_thank_you_page(survey, phone):
    page = phone.new_page()
    page.goto(survey.url)
    key = page.locator("#survey").get_attribute("data-store-key")
    client_id = page.locator("input[name=client_id]").input_value()
    choose(page, "TC1", "Hài lòng")
    choose(page, "PA", "Có")

    page.reload()  # the server sends a blank form with a new id; the script puts the answers and the id back

    assert checked(page, "TC1", "4") and checked(page, "PA", "1")
    assert page.locator("#q-GY2").is_visible()
    assert page.locator("input[name=client_id]").input_value() == client_id  # a resend is the same answer

    send_and_land_on_thanks(page, survey)
    kept = page.evaluate("key => JSON.parse(localStorage.getItem(key))", key)
    assert kept["__sent"] == client_id and "TC1" not in kept  # the answers go; the mark that they were sent stays
    stored = Response.objects.get(campaign=survey.campaign)
    assert str(stored.client_id) == client_id
    assert stored.answers["TC1"] == 4


def test_thank_you_page_is_in_vietnamese(survey, phone):
    page = phone.new_page()
    page.goto(f"{survey.url}thanks/")
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Cảm ơn" in page.locator(".thanks h2").inner_text()


def test_first_load_is_light_and_fits_a_phone_screen(survey, phone, tmp_path):
    page = phone.new_page()
    loaded = []
    page.on("requestfinished", lambda request: loaded.append(request))
    page.goto(survey.url)  # returns once the page has loaded, its stylesheet and deferred script included
    resources = [r for r in loaded if not r.url.endswith("/favicon.ico")]
    weight = {r.url: r.sizes()["responseHeadersSize"] + r.sizes()["responseBodySize"] for r in resources}
    kinds = sorted(r.resource_type for r in resources)
    assert kinds == ["document", "script", "stylesheet"]
    total = sum(weight.values())
    assert total < PAGE_WEIGHT_LIMIT, weight
    # No sideways scrolling on a 360 px phone; every option is a large touch target.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    heights = page.locator("label.opt:visible").evaluate_all("els => els.map(el => el.getBoundingClientRect().height)")
    assert len(heights) > 100 and min(heights) >= 44
    page.screenshot(path=tmp_path / "form-phone.png")  # to look at when the layout is in doubt


# --- JavaScript off -----------------------------------------------------------------------------------


def test_without_javascript_skip_logic_works_and_a_replayed_post_is_stored_once(survey, phone_without_js):
    page = phone_without_js.new_page()
    posts = posts_of(page)
    page.goto(survey.url)
    assert survey.agency.name in page.locator("h1").inner_text()
    assert page.locator("#progress-text").inner_text() == ""  # survey.js did not run
    assert page.locator(".send").evaluate("el => getComputedStyle(el).backgroundColor") == BRAND_BLUE
    answer_some_questions(page)
    check_skip_logic(page)
    send_and_land_on_thanks(page, survey)
    assert_stored_once(survey, ANSWERED)

    (sent,) = posts
    replay = phone_without_js.request.post(
        survey.url,
        data=sent.post_data,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        max_redirects=0,
    )

    assert replay.status == 302
    assert replay.headers["location"] == thanks_path(survey)
    assert_stored_once(survey, ANSWERED)


def test_without_javascript_a_resend_after_a_lost_reply_is_stored_once(survey, phone_without_js):
    """The answer reaches the server but the reply is lost (the phone's connection drops); the citizen
    reloads the error page, which sends the same form again."""
    page = phone_without_js.new_page()
    page.goto(survey.url)
    answer_quickly(page)
    sends = []

    def lose_first_reply(route):
        sends.append(route.request)
        if len(sends) == 1:
            route.fetch()  # the server gets it and stores it...
            route.abort("connectionreset")  # ...the phone never sees the reply
        else:
            route.continue_()

    page.route(  # the form posts to <link>/send/ (see surveys/urls.py)
        f"{survey.url}send/",
        lambda route: lose_first_reply(route) if route.request.method == "POST" else route.continue_(),
    )
    page.locator(".send").click()
    page.wait_for_url("chrome-error://**")
    assert Response.objects.filter(campaign=survey.campaign).count() == 1

    page.reload()

    page.wait_for_url(f"{survey.url}thanks/")
    assert len(sends) == 2
    assert sends[0].post_data == sends[1].post_data
    assert_stored_once(survey, QUICK)


def test_without_javascript_going_back_and_sending_again_is_stored_once(survey, phone_without_js):
    page = phone_without_js.new_page()
    page.goto(survey.url)
    sent_id = page.locator("input[name=client_id]").input_value()
    answer_quickly(page)
    send_and_land_on_thanks(page, survey)

    page.go_back()
    assert checked(page, "TC1", "4") and checked(page, "PA", "2")  # the browser shows the answers as sent...
    shown_id = page.locator("input[name=client_id]").input_value()
    send_and_land_on_thanks(page, survey)  # ...and the citizen sends them again

    stored = Response.objects.filter(campaign=survey.campaign).count()
    assert stored == 1, f"stored {stored} times; the page shown by Back carried client_id {shown_id}, not {sent_id}"
    assert_stored_once(survey, QUICK)


# --- issue 16: counted once, never turned away, clear messages, QR kept, honest time ----------------------------

NC_LABEL = "cải thiện điều gì nhất"  # from the text of NC, the multiple choice with at most 3 answers


def ncs(page):
    return page.locator("#q-NC label.opt")


def assert_channel(survey, channel: str) -> None:
    assert [r.channel for r in Response.objects.filter(campaign=survey.campaign)] == [channel]


def test_reload_send_back_and_send_again_counts_once_and_says_it_was_sent(survey, phone):
    """Issue 16, point 1: open, answer part-way, reload, finish, send, press Back. The page says the answers
    were sent and offers nothing to send; the response is stored once. (Before: "Answered 0/38" and a live
    button whose send stored a second response with the same answers.)"""
    page = phone.new_page()
    page.goto(survey.url)
    choose(page, "TC1", "Hài lòng")
    page.reload()
    choose(page, "PA", "Không")
    send_and_land_on_thanks(page, survey)

    page.go_back()

    notice = page.locator("#sent-notice")
    notice.wait_for(state="visible")
    assert notice.locator("h2").inner_text().strip()
    assert page.locator("#survey").is_hidden() and page.locator(".send").is_hidden()
    assert page.evaluate("document.activeElement.id") == "sent-notice"  # read out at once
    assert_stored_once(survey, QUICK)


def test_back_after_sending_without_a_reload_says_it_was_sent(survey, phone):
    page = phone.new_page()
    page.goto(survey.url)
    answer_quickly(page)
    send_and_land_on_thanks(page, survey)

    page.go_back()

    page.locator("#sent-notice").wait_for(state="visible")
    assert page.locator(".send").is_hidden()
    assert_stored_once(survey, QUICK)


def test_answer_again_after_sending_gives_a_fresh_form_counted_separately(survey, phone):
    page = phone.new_page()
    page.goto(survey.url)
    answer_quickly(page)
    first_id = page.locator("input[name=client_id]").input_value()
    send_and_land_on_thanks(page, survey)
    page.goto(survey.url)  # the same link opened again on the same phone, e.g. for a second dossier
    page.locator("#sent-notice").wait_for(state="visible")

    page.locator("#answer-again").click()

    page.locator(".send").wait_for(state="visible")
    assert page.locator("#sent-notice").is_hidden()
    assert not checked(page, "TC1", "4")
    assert page.locator("input[name=client_id]").input_value() != first_id
    choose(page, "HL", "Hài lòng")
    send_and_land_on_thanks(page, survey)
    assert Response.objects.filter(campaign=survey.campaign).count() == 2


def test_citizens_sharing_one_address_are_all_stored(survey, phone):
    """Point 2: 25 phones behind one address (the browser's) send within a minute: none is refused (the old
    limit refused the 21st), all are stored, and those past the burst threshold are flagged."""
    page = phone.new_page()
    page.goto(survey.url)
    answer_quickly(page)

    landed = page.evaluate(
        """async () => {
            const results = [];
            for (let i = 0; i < 25; i++) {
                const body = new FormData(document.getElementById("survey"));
                body.set("client_id", crypto.getRandomValues(new Uint8Array(16)).reduce(
                    (id, b, j) => id + ([4, 6, 8, 10].includes(j) ? "-" : "") + b.toString(16).padStart(2, "0"), ""));
                const reply = await fetch(location.href, {method: "POST", body});
                results.push(reply.status + " " + new URL(reply.url).pathname);
            }
            return results;
        }"""
    )

    assert landed == [f"200 {thanks_path(survey)}"] * 25
    assert Response.objects.filter(campaign=survey.campaign).count() == 25
    assert Response.objects.filter(campaign=survey.campaign, flags__rule="burst").count() == 25 - 10


def test_script_keeps_a_multiple_choice_within_its_maximum_and_says_why(survey, phone):
    """Point 3: the fourth tick of "at most 3" is undone at once, with a message next to the question."""
    page = phone.new_page()
    page.goto(survey.url)
    assert "3" in page.locator("#hint-NC").inner_text()
    for option in range(3):
        ncs(page).nth(option).click()
    assert page.locator("#limit-NC").inner_text() == ""

    ncs(page).nth(3).click()

    assert page.locator("#q-NC input:checked").count() == 3
    assert not page.locator("#q-NC input").nth(3).is_checked()
    assert "3" in page.locator("#limit-NC").inner_text()
    assert page.locator("#limit-NC").get_attribute("aria-live") == "polite"
    ncs(page).nth(0).click()  # one unticked: the message goes and another can be chosen
    assert page.locator("#limit-NC").inner_text() == ""
    ncs(page).nth(3).click()
    assert page.locator("#q-NC input:checked").count() == 3


def test_english_from_the_qr_code_is_recorded_as_qr(survey, phone):
    """Point 4, with JavaScript: the answer given so far survives the switch, and the channel stays QR."""
    page = phone.new_page()
    page.goto(f"{survey.url}?c=qr")
    choose(page, "TC1", "Hài lòng")

    page.locator("a.lang").click()

    page.wait_for_url("**lang=en")
    assert "c=qr" in page.url and page.locator("html").get_attribute("lang") == "en"
    assert checked(page, "TC1", "4")
    choose(page, "PA", "No")
    page.locator(".send").click()
    page.wait_for_url(f"{survey.url}thanks/")
    assert_channel(survey, Channel.QR)


def test_intro_states_the_time_from_the_questionnaire(survey, phone):
    """Point 5: 38 questions asked of everyone × 6 s, rounded up: about 4 minutes, not "about two"."""
    page = phone.new_page()
    page.goto(survey.url)
    intro = page.locator(".intro").inner_text()
    assert "hai phút" not in intro and "two minutes" not in intro
    assert re.search(r"\b38\b\D+\b4\b", intro), intro


# --- issue 16 without JavaScript -----------------------------------------------------------------------------


def test_without_javascript_reload_send_back_and_send_again_is_stored_once(survey, phone_without_js):
    """Point 1 without the script: the page Back shows is the one that was sent (its id with it), so sending
    it again lands on the thank-you page and stores nothing more."""
    page = phone_without_js.new_page()
    page.goto(survey.url)
    page.reload()
    answer_quickly(page)
    send_and_land_on_thanks(page, survey)

    page.go_back()
    send_and_land_on_thanks(page, survey)

    assert_stored_once(survey, QUICK)


def test_without_javascript_citizens_sharing_one_address_are_all_stored(survey, phone_without_js):
    page = phone_without_js.new_page()
    posts = posts_of(page)
    page.goto(survey.url)
    answer_quickly(page)
    send_and_land_on_thanks(page, survey)
    (sent,) = posts
    body = dict(pair.split("=", 1) for pair in sent.post_data.split("&"))

    statuses = []
    for _ in range(24):
        body["client_id"] = str(uuid.uuid4())
        reply = phone_without_js.request.post(f"{survey.url}send/", form=body, max_redirects=0)
        statuses.append(reply.status)

    assert statuses == [302] * 24
    assert Response.objects.filter(campaign=survey.campaign).count() == 25


def test_without_javascript_a_fourth_choice_is_explained_by_the_question_name(survey, phone_without_js):
    """Point 3 without the script: the hint says "at most 3" before sending; a fourth tick is sent, and the
    summary names the question in words, never by its code."""
    page = phone_without_js.new_page()
    page.goto(survey.url)
    assert page.locator("#hint-NC").is_visible()
    for option in range(4):
        ncs(page).nth(option).click()
    assert page.locator("#q-NC input:checked").count() == 4  # nothing stops it without the script

    page.locator(".send").click()

    summary = page.locator("#error-summary")
    summary.wait_for()
    text = summary.inner_text()
    assert NC_LABEL in text and "tối đa 3" in text
    assert "NC:" not in text
    page.locator("#error-summary a").click()
    assert page.url.endswith("#q-NC")
    assert Response.objects.filter(campaign=survey.campaign).count() == 0


def test_without_javascript_english_from_the_qr_code_is_recorded_as_qr(survey, phone_without_js):
    page = phone_without_js.new_page()
    page.goto(f"{survey.url}?c=qr")

    page.locator("a.lang").click()

    page.wait_for_url("**lang=en")
    assert "c=qr" in page.url
    choose(page, "TC1", "Satisfied")
    page.locator(".send").click()
    page.wait_for_url(f"{survey.url}thanks/")
    assert_channel(survey, Channel.QR)


def test_without_javascript_the_intro_states_the_time_from_the_questionnaire(survey, phone_without_js):
    page = phone_without_js.new_page()
    page.goto(survey.url)
    intro = page.locator(".intro").inner_text()
    assert "hai phút" not in intro
    assert re.search(r"\b38\b\D+\b4\b", intro), intro
