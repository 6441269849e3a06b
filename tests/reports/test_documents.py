"""The documents the Department signs, opened as a reader would: the PDF's text (pdftotext) and the DOCX
(python-docx) of the report, the announcement decision and the agency cards carry each agency's name with its
diacritics, the run's figures, the sections, "Kính gửi", "Nơi nhận" and the signer, in the form of Decree
30/2020/NĐ-CP. The campaign is test_rendering's (a published previous campaign to compare with), appraised with
edited assessment text and published; everything is rendered once per module."""

from __future__ import annotations

import datetime
import io
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency
from agencies.services import sync_agencies
from reports import rendering
from reports.models import IndexRun
from reports.services.publication import appraise_run, publish_run
from tests.conftest import TREE
from tests.reports.test_rendering import EXTRA, build

NAMES = ("Sở Nội vụ", "Sở Tư pháp", "Xã Đoàn Kết", "Phường Đông Kinh", "Xã Yên Bình")
ASSESSMENT = "Đoàn kiểm tra ghi nhận: Sở Tư pháp cần cải thiện việc trả kết quả đúng hẹn."
RECOMMENDATION = "Đề nghị Sở Tư pháp rà soát quy trình tiếp nhận hồ sơ."
SIGNER = "Nguyễn Thị Hằng"


@dataclass
class Documents:
    pdf: dict[str, str]  # document -> pdftotext -layout
    info: dict[str, str]  # document -> pdfinfo
    fonts: str  # pdffonts of the report
    docx: dict[str, str]  # document -> every paragraph and table cell, in order
    raw_docx: dict[str, bytes]
    checksum: str
    date: datetime.date


def poppler(tool: str, path: Path, *options: str) -> str:
    return subprocess.run([tool, *options, str(path), *(["-"] if tool == "pdftotext" else [])],
                          check=True, capture_output=True, text=True).stdout  # fmt: skip


def docx_text(content: bytes) -> str:
    from docx import Document

    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


@pytest.fixture(scope="module")
def documents(django_db_setup, django_db_blocker, tmp_path_factory) -> Documents:
    folder = tmp_path_factory.mktemp("documents")
    pdf, info, docx, raw = {}, {}, {}, {}
    with django_db_blocker.unblock(), transaction.atomic():
        sync_agencies([*TREE, *EXTRA])
        run = build({a.code: a for a in Agency.objects.all()})
        appraise_run(
            run=run, approved=True, note="Số liệu đã được kiểm tra, đạt yêu cầu.", acting_user=None,
            assessment=ASSESSMENT, recommendations=RECOMMENDATION, signer_title="KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
            signer_name=SIGNER, plans_due=datetime.date(2027, 3, 31),
        )  # fmt: skip
        run = publish_run(run=IndexRun.objects.get(pk=run.pk), acting_user=None)
        for document in ("report", "decision", "cards"):
            path = folder / f"{document}.pdf"
            path.write_bytes(rendering.render_pdf(run, document=document))
            pdf[document] = poppler("pdftotext", path, "-layout")
            info[document] = poppler("pdfinfo", path)
            raw[document] = rendering.render_docx(run, document=document)
            docx[document] = docx_text(raw[document])
        fonts = poppler("pdffonts", folder / "report.pdf")
        checksum, date = run.checksum, timezone.localtime(run.published_at).date()
        transaction.set_rollback(True)
    return Documents(pdf=pdf, info=info, fonts=fonts, docx=docx, raw_docx=raw, checksum=checksum, date=date)


def place_date(date: datetime.date) -> str:
    return f"Lạng Sơn, ngày {date.day:02d} tháng {date.month:02d} năm {date.year}"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# --- Every document, both formats ---------------------------------------------------------------------------


