"""A campaign whose levels answer different versions (issue 18 follow-up): SIPAS-2017 for the province-level
agencies and SIPAS-2023 (two parts, no satisfaction per factor, 4-level expectations) for the communes, with a
target and grading bands for the communes. Computed, then read as officers, the public and the documents do: each
level shows its own version's factors and parts, its grades and target, and the whole campaign says what it pools.
Publishing waits for SIPAS-2023's weights to be confirmed; the campaign form offers only the versions an officer may
read; action plans name criteria of the agency's own version."""

from __future__ import annotations

import datetime
import io
import random
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from agencies.models import Agency
from reports import rendering
from reports.models import IndexRun
from reports.services.compute import compute_campaign_index
from reports.services.publication import PublicationError, appraise_run, publish_run, record_action_plan
from surveys.models import Campaign, CampaignState, Methodology, QuestionKind, Response
from surveys.services.campaigns import create_campaign, set_level_settings
from surveys.services.methodology import clone_methodology, confirm_weights

BANDS = [
    {"min": 90, "label": "Xuất sắc", "label_en": "Excellent"},
    {"min": 70, "label": "Tốt", "label_en": "Good"},
    {"min": 0, "label": "Cần cải thiện", "label_en": "To improve"},
]
DEPARTMENT_FACTOR = "Civil servant handling the case"  # a factor of SIPAS-2017 only
COMMUNE_FACTOR = "Information on policies"  # a factor of SIPAS-2023's Part I
PART_I = "Part I. Policy implementation"


def answers_for(version: Methodology, rng: random.Random, quality: float) -> dict:
    """One plausible respondent of `version`: every closed question answered, good answers with `quality`."""
    answers = {}
    for q in version.questions.all():
        if q.kind == QuestionKind.SCALE5:
            answers[q.code] = rng.choice([4, 5]) if rng.random() < quality else rng.choice([1, 2, 3])
        elif q.kind == QuestionKind.MULTI:
            answers[q.code] = [o["code"] for o in q.options[: q.max_choices or 1]]
        elif q.kind != QuestionKind.TEXT and q.options:
            answers[q.code] = rng.choice(q.option_codes())
    return answers


def add_responses(campaign: Campaign, agency: Agency, version: Methodology, count: int, quality: float) -> None:
    rng = random.Random(f"{agency.code}-{count}")
    moment = timezone.make_aware(datetime.datetime(2026, 5, 1, 9))
    Response.objects.bulk_create(
        Response(campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel="paper",
                 answers=answers_for(version, rng, quality), submitted_at=moment)
        for _ in range(count)
    )  # fmt: skip


@pytest.fixture
def mixed(tree) -> IndexRun:
    """The computed run of a campaign with SIPAS-2017 for departments and SIPAS-2023 for communes (target 80 and
    three bands for communes): 06001 answers well (Excellent), 06004 poorly (under the target)."""
    sipas_2017, sipas_2023 = (Methodology.objects.get(code=code) for code in ("SIPAS-2017", "SIPAS-2023"))
    campaign = create_campaign(
        year=2026, name="Khảo sát hai phiên bản", slug="hai-phien-ban", root=tree["20"], methodology=sipas_2017,
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 6, 30),
        level_samples={"department": 5, "commune": 5},
    )  # fmt: skip
    set_level_settings(
        campaign=campaign, versions={"commune": sipas_2023}, grading={"commune": {"target": 80, "bands": BANDS}}
    )
    for code, version, quality in (("20.SNV", sipas_2017, 0.9), ("20.STP", sipas_2017, 0.6),
                                   ("06001", sipas_2023, 0.99), ("06004", sipas_2023, 0.3)):  # fmt: skip
        add_responses(campaign, tree[code], version, 40, quality)
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.CLOSED)
    return compute_campaign_index(campaign=Campaign.objects.get(pk=campaign.pk))


def published(run: IndexRun, officer=None) -> IndexRun:
    confirm_weights(methodology=Methodology.objects.get(code="SIPAS-2023"), acting_user=officer)
    appraise_run(run=run, approved=True, note="Đạt yêu cầu.", acting_user=None)
    return publish_run(run=IndexRun.objects.get(pk=run.pk), acting_user=None)


