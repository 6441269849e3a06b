"""The citizen form of a version a province authored (issue 18), in a real browser on a phone, with JavaScript on and
off: a commune answers its level's version (not the campaign's default), its skip logic shows the follow-up after
"Có" and hides it after "Không", and what is stored is exactly what was visible."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from surveys.models import Response
from tests.e2e.conftest import printed_links
from tests.surveys.test_method_spreadsheet import SMALL, workbook

pytestmark = pytest.mark.e2e


@pytest.fixture
def authored_survey(live_server, settings, tree):
    """An open campaign over province 20 whose communes answer LS-XA-2026, a version imported from a workbook and
    then edited through the authoring services (a question added)."""
    from surveys.methodology import sipas_2017, sipas_2023
    from surveys.models import Methodology
    from surveys.services.campaigns import create_campaign, set_level_settings, transition_campaign
    from surveys.services.methodology import import_methodology, load_methodology, save_question

    settings.SITE_URL = live_server.url
    load_methodology(sipas_2017.definition())  # the live server's flushes take the migrations' data with them
    load_methodology(sipas_2023.definition())
    version = import_methodology(source=workbook(SMALL), owner=tree["20"])
    save_question(
        methodology=version, code="YK", kind="text", role="comment", section="comment", text="Ý kiến khác của xã",
    )  # fmt: skip
    today = timezone.localdate()
    campaign = create_campaign(
        year=today.year, name="Khảo sát cấp xã", slug="authored-e2e", root=tree["20"],
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=today - datetime.timedelta(days=5),
        period_end=today + datetime.timedelta(days=30), channels=["qr", "web"],
        level_samples={"department": 10, "commune": 10},
    )  # fmt: skip
    set_level_settings(campaign=campaign, versions={"commune": version})
    transition_campaign(campaign=campaign, to_state="open")
    return campaign, printed_links(campaign.slug)["06001"]


def choose(page, code: str, label: str) -> None:
    page.locator(f"#q-{code} label.opt").filter(has=page.get_by_text(label, exact=True)).click()


def fill_with_skip_logic(page) -> None:
    assert page.locator("#q-TC1").is_visible() and page.locator("#q-TC2").count() == 0  # the commune's version
    assert not page.locator("#q-GY2").is_visible()
    choose(page, "TC1", "Hài lòng")
    choose(page, "PA", "Có")
    assert page.locator("#q-GY2").is_visible()
    choose(page, "GY2", "Rất hài lòng")
    choose(page, "PA", "Không")  # the follow-up hides again; its answer must not be stored
    assert not page.locator("#q-GY2").is_visible()
    choose(page, "DL", "2 lần trở lên")
    page.locator("#id_YK").fill("Nên có thêm ghế.")


def test_a_phone_fills_the_authored_form_with_javascript(authored_survey, phone):
    campaign, url = authored_survey
    page = phone.new_page()
    page.goto(url)
    assert "Tiếp cận" in page.locator("section.part h2").first.inner_text()  # the version's own factor

    fill_with_skip_logic(page)
    page.locator(".send").click()
    page.wait_for_url(f"{url}thanks/")

    stored = Response.objects.get(campaign=campaign)
    assert stored.answers == {"TC1": 4, "PA": "2", "DL": "2", "YK": "Nên có thêm ghế."}


def test_a_phone_fills_the_authored_form_without_javascript(authored_survey, phone_without_js):
    campaign, url = authored_survey
    page = phone_without_js.new_page()
    page.goto(url)

    fill_with_skip_logic(page)  # the skip logic is CSS: it works without the script
    choose(page, "PA", "Có")
    choose(page, "GY2", "Bình thường")
    page.locator(".send").click()
    page.wait_for_url(f"{url}thanks/")

    stored = Response.objects.get(campaign=campaign)
    assert stored.answers == {"TC1": 4, "PA": "1", "GY2": 3, "DL": "2", "YK": "Nên có thêm ghế."}
