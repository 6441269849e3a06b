"""The workbook of a run's figures (openpyxl) and the pieces every document reads (the PDF and DOCX documents
are opened in test_documents.py).

One small campaign, with a published previous campaign to compare with, is built and rendered once per
module (inside a transaction rolled back afterwards); the tests read the PDF's text (pdftotext) and the
workbook (openpyxl). Agencies: Sở Nội vụ (SIPAS 100, up from 50), Sở Tư pháp (66.67, down from 100),
Phường Đông Kinh (60), Xã Đoàn Kết (too few responses, not ranked) and Xã Yên Bình (no responses)."""

from __future__ import annotations

import datetime
import io
import uuid
from dataclasses import dataclass

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, pgettext
from openpyxl import load_workbook

from agencies.models import Agency, AgencyKind
from agencies.rows import AgencyRow
from agencies.services import sync_agencies
from reports import rendering
from reports.models import IndexRun
from reports.services.compute import compute_campaign_index
from reports.services.publication import appraise_run, publish_run
from surveys.models import CampaignState, Methodology, Response
from surveys.services.campaigns import create_campaign
from tests.conftest import TREE

EXTRA = [AgencyRow("06007", "Xã Yên Bình", AgencyKind.COMMUNE, "xã", "20")]
FACTOR_CODES = ("TC", "TT", "CC", "KQ")  # GY is asked only after PA = 1; these answers say PA = 2
CRITERIA = {"TC": 4, "TT": 5, "CC": 6, "KQ": 3}


def answers(level: int, **extra) -> dict:
    """Every criterion, factor satisfaction and overall satisfaction at `level`, no feedback given."""
    values = {f"{f}{i}": level for f, n in CRITERIA.items() for i in range(1, n + 1)}
    values.update({f"HL_{f}": level for f in FACTOR_CODES}, HL=level, GY1=level, PA="2", DL="1", TH="2", NC=["NC5"])
    return {**values, **extra}


def make_campaign(slug: str, year: int, root: Agency, rows, *, publish: bool = False, paper=None) -> IndexRun:
    campaign = create_campaign(
        year=year, name=f"Khảo sát SIPAS {year}", slug=slug, root=root,
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31),
        level_samples={AgencyKind.DEPARTMENT: 5, AgencyKind.COMMUNE: 5}, target_percent=90.0, thresholds=[50, 80],
    )  # fmt: skip
    Response.objects.bulk_create(
        Response(campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel=channel, answers=given,
                 submitted_at=datetime.datetime(year, 3, 1, tzinfo=datetime.UTC), excluded=bool(rule),
                 decision_rule=rule)
        for agency, given, channel, rule in rows
    )  # fmt: skip
    if paper:
        campaign.participants.filter(agency=paper[0]).update(forms_issued=20, forms_returned=15, forms_valid=12)
    campaign.state = CampaignState.CLOSED
    campaign.save()
    run = compute_campaign_index(campaign=campaign)
    if publish:
        appraise_run(run=run, approved=True, note="Đạt", acting_user=None)
        run = publish_run(run=IndexRun.objects.get(pk=run.pk), acting_user=None)
    return run


def build(agencies: dict[str, Agency]) -> IndexRun:
    snv, stp, doan_ket, dong_kinh = (agencies[c] for c in ("20.SNV", "20.STP", "06001", "06004"))
    previous = [(snv, answers(5), "qr", "")] * 3 + [(snv, answers(1), "qr", "")] * 3 + [(stp, answers(5), "qr", "")] * 5
    make_campaign("sipas-2025", 2025, agencies["20"], previous, publish=True)
    rows = (
        [(snv, answers(5), "qr", "")] * 6
        + [(snv, answers(5, YK="Thái độ cán bộ <b>rất</b> tốt & nhiệt tình"), "web", "")]
        + [(snv, answers(5, YK="thu tuc nhanh gon"), "web", "")]
        + [(snv, answers(1, YK="Phản hồi bị loại khỏi chỉ số"), "qr", "too_fast")]
        + [(stp, answers(5), "paper", "")] * 4
        + [(stp, answers(2), "paper", "")] * 2
        + [(doan_ket, answers(4), "qr", "")] * 3
        + [(dong_kinh, answers(5), "qr", "")] * 3
        + [(dong_kinh, answers(1), "qr", "")] * 2
    )
    return make_campaign("sipas-2026", 2026, agencies["20"], rows, paper=(stp,))


