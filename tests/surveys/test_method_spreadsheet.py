"""A methodology version as a spreadsheet (issue 18, point 2): export then import gives an equal version; a bad
workbook imports nothing and reports every bad row by sheet, row, column and reason."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook, load_workbook

from surveys.methodology.spreadsheet import SHEETS, SpreadsheetRejected
from surveys.models import Methodology
from surveys.services.methodology import definition_of, export_methodology, import_methodology

# A small version, as an officer drafts it in Excel: one factor, a filter that opens a follow-up, a fact.
SMALL = {
    "settings": [["LS-XA-2026", "Lạng Sơn: xã 2026", "Lang Son communes 2026", "share-positive", 4,
                  "factor-satisfaction", ""]],
    "questions": [
        ["scale5", "TC1", "Nơi chờ đủ ghế", "Enough seats", "criterion", "TC", "TC", "", "", ""],
        ["scale5", "HL_TC", "Hài lòng về tiếp cận?", "Satisfied with access?", "factor_satisfaction", "TC", "TC", "",
         "", ""],
        ["yes_no yn", "PA", "Có góp ý không?", "Gave feedback?", "filter", "", "facts", "", "", ""],
        ["scale5", "GY2", "Góp ý dễ dàng", "Feedback is easy", "criterion", "TC", "TC", "${PA} = '1'", "", "commune"],
        ["select_one visits", "DL", "Số lần đi lại", "Visits", "fact", "", "facts", "", "", ""],
    ],
    "choices": [
        ["scale5", "1", "Rất không hài lòng", "Very dissatisfied"], ["scale5", "2", "Không hài lòng", "Dissatisfied"],
        ["scale5", "3", "Bình thường", "Neutral"], ["scale5", "4", "Hài lòng", "Satisfied"],
        ["scale5", "5", "Rất hài lòng", "Very satisfied"],
        ["yn", "1", "Có", "Yes"], ["yn", "2", "Không", "No"],
        ["visits", "1", "1 lần", "Once"], ["visits", "2", "2 lần trở lên", "Twice or more"],
    ],
    "factors": [["TC", "Tiếp cận", "Access", ""]],
}  # fmt: skip


@pytest.fixture(autouse=True)
def _english():
    """The messages are compared in English (their msgids)."""
    with translation.override("en"):
        yield


def workbook(sheets: dict[str, list[list]], *, drop: tuple[str, ...] = ()) -> io.BytesIO:
    book = Workbook()
    book.remove(book.active)
    for name, header in SHEETS.items():
        if name in drop or (name not in sheets and name not in ("settings", "questions", "choices")):
            continue
        sheet = book.create_sheet(name)
        sheet.append(list(header))
        for row in sheets.get(name, []):
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def with_rows(sheet: str, *rows: list, replace: bool = False) -> dict:
    changed = {name: [list(row) for row in rows_] for name, rows_ in SMALL.items()}
    changed[sheet] = [*([] if replace else changed[sheet]), *rows]
    return changed


def rejection(sheets: dict, **options) -> list[tuple]:
    before = Methodology.objects.count()
    with pytest.raises(SpreadsheetRejected) as caught:
        import_methodology(source=workbook(sheets, **options))
    assert Methodology.objects.count() == before  # nothing imported
    return [(e.sheet, e.row, e.column, e.message) for e in caught.value.errors]


def same_version(a: Methodology, b: Methodology) -> bool:
    ignore = ("code", "name")
    left, right = definition_of(a), definition_of(b)
    return {k: v for k, v in left.items() if k not in ignore} == {k: v for k, v in right.items() if k not in ignore}


# --- round trip ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["SIPAS-2017", "SIPAS-2023"])
def test_export_then_import_gives_an_equal_version(db, code):
    shipped = Methodology.objects.get(code=code)
    out = io.BytesIO()
    export_methodology(methodology=shipped, target=out)
    out.seek(0)

    copy = import_methodology(source=out, code=f"{code}-COPY")

    assert same_version(copy, shipped)
    assert copy.questions.count() == shipped.questions.count() > 20


def test_commands_export_and_import_a_version(tree, tmp_path):
    path = tmp_path / "sipas-2023.xlsx"
    call_command("export_methodology", "SIPAS-2023", "--out", str(path))
    assert {"settings", "questions", "choices", "factors", "parts"} <= set(load_workbook(path).sheetnames)

    call_command("import_methodology", str(path), "--code", "HN-2025", "--province", "20")

    imported = Methodology.objects.get(code="HN-2025")
    assert imported.owner == tree["20"]
    assert same_version(imported, Methodology.objects.get(code="SIPAS-2023"))


def test_a_drafted_workbook_becomes_a_version_with_its_skip_logic_lists_and_kinds(db):
    version = import_methodology(source=workbook(SMALL))

    gy2 = version.questions.get(code="GY2")
    assert (gy2.shown_if, gy2.agency_kinds, gy2.factor.code) == ({"question": "PA", "values": ["1"]}, ["commune"], "TC")
    dl = version.questions.get(code="DL")
    assert (dl.choice_list, dl.option_codes()) == ("visits", ["1", "2"])
    assert [level["label"] for level in version.scale][4] == "Rất hài lòng"


def test_text_that_looks_like_a_formula_is_written_inert_and_read_back_as_typed(db):
    sheets = with_rows("questions", ["text", "YK", "-Ý kiến khác", "", "comment", "", "comment", "", "", ""])
    version = import_methodology(source=workbook(sheets))
    out = io.BytesIO()
    export_methodology(methodology=version, target=out)
    out.seek(0)

    cells = [row[2] for row in load_workbook(out)["questions"].iter_rows(min_row=2, values_only=True)]
    assert "'-Ý kiến khác" in cells
    out.seek(0)
    assert import_methodology(source=out, code="AGAIN").questions.get(code="YK").text == "-Ý kiến khác"


# --- bad workbooks ------------------------------------------------------------------------------------------------


def test_a_missing_sheet_is_named(db):
    assert rejection(SMALL, drop=("choices",)) == [("choices", None, "", "The workbook has no sheet named choices.")]


def test_an_unknown_list_of_answers_is_reported_on_its_row(db):
    sheets = with_rows("questions", ["select_one nosuch", "TH", "Trả kết quả", "", "fact", "", "facts", "", "", ""])

    assert rejection(sheets) == [("questions", 7, "type", "Unknown list nosuch: add it to the choices sheet.")]


def test_an_unknown_type_is_reported(db):
    sheets = with_rows("questions", ["slider", "TH", "Trả kết quả", "", "fact", "", "facts", "", "", ""])

    [(sheet, row, column, message)] = rejection(sheets)
    assert (sheet, row, column) == ("questions", 7, "type") and "Unknown type slider" in message


def test_a_duplicate_question_code_is_reported(db):
    sheets = with_rows("questions", ["scale5", "TC1", "Lặp lại", "", "criterion", "TC", "TC", "", "", ""])

    assert rejection(sheets) == [("questions", 7, "name", "Duplicate code TC1.")]


def test_a_duplicate_answer_code_in_a_list_is_reported(db):
    sheets = with_rows("choices", ["visits", "2", "Hai lần", "Twice"])

    assert rejection(sheets) == [("choices", 11, "name", "Duplicate code 2 in the list visits.")]


def test_skip_logic_pointing_at_a_later_question_is_reported(db):
    sheets = with_rows(
        "questions",
        ["scale5", "KQ1", "Kết quả đúng hẹn", "", "criterion", "TC", "TC", "${TH} = '3'", "", ""],
        ["select_one visits", "TH", "Trả kết quả", "", "fact", "", "facts", "", "", ""],
    )

    [(sheet, row, column, message)] = rejection(sheets)
    assert (sheet, row, column) == ("questions", 7, "relevant")
    assert message == "Skip logic points at TH, a question that comes later: it must come before KQ1."


def test_skip_logic_pointing_at_an_unknown_question_is_reported(db):
    sheets = with_rows("questions", ["scale5", "KQ1", "Kết quả", "", "criterion", "TC", "TC", "${ZZ} = '1'", "", ""])

    assert rejection(sheets) == [("questions", 7, "relevant", "Unknown question ZZ.")]


def test_skip_logic_in_a_cycle_is_reported_as_a_cycle(db):
    sheets = with_rows(
        "questions",
        ["yes_no yn", "A1", "Câu A", "", "filter", "", "facts", "${B1} = '1'", "", ""],
        ["yes_no yn", "B1", "Câu B", "", "filter", "", "facts", "${A1} = '1'", "", ""],
    )

    [(sheet, row, column, message)] = rejection(sheets)
    assert (sheet, row, column) == ("questions", 7, "relevant")
    assert message == "Skip logic goes in a cycle: A1 depends on B1, which depends on it."


def test_skip_logic_after_a_multiple_choice_or_an_absent_answer_is_reported(db):
    sheets = with_rows(
        "questions",
        ["select_multiple visits", "NC", "Mong muốn", "", "needs", "", "needs", "", "", ""],
        ["scale5", "KQ1", "Kết quả", "", "criterion", "TC", "TC", "${NC} = '1'", "", ""],
        ["scale5", "KQ2", "Kết quả", "", "criterion", "TC", "TC", "${PA} = '9'", "", ""],
    )

    assert rejection(sheets) == [
        ("questions", 8, "relevant", "Skip logic follows the answers to a yes/no or single-choice question."),
        ("questions", 9, "relevant", "PA has no such answer: choose among 1, 2."),
    ]


def test_every_bad_row_of_every_sheet_is_reported_at_once(db):
    sheets = with_rows("questions", ["scale5", "TC1", "", "", "criterion", "XX", "TC", "", "", "village"])
    sheets["factors"].append(["TC", "Lặp", "", "P9"])

    problems = {(sheet, row, column) for sheet, row, column, _message in rejection(sheets)}

    assert problems == {
        ("factors", 3, "code"), ("factors", 3, "part"), ("questions", 7, "name"), ("questions", 7, "factor"),
        ("questions", 7, "label"), ("questions", 7, "agency_kinds"),
    }  # fmt: skip


def test_a_code_in_use_is_refused(db):
    sheets = with_rows("settings", ["SIPAS-2017", "Lại", "", "share-positive", 4, "", ""], replace=True)

    assert rejection(sheets) == [
        ("settings", 2, "code", "A methodology version with the code SIPAS-2017 exists already.")
    ]


def test_a_file_that_is_not_a_workbook_is_refused_in_words(db):
    with pytest.raises(SpreadsheetRejected, match="not a valid Excel workbook"):
        import_methodology(source=io.BytesIO(b"code,name\nX,Y\n"))


def test_the_command_reports_every_problem_and_fails(db, tmp_path, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook(SMALL, drop=("questions",)).getvalue())

    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_methodology", str(path))

    assert "questions: The workbook has no sheet named questions." in capsys.readouterr().err
