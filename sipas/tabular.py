"""Reading officers' spreadsheets (XLSX or CSV) as rows numbered the way a spreadsheet shows them.

Row 1 is the header; data starts at row 2. Every problem is a RowError naming the row and column, so an
import can report all of them at once and write nothing.
"""

from __future__ import annotations

import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        if self.column:
            return _("Row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("Row %(row)s: %(message)s") % {"row": self.row, "message": self.message}


class UnreadableFile(Exception):
    """The file is not a workbook or CSV this portal can read; the message says why in plain words."""


def normalise_header(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value or "").strip().lower().replace(" ", "_"))


def read_rows(
    source: IO[bytes] | str | Path, *, name: str = ""
) -> tuple[list[str], Iterator[tuple[int, dict[str, Any]]]]:
    """Return the normalised header and an iterator of (row number, {column: value}) for non-empty rows.

    XLSX is read in read-only mode and CSV streamed, so memory does not grow with the file.
    """
    label = (name or str(getattr(source, "name", source))).lower()
    if label.endswith(".csv"):
        return _read_csv(source)
    if label.endswith(".xlsx") or label.endswith(".xlsm"):
        return _read_xlsx(source)
    raise UnreadableFile(_("Unsupported file type: upload an .xlsx workbook or a UTF-8 .csv file."))


def _open_binary(source) -> IO[bytes]:
    if isinstance(source, (str, Path)):
        return open(source, "rb")
    return source


# An XLSX file is a zip of XML parts. A "zip bomb" workbook of a few hundred kilobytes can expand to gigabytes
# (one 400 MB shared string took 3 GB of memory): the sizes the zip declares are checked before anything is
# parsed. The shared strings are read whole by openpyxl, so they get the smallest cap; worksheets are streamed.
# Real workbooks compress text about 5 to 20 times; a part that expands over 100 times and to more than a few
# megabytes is not a spreadsheet anyone typed.
XLSX_MAX_TOTAL_BYTES = 1024 * 1024 * 1024
XLSX_MAX_SHARED_STRINGS_BYTES = 64 * 1024 * 1024
XLSX_MAX_RATIO = 100
XLSX_RATIO_CHECKED_ABOVE_BYTES = 8 * 1024 * 1024
CELL_MAX_CHARS = 32_767  # Excel's own limit for one cell: a longer one was not written by Excel


def check_xlsx_sizes(stream: IO[bytes]) -> None:
    """Refuse a workbook whose parts expand beyond the caps above, before parsing it. Raises UnreadableFile."""
    try:
        with zipfile.ZipFile(stream) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UnreadableFile(_("The file is not a valid Excel workbook (.xlsx).")) from exc
    finally:
        stream.seek(0)
    total = sum(part.file_size for part in parts)
    too_big = total > XLSX_MAX_TOTAL_BYTES
    for part in parts:
        if part.filename.endswith("sharedStrings.xml") and part.file_size > XLSX_MAX_SHARED_STRINGS_BYTES:
            too_big = True
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > XLSX_RATIO_CHECKED_ABOVE_BYTES and ratio > XLSX_MAX_RATIO:
            too_big = True
    if too_big:
        raise UnreadableFile(
            _(
                "The workbook expands to %(size)s MB when opened, far more than its data can take: it was not saved "
                "by a spreadsheet program as usual. Save it again from Excel, or export the sheet as a UTF-8 CSV file."
            )
            % {"size": total // (1024 * 1024)}
        )


def _read_xlsx(source):
    from openpyxl import load_workbook

    stream = _open_binary(source)  # a missing path raises FileNotFoundError for the caller to report
    check_xlsx_sizes(stream)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except SyntaxError as exc:  # xml.etree's ParseError: a part of the workbook is not well-formed XML
        raise UnreadableFile(_("The workbook's first sheet is damaged and cannot be read.")) from exc
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UnreadableFile(_("The file is not a valid Excel workbook (.xlsx).")) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    try:
        header_cells = next(rows, None)
    except (SyntaxError, ValueError, KeyError) as exc:
        workbook.close()
        raise UnreadableFile(_("The workbook's first sheet is damaged and cannot be read.")) from exc
    if header_cells is None:
        workbook.close()
        raise UnreadableFile(_("The workbook's first sheet is empty: row 1 must hold the column names."))
    header = [normalise_header(cell) for cell in header_cells]

    def iterate():
        try:
            for number, cells in enumerate(rows, start=2):
                if cells is None or all(cell is None or str(cell).strip() == "" for cell in cells):
                    continue
                if any(isinstance(cell, str) and len(cell) > CELL_MAX_CHARS for cell in cells):
                    raise UnreadableFile(
                        _("Row %(row)s holds a cell longer than a spreadsheet cell can be (%(limit)s characters).")
                        % {"row": number, "limit": CELL_MAX_CHARS}
                    )
                yield number, {key: cells[i] if i < len(cells) else None for i, key in enumerate(header) if key}
        except (SyntaxError, ValueError, KeyError) as exc:  # malformed sheet XML found while streaming it
            raise UnreadableFile(_("The workbook's first sheet is damaged and cannot be read.")) from exc
        finally:
            workbook.close()

    return header, iterate()


def _read_csv(source):
    stream = _open_binary(source)
    reader = csv.reader(io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""))
    try:
        header_cells = next(reader, None)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(_("The CSV file is not UTF-8 text.")) from exc
    if header_cells is None:
        raise UnreadableFile(_("The file is empty: row 1 must hold the column names."))
    header = [normalise_header(cell) for cell in header_cells]
    width = len(header)
    named = all(header)  # every column has a name: a row's cells pair with the header as they are

    def iterate():
        try:
            for number, cells in enumerate(reader, start=2):
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) < width:  # a short row: the missing cells are empty
                    cells += [None] * (width - len(cells))
                if named:
                    yield number, dict(zip(header, cells, strict=False))
                else:
                    yield number, {key: cell for key, cell in zip(header, cells, strict=False) if key}
        except UnicodeDecodeError as exc:
            raise UnreadableFile(_("The CSV file is not UTF-8 text.")) from exc

    return header, iterate()


def cell_text(value: Any) -> str:
    """A cell as trimmed NFC text; whole numbers stored as floats by Excel lose their ".0". NFC makes text
    typed in decomposed Unicode (Unikey's "Unicode tổ hợp") equal to the same text typed precomposed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value).replace("\x00", "").strip())