def english(user=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    body = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", body.replace("&#x27;", "'").replace("&quot;", '"').replace("&amp;", "&"))


def section(page: str, start: str, end: str | None = None) -> str:
    tail = page[page.index(start) :]
    return tail[: tail.index(end)] if end and end in tail else tail


def part(response, start: str, end: str | None = None) -> str:
    """The text of a page between two marks of its HTML (e.g. two ids)."""
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    html = html[html.index(start) :]
    html = html[: html.index(end)] if end else html
    return text(type("R", (), {"status_code": 200, "content": html.encode()}))


# --- the run ---------------------------------------------------------------------------------------------------


def test_the_run_grades_the_communes_by_their_own_bands_and_target(mixed):
    commune = mixed.group_results.get(key="commune").figures

    assert mixed.summary["levels"]["commune"]["version"] == "SIPAS-2023"
    assert commune["target"] == 80 and commune["meets_target"] == 1
    assert [(g["label_en"], g["agencies"]) for g in commune["grades"]] == [("Excellent", 1), ("Good", 0),
                                                                           ("To improve", 1)]  # fmt: skip


# --- the officer's pages ---------------------------------------------------------------------------------------


def test_the_dashboard_shows_each_levels_version_target_grades_and_the_pooled_note(actors, mixed):
    response = english(actors.officer_a).get("/index/hai-phien-ban/")

    headline = part(response, 'id="figures-heading"', 'id="level-department"')
    assert "SIPAS-2017, SIPAS-2023" in headline
    assert "not pooled" in headline
    assert "These figures pool agencies that answered different questionnaires" in headline
    communes = part(response, 'id="level-commune"')
    assert "Questionnaire SIPAS-2023" in communes
    assert "Ranked agencies meeting the target of 80 1" in communes
    assert "Grade “Excellent” (SIPAS ≥ 90) 1" in communes
    departments = part(response, 'id="level-department"', 'id="level-commune"')
    assert "Questionnaire SIPAS-2017" in departments and "Grade “" not in departments


def test_a_communes_page_shows_its_parts_and_factors_without_satisfaction_columns(actors, mixed):
    page = text(english(actors.officer_a).get("/index/hai-phien-ban/agency/06001/"))

    assert "Questionnaire SIPAS-2023" in page and "Grade: Excellent" in page
    parts = section(page, "Parts of the index", "Factors")
    assert PART_I in parts and "Part II. Public-service provision" in parts and "23" in parts and "16" in parts
    factors = section(page, "Factors", "Criteria")
    assert COMMUNE_FACTOR in factors and DEPARTMENT_FACTOR not in factors
    assert "95% interval of satisfaction" not in factors
    assert "Not wanted" in section(page, "Expectations")  # SIPAS-2023's 4-level ratings, as shares per answer


def test_a_departments_page_keeps_its_own_version(actors, mixed):
    page = text(english(actors.officer_a).get("/index/hai-phien-ban/agency/20.SNV/"))

    factors = section(page, "Factors", "Criteria")
    assert DEPARTMENT_FACTOR in factors and COMMUNE_FACTOR not in factors
    assert "95% interval of satisfaction" in factors
    assert "Parts of the index" not in page


def test_action_plans_name_criteria_of_the_agencys_own_version(mixed, tree):
    campaign = mixed.campaign
    due = timezone.localdate() + datetime.timedelta(days=30)

    plan = record_action_plan(campaign=campaign, agency=tree["06004"], criterion="I_A1", action="Niêm yết",
                              owner="Văn phòng", due=due, acting_user=None)  # fmt: skip

    assert plan.criterion == "I_A1"
    with pytest.raises(ValueError):
        record_action_plan(campaign=campaign, agency=tree["06004"], criterion="TC1", action="x", owner="y", due=due,
                           acting_user=None)  # fmt: skip


# --- publication -----------------------------------------------------------------------------------------------


def test_publishing_refuses_while_a_versions_weights_are_unconfirmed(mixed):
    appraise_run(run=mixed, approved=True, note="Đạt yêu cầu.", acting_user=None)

    with pytest.raises(PublicationError, match="SIPAS-2023"):
        publish_run(run=IndexRun.objects.get(pk=mixed.pk), acting_user=None)

    assert IndexRun.objects.get(pk=mixed.pk).state == IndexRun.State.APPRAISED
    confirm_weights(methodology=Methodology.objects.get(code="SIPAS-2023"), acting_user=None)
    assert publish_run(run=IndexRun.objects.get(pk=mixed.pk), acting_user=None).state == IndexRun.State.PUBLISHED


def test_the_publish_confirmation_says_which_weights_to_confirm_and_offers_no_button(actors, mixed):
    appraise_run(run=mixed, approved=True, note="Đạt yêu cầu.", acting_user=None)

    response = english(actors.officer_a).get(f"/index/hai-phien-ban/publish/?run={mixed.pk}")

    page = text(response)
    assert "The weights of SIPAS-2023 are not confirmed" in page
    assert 'href="/methods/SIPAS-2023/"' in response.content.decode()
    assert "Yes, publish run" not in page


# --- the public pages ------------------------------------------------------------------------------------------


def test_the_public_page_shows_each_levels_version_grades_target_and_the_pooled_note(client, mixed):
    published(mixed)

    response = english().get("/results/hai-phien-ban/")

    page = text(response)
    assert "not pooled" in section(page, "SIPAS of the campaign", "Responses counted")
    assert "These figures pool agencies that answered different questionnaires" in page
    communes = part(response, 'id="level-commune"', 'id="method"')
    assert "Questionnaire SIPAS-2023" in communes
    assert "Target — SIPAS ≥ 80: 1 of 2 ranked agencies" in communes
    assert "Excellent (SIPAS ≥ 90): 1 agencies" in communes
    assert "For a questionnaire in parts" in section(page, "About these figures")
    assert "conservative bound" in section(page, "About these figures")


def test_a_communes_public_page_shows_its_parts(client, mixed):
    published(mixed)

    page = text(english().get("/results/hai-phien-ban/06001/"))

    assert PART_I in section(page, "Parts of the index", "Factors") and COMMUNE_FACTOR in page
    assert "Grade Excellent" in page and "It meets its level's target of 80" in page


def test_open_data_has_the_columns_of_both_versions(client, mixed):
    published(mixed)

    header = english().get("/results/hai-phien-ban/data.csv").content.decode("utf-8-sig").splitlines()[0].split(",")

    assert {"TC1", "I_A1", "part_I", "part_II", "MD1_4"} <= set(header)
    assert header[:9] == ["code", "name", "level", "n", "excluded", "sipas", "hl", "rank", "enough_sample"]


# --- the documents ---------------------------------------------------------------------------------------------


def pdf_text(content: bytes, tmp_path: Path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    return re.sub(r"\s+", " ", out)


def docx_text(content: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [" | ".join(cell.text for cell in row.cells) for table in document.tables for row in table.rows]
    return re.sub(r"\s+", " ", "\n".join(parts))


@pytest.fixture
def report_texts(mixed, tmp_path) -> dict[str, str]:
    run = published(mixed)
    return {
        "pdf": pdf_text(rendering.render_pdf(run, language="en"), tmp_path),
        "docx": docx_text(rendering.render_docx(run, language="en")),
    }


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_report_gives_each_version_its_own_tables(report_texts, fmt):
    report = report_texts[fmt]

    assert "Questionnaire SIPAS-2017: Province-level agencies" in report
    assert "Questionnaire SIPAS-2023: Communes, wards and special zones" in report
    assert DEPARTMENT_FACTOR in report and COMMUNE_FACTOR in report
    assert PART_I in report and "I_A1" in report and "TC1" in report
    assert "Not wanted" in report  # SIPAS-2023's rated expectations


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_report_states_grades_targets_versions_and_the_pooled_note(report_texts, fmt):
    report = report_texts[fmt]

    assert "These figures pool agencies that answered different questionnaires" in report
    assert "Decision No. 1001/QD-BNV" in report and "Decision No. 2640/QD-BNV" in report
    assert "Grades: Excellent (≥ 90): 1" in report
    assert "Communes, wards and special zones: target 80" in report
    assert "the weighted mean of the indices of its parts" in report
    assert "Excellent" in section(report, "APPENDIX I", "APPENDIX II")


def test_the_commune_card_shows_its_parts_grade_and_target(mixed, tree, tmp_path):
    run = published(mixed)

    card = pdf_text(rendering.render_pdf(run, document="card", agency_id=tree["06004"].pk, language="en"), tmp_path)

    assert PART_I in card and COMMUNE_FACTOR in card and DEPARTMENT_FACTOR not in card
    assert "grade: To improve" in card and "under its level's target of 80" in card


def test_the_workbook_has_each_versions_sheets_and_the_communes_grades(mixed):
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(rendering.render_xlsx(published(mixed), language="en")))

    assert {"Criteria – SIPAS-2017", "Criteria – SIPAS-2023"} <= set(book.sheetnames)
    criteria = [c.value for c in book["Criteria – SIPAS-2023"][1]]
    assert any(str(v).startswith("I_A1") for v in criteria) and not any(str(v).startswith("TC1") for v in criteria)
    communes = book["Ranking – communes"]
    header = [c.value for c in communes[1]]
    assert "Part I" in header and "Grade" in header and "Satisfaction I_A" not in header
    grades = {
        row[header.index("Agency")]: row[header.index("Grade")] for row in communes.iter_rows(2, values_only=True)
    }
    assert set(grades.values()) == {"Excellent", "To improve"}


# --- choosing versions -----------------------------------------------------------------------------------------


def test_the_campaign_form_offers_only_the_versions_the_officer_may_read(actors, tree):
    sipas_2017 = Methodology.objects.get(code="SIPAS-2017")
    clone_methodology(source=sipas_2017, code="P20-2026", name="Tỉnh 20", owner=tree["20"])
    clone_methodology(source=sipas_2017, code="P22-2026", name="Tỉnh 22", owner=tree["22"])

    page = english(actors.officer_a).get("/campaigns/new/").content.decode()

    assert "P20-2026" in page and "SIPAS-2023" in page
    assert "P22-2026" not in page


def test_the_campaign_page_and_the_workspace_link_the_questionnaires(actors, mixed):
    client = english(actors.officer_a)

    assert 'href="/methods/campaigns/hai-phien-ban/levels/"' in client.get("/campaigns/hai-phien-ban/").content.decode()
    assert 'href="/methods/"' in client.get("/workspace/").content.decode()
