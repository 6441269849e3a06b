"""Every spreadsheet the portal reads (agency lists, response imports) goes through sipas.tabular: a workbook
that expands to gigabytes is refused before it is parsed, a damaged sheet is reported in words, and a cell
longer than Excel allows is refused; through the officer's upload page the job fails with that message."""

from __future__ import annotations

import io
import resource
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from sipas.models import Job
from sipas.tabular import UnreadableFile, read_rows


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def workbook_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def replace_part(xlsx: bytes, part: str, chunks) -> bytes:
    """The workbook with one zip member replaced by the concatenated `chunks`, written streaming."""
    source = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != part:
                target.writestr(info, source.read(info.filename))
        with target.open(part, "w", force_zip64=True) as member:
            for chunk in chunks:
                member.write(chunk)
    return out.getvalue()


def shared_string_bomb(megabytes: int) -> bytes:
    """A small workbook whose shared strings hold one string of `megabytes` MB (compresses about 1000 times)."""
    base = workbook_bytes([["code", "name", "kind", "parent"], ["20", "Tỉnh", "province", ""]])
    block = b"A" * (1024 * 1024)
    chunks = [b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              b'count="1" uniqueCount="1"><si><t>', *[block] * megabytes, b"</t></si></sst>"]  # fmt: skip
    return replace_part(base, "xl/sharedStrings.xml", chunks)


def test_a_workbook_that_expands_to_hundreds_of_megabytes_is_refused_before_parsing(tmp_path):
    bomb = shared_string_bomb(400)
    assert len(bomb) < 1024 * 1024  # under a megabyte on disk
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    with pytest.raises(UnreadableFile, match=r"expands to 4\d\d MB"):
        read_rows(path)

    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 50 * 1024  # nothing was expanded in memory


def test_a_damaged_sheet_is_reported_in_words(tmp_path):
    good = workbook_bytes([["code", "name"], ["20", "Tỉnh"]])
    damaged = replace_part(good, "xl/worksheets/sheet1.xml", [b"<worksheet><sheetData><row><c></row></sheetData>"])
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(damaged)

    with pytest.raises(UnreadableFile, match="damaged"):
        _header, rows = read_rows(path)
        list(rows)


def test_a_cell_longer_than_excel_allows_is_refused(tmp_path):
    path = tmp_path / "long.xlsx"
    good = workbook_bytes([["code", "name"], ["twenty", "short"]])

    def cell(ref: str, text: bytes) -> bytes:
        return b'<c r="' + ref.encode() + b'" t="inlineStr"><is><t>' + text + b"</t></is></c>"

    sheet = [
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
        b'<row r="1">' + cell("A1", b"code") + cell("B1", b"name") + b"</row>",
        b'<row r="2">' + cell("A2", b"20") + cell("B2", b"x" * 40_000) + b"</row>",
        b"</sheetData></worksheet>",
    ]
    path.write_bytes(replace_part(good, "xl/worksheets/sheet1.xml", sheet))
    _header, rows = read_rows(path)

    with pytest.raises(UnreadableFile, match="longer than a spreadsheet cell"):
        list(rows)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bomb.xlsx", lambda: shared_string_bomb(100), "MB"),
        ("damaged.xlsx", lambda: replace_part(
            workbook_bytes([["code", "name", "kind", "parent"], ["9", "X", "commune", "20"]]),
            "xl/worksheets/sheet1.xml", [b"<worksheet><sheetData><row><c></row>"]), "hỏng"),
    ],
)  # fmt: skip
def test_an_officers_hostile_upload_fails_its_job_with_a_message(
    actors, django_capture_on_commit_callbacks, name, content, message
):
    client = Client(raise_request_exception=False)
    client.force_login(actors.officer_a)
    upload = SimpleUploadedFile(name, content(), content_type="application/octet-stream")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("agencies:import"), {"file": upload})

    assert response.status_code == 302
    job = Job.objects.get()
    assert job.state == Job.State.FAILED
    assert message in job.errors[0]["message"]