@dataclass
class Rendered:
    xlsx: bytes
    run_number: int
    checksum: str
    sipas: dict[str, float | None]


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker) -> Rendered:
    with django_db_blocker.unblock(), transaction.atomic():
        sync_agencies([*TREE, *EXTRA])
        run = build({a.code: a for a in Agency.objects.all()})
        xlsx = rendering.render_xlsx(run)
        sipas = {r.agency.code: r.sipas for r in run.agency_results.select_related("agency")}
        number, checksum = run.number, run.checksum
        transaction.set_rollback(True)
    return Rendered(xlsx=xlsx, run_number=number, checksum=checksum, sipas=sipas)


def vi(message: str, **values) -> str:
    with translation.override("vi"):
        return gettext(message) % values if values else gettext(message)


def sheet_name(message: str) -> str:
    with translation.override("vi"):
        return pgettext("sheet name", message)


# --- Excel ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook(rendered):
    return load_workbook(io.BytesIO(rendered.xlsx))


def test_workbook_has_summary_ranking_per_level_criteria_facts_and_method_sheets(workbook):
    assert workbook.sheetnames == [
        sheet_name("Summary"), sheet_name("Ranking – departments"), sheet_name("Ranking – communes"), sheet_name("Criteria"),
        sheet_name("Facts and expectations"), sheet_name("Comments"), sheet_name("Method"), sheet_name("Data dictionary"),
    ]  # fmt: skip


def test_ranking_sheet_holds_sipas_at_full_precision_with_a_two_decimal_format(workbook, rendered):
    sheet = workbook[sheet_name("Ranking – departments")]
    header = [c.value for c in sheet[1]]
    rows = {row[2].value: row for row in sheet.iter_rows(min_row=2)}
    cell = rows["Sở Tư pháp"][header.index(vi("SIPAS"))]

    assert cell.value == rendered.sipas["20.STP"]
    assert cell.number_format == "0.00"
    assert [r[0].value for r in sheet.iter_rows(min_row=2)] == [1, 2]


def test_sheet_headers_are_bold_and_frozen_with_column_widths(workbook):
    sheet = workbook[sheet_name("Ranking – communes")]

    assert all(cell.font.b for cell in sheet[1])
    assert sheet.freeze_panes == "D2"
    assert sheet.column_dimensions["C"].width == 36


def test_no_data_is_an_empty_cell_not_zero(workbook):
    sheet = workbook[sheet_name("Ranking – communes")]
    header = [c.value for c in sheet[1]]
    yen_binh = next(row for row in sheet.iter_rows(min_row=2) if row[2].value == "Xã Yên Bình")

    assert yen_binh[header.index(vi("SIPAS"))].value is None
    assert yen_binh[0].value is None  # not ranked


def test_criteria_sheet_has_one_row_per_agency_and_one_column_per_criterion(workbook):
    sheet = workbook[sheet_name("Criteria")]
    header = [c.value for c in sheet[1]]

    assert sheet.max_row == 1 + 5
    assert [h.split("\n")[0] for h in header[4:]] == [
        f"{f}{i}" for f, n in [*CRITERIA.items(), ("GY", 4)] for i in range(1, n + 1)
    ]
    assert all(len(h.split("\n")) == 2 and h.split("\n")[1] for h in header[4:])  # the question beside its code


def test_facts_sheet_holds_shares_per_agency(workbook):
    sheet = workbook[sheet_name("Facts and expectations")]
    header = [c.value.split("\n")[0] for c in sheet[1]]
    snv = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == "20.SNV")

    assert snv[header.index("DL=1")].value == 100.0
    assert snv[header.index("NC5")].value == 100.0


def test_summary_and_method_sheets_state_the_campaign_and_the_exclusions(workbook, rendered):
    summary = [[c.value for c in row][:2] for row in workbook[sheet_name("Summary")].iter_rows()]
    method = {row[0].value: row[1].value for row in workbook[sheet_name("Method")].iter_rows(min_row=2)}

    assert [vi("Inputs checksum"), rendered.checksum] in summary
    assert method[vi("Inputs checksum")] == rendered.checksum
    assert method[vi("Responses excluded")] == 1
    assert method[vi("Excluded: %(rule)s", rule=vi("Completed implausibly fast"))] == 1


