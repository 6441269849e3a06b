"""The citizen survey in a real browser (issue 7, "Done when", first point): a phone opens a link printed by
`survey_links`, answers, sends, is thanked, and the answer is stored once even when it is sent twice; the
same with JavaScript disabled (skip logic included, it is CSS)."""

from __future__ import annotations

import re
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
    assert page.evaluate("key => localStorage.getItem(key)", key) is None
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
