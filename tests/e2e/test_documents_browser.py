"""The documents, from the portal, in a browser: an officer computes the index, appraises the run with edited
assessment text, publishes it, asks for the report (PDF) and the decision (DOCX), waits for the jobs and
downloads both; the leader of an agency downloads its card from the agency's page; an officer of another
province gets a 404 for the same files. Jobs run in the web process (Celery eager), as in the embedded setup."""

from __future__ import annotations

import datetime
import subprocess
import uuid

import pytest

from agencies.models import Agency, Role
from agencies.services import grant_membership
from reports.models import IndexRun
from tests.conftest import TREE, make_user

ASSESSMENT = "Nhận định của Sở: Sở Tư pháp cần rút ngắn thời gian trả kết quả."
PASSWORD = "correct-horse-battery"
ANSWERS = {"TC1": 4, "TT1": 5, "CC1": 4, "KQ1": 4, "HL_TC": 4, "HL_TT": 5, "HL_CC": 4, "HL_KQ": 5, "HL": 4,
           "TH": "2", "NC": ["NC5"]}  # fmt: skip


@pytest.fixture
def closed_campaign(live_server, settings, actors):
    """A closed campaign of province 20 with responses for every agency, ready to compute."""
    from agencies.models import Agency
    from surveys.methodology.sipas_2017 import definition
    from surveys.models import CampaignState, Methodology, Response
    from surveys.services.campaigns import create_campaign
    from surveys.services.methodology import load_methodology

    settings.SITE_URL = live_server.url
    load_methodology(definition())
    campaign = create_campaign(
        year=2026, name="Khảo sát SIPAS 2026", slug="sipas-2026", root=Agency.objects.get(code="20"),
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31), level_samples={"department": 1, "commune": 1}, target_percent=90.0,
    )  # fmt: skip
    for row in TREE:
        if row.code.startswith(("20.", "06")):
            Response.objects.bulk_create(
                Response(campaign=campaign, agency=Agency.objects.get(code=row.code), client_id=uuid.uuid4(),
                         channel="paper", answers=answers, submitted_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC))
                for answers in (ANSWERS, {**ANSWERS, "HL": 5}, {**ANSWERS, "CC1": 2})
            )  # fmt: skip
    campaign.state = CampaignState.CLOSED
    campaign.save()
    return campaign


@pytest.fixture
def desktop(browser):
    context = browser.new_context(locale="vi-VN", accept_downloads=True)
    context.set_default_timeout(30_000)
    yield context
    context.close()


def log_in(context, live_server, user):
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")  # not the language switcher's
    page.wait_for_load_state()
    return page


def download(page, selector: str) -> bytes:
    with page.expect_download() as info:
        page.click(selector)
    return open(info.value.path(), "rb").read()


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_officer_appraises_publishes_and_downloads_the_report_and_the_decision_a_leader_the_card(
    browser, desktop, live_server, closed_campaign, actors, tmp_path
):
    from tests.reports.test_documents import docx_text

    dashboard = f"{live_server.url}/index/{closed_campaign.slug}/"
    page = log_in(desktop, live_server, actors.officer_a)
    page.goto(dashboard)

    page.click("form[data-compute] button[type=submit]")  # job_progress.js reloads the page once it is done
    for _ in range(300):  # the job runs in the live server (eager Celery): wait for its run
        if IndexRun.objects.filter(campaign=closed_campaign).exists():
            break
        page.wait_for_timeout(100)
    page.close()

    # Duties are separate (SEPARATE_APPRAISAL_DUTIES, on with DEBUG off): a second officer of the province appraises.
    appraiser = make_user("officer_a2")
    grant_membership(user=appraiser, agency=Agency.objects.get(code="20"), role=Role.OFFICER)
    second = browser.new_context(locale="vi-VN", accept_downloads=True)
    second.set_default_timeout(30_000)
    page = log_in(second, live_server, appraiser)
    page.goto(dashboard)
    page.wait_for_selector("#appraisal-form")
    page.check("input[name=approved][value=yes]")
    page.fill("textarea[name=note]", "Số liệu đã được kiểm tra.")
    assert "Ưu điểm" in page.input_value("textarea[name=assessment]")  # the portal's draft, from the figures
    page.fill("textarea[name=assessment]", ASSESSMENT)
    page.fill("input[name=signer_name]", "Nguyễn Văn An")
    page.click("#appraisal-form [type=submit]")
    publish = "form[action$='/publish/'] button[type=submit]"
    page.click(publish)  # leads to the confirmation page, which shows what will be published
    page.click("main form button.btn-success")
    page.wait_for_url(dashboard)
    assert page.locator(publish).count() == 0  # published: the button is gone

    page.click("button[data-document=report-pdf]")
    page.wait_for_selector("a[href$='/download/']")
    report_job = page.url
    report = pdf_text(download(page, "a[href$='/download/']"), tmp_path)
    page.goto(dashboard)
    page.click("button[data-document=decision-docx]")
    page.wait_for_selector("a[href$='/download/']")
    decision = download(page, "a[href$='/download/']")

    assert ASSESSMENT in " ".join(report.split()) and "Nguyễn Văn An" in report and "Kính gửi" in report
    decision_text = docx_text(decision)
    assert "Điều 1." in decision_text and "Nguyễn Văn An" in decision_text

    leader = browser.new_context(locale="vi-VN", accept_downloads=True)
    leader.set_default_timeout(30_000)
    try:
        card_page = log_in(leader, live_server, actors.manager)
        card_page.goto(f"{live_server.url}/index/{closed_campaign.slug}/agency/20.STP/")
        card_page.click("#card-downloads button:has-text('PDF')")
        card_page.wait_for_selector("a[href$='/download/']")
        card = pdf_text(download(card_page, "a[href$='/download/']"), tmp_path)
        assert "Sở Tư pháp" in card and "PHIẾU KẾT QUẢ" in card
    finally:
        leader.close()

    outsider = browser.new_context(locale="vi-VN")
    try:
        other = log_in(outsider, live_server, actors.officer_b)
        assert other.goto(report_job).status == 404
        assert other.goto(report_job + "download/").status == 404
    finally:
        outsider.close()