# --- Pieces, without rendering ----------------------------------------------------------------------------


@pytest.fixture
def run(tree):
    sync_agencies(EXTRA)
    return build({a.code: a for a in Agency.objects.all()})


def test_a_reports_rows_take_a_fixed_number_of_queries(run, django_assert_num_queries):
    # The run with its campaign, its agency results, groups, participants, channels, appraisal, comments, then the
    # versions with their factors and questions when the rows below the headlines are first built, the paper forms
    # counted (paper_tallies), and the names of the campaigns the changes compare with.
    with django_assert_num_queries(12):
        report = rendering.load_report(run)
        rendering.pdf_context(report)

    assert [r.code for r in report.presentation.agencies] == ["20.SNV", "20.STP", "06004", "06001", "06007"]


def test_figures_use_the_comma_in_vietnamese_and_the_point_in_english(run):
    with translation.override("vi"):
        vietnamese = rendering.pdf_context(rendering.load_report(run))["levels"][0]["rows"][1]["sipas"]
    with translation.override("en"):
        english = rendering.pdf_context(rendering.load_report(run))["levels"][0]["rows"][1]["sipas"]

    assert vietnamese == "66,67"
    assert english == "66.67"


def test_rank_change_reads_up_down_or_unchanged():
    with translation.override("en"):
        assert rendering.rank_change_text(2) == "up 2 places"
        assert rendering.rank_change_text(-1) == "down 1 place"
        assert rendering.rank_change_text(0) == "unchanged"
        assert rendering.rank_change_text(None) == "—"


def test_sheet_titles_follow_excels_rules():
    used: set[str] = set()

    assert (
        rendering.sheet_title("Xếp hạng: Sở/ban/ngành [cấp tỉnh] và tương đương", used)
        == "Xếp hạng- Sở-ban-ngành -cấp tỉn"
    )
    assert rendering.sheet_title("Tổng hợp", used) == "Tổng hợp"
    assert rendering.sheet_title("Tổng hợp", used) == "Tổng hợp 2"


def test_report_of_a_run_without_responses_shows_dashes(tree):
    run = make_campaign("empty", 2026, tree["20"], [])

    with translation.override("vi"):
        context = rendering.pdf_context(rendering.load_report(run))

    assert context["overall"]["group"].sipas.text == "—"
    assert {row["sipas"] for level in context["levels"] for row in level["rows"]} == {"—"}


@pytest.mark.parametrize(("format", "magic"), [("pdf", b"%PDF"), ("xlsx", b"PK")])
def test_export_report_command_writes_the_report(run, tmp_path, format, magic):
    out = tmp_path / f"report.{format}"

    call_command("export_report", run.campaign.slug, "--format", format, "--out", str(out), stdout=io.StringIO())

    assert out.read_bytes().startswith(magic)


def test_every_agencys_figures_in_the_workbook_equal_the_runs(workbook, rendered):
    found = {}
    for name in (sheet_name("Ranking – departments"), sheet_name("Ranking – communes")):
        sheet = workbook[name]
        header = [c.value for c in sheet[1]]
        for row in sheet.iter_rows(min_row=2):
            found[row[1].value] = row[header.index(vi("SIPAS"))].value

    assert found == rendered.sipas


def test_sheets_are_filtered_and_print_on_a4_landscape_fitted_to_the_width(workbook):
    sheet = workbook[sheet_name("Ranking – communes")]

    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$1"


def test_interval_headers_are_spelled_one_way(workbook):
    header = [c.value for c in workbook[sheet_name("Ranking – departments")][1]]

    assert vi("SIPAS, 95% interval: low") in header and vi("SIPAS, 95% interval: high") in header


def test_comments_sheet_lists_counted_comments_and_the_dictionary_names_every_code(workbook):
    comments = [[c.value for c in row] for row in workbook[sheet_name("Comments")].iter_rows(min_row=2)]
    dictionary = {row[0].value: row[2].value for row in workbook[sheet_name("Data dictionary")].iter_rows(min_row=2)}

    assert ["20.SNV", "Sở Nội vụ", "01/03/2026", "thu tuc nhanh gon"] in comments
    assert not any("Phản hồi bị loại" in str(row[3]) for row in comments)  # an excluded response's comment
    assert dictionary["TC1"] and dictionary["DL=1"] and dictionary["NC5"]