@pytest.mark.parametrize("document", ["report", "decision", "cards"])
@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_each_document_carries_every_agency_with_its_diacritics(documents, document, fmt):
    text = flat(getattr(documents, fmt)[document])

    assert all(name in text for name in NAMES)


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize("document", ["report", "decision"])
def test_report_and_decision_have_the_decree_30_header_recipients_and_signer(documents, document, fmt):
    text = flat(getattr(documents, fmt)[document])

    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    assert re.search("ỦY BAN NHÂN DÂN TỈNH (.* )?LẠNG SƠN", text) and "SỞ NỘI VỤ" in text  # the PDF wraps it
    assert place_date(documents.date) in text
    assert "Nơi nhận:" in text
    assert "KT. GIÁM ĐỐC" in text and "PHÓ GIÁM ĐỐC" in text and SIGNER in text


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_report_has_kinh_gui_its_sections_and_the_edited_assessment(documents, fmt):
    text = flat(getattr(documents, fmt)["report"])

    assert "Số: ……/BC-SNV" in text and "BÁO CÁO" in text and "Kính gửi:" in text
    positions = [text.index(heading) for heading in
                 ("I. KHÁI QUÁT CHUNG", "II. KẾT QUẢ", "III. ĐÁNH GIÁ CHUNG", "IV. KIẾN NGHỊ, ĐỀ XUẤT", "PHỤ LỤC I")]  # fmt: skip
    assert positions == sorted(positions)
    assert ASSESSMENT in text and RECOMMENDATION in text
    assert "Số liệu đã được kiểm tra, đạt yêu cầu." in text  # the appraisal note


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_report_carries_the_runs_figures_with_a_decimal_comma(documents, fmt):
    text = getattr(documents, fmt)["report"]

    assert re.search(r"Sở Nội vụ\s*\|?\s*8\s*\|?\s*100,00", text)  # appendix I: rank 1, n 8, SIPAS 100,00
    assert re.search(r"Sở Tư pháp\s*\|?\s*6\s*\|?\s*66,67", text)
    assert "+50,00 *" in text and "−33,33" in text  # changes against the previous campaign


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_report_names_campaigns_never_their_slugs_and_writes_dates_day_first(documents, fmt):
    text = getattr(documents, fmt)["report"]

    assert "Khảo sát SIPAS 2025" in text and "sipas-2025" not in text and "sipas-2026" not in text
    assert "01/01/2026" in text and "31/12/2026" in text
    assert not re.search(r"\b\d{2}-\d{2}-\d{4}\b", text)
    assert "Ngày" not in text.replace("Ngày trả", "")  # "ngày" in lower case in the place-date line


def test_report_pdf_prints_the_checksum_only_in_the_method_appendix(documents):
    pages = documents.pdf["report"].split("\f")

    assert documents.checksum not in "".join(pages[:-2]).replace(" ", "").replace("\n", "")
    assert documents.checksum in "".join(pages[-3:]).replace(" ", "").replace("\n", "")


def test_report_pdf_numbers_its_pages_from_the_second(documents):
    pages = documents.pdf["report"].split("\f")

    assert pages[1].strip().startswith("2")
    assert not pages[0].strip().startswith("1")


def test_pdfs_are_a4_and_embed_a_times_compatible_serif(documents):
    fonts = {line.split()[0].split("+")[-1] for line in documents.fonts.splitlines()[2:]}

    assert re.search(r"Page size:\s+595\.\d* x 841\.\d*|Page size:\s+595 x 842", documents.info["report"])
    assert {"Liberation-Serif", "Liberation-Serif-Bold", "Liberation-Serif-Italic"} <= fonts
    assert all(" yes " in line for line in documents.fonts.splitlines()[2:])  # every font embedded


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_decision_has_its_three_articles_and_the_plans_due_date(documents, fmt):
    text = flat(getattr(documents, fmt)["decision"])

    assert "QUYẾT ĐỊNH" in text and "Số: ……/QĐ-SNV" in text and "Căn cứ Quyết định số 2640/QĐ-BNV" in text
    assert all(article in text for article in ("Điều 1.", "Điều 2.", "Điều 3."))
    assert "31/03/2027" in text  # agencies under the target submit action plans by then
    assert "PHỤ LỤC" in text


def test_cards_pdf_gives_each_agency_one_page_addressed_to_its_head(documents):
    pages = [page for page in documents.pdf["cards"].split("\f") if page.strip()]

    assert len(pages) == len(NAMES)
    for name in NAMES:
        (page,) = [p for p in pages if f"Thủ trưởng {name}" in flat(p)]
        assert "PHIẾU KẾT QUẢ" in page


def test_docx_leaves_no_template_tag_behind(documents):
    for text in documents.docx.values():
        assert "{{" not in text and "{%" not in text and "}}" not in text


def test_docx_body_is_times_new_roman_at_14_pt(documents):
    from docx import Document

    document = Document(io.BytesIO(documents.raw_docx["report"]))
    normal = document.styles["Normal"].font

    assert normal.name == "Times New Roman" and normal.size.pt == 14
    section = document.sections[0]
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
