"""import_responses (service and command): the import contract of sipas-methodology.md, every bad row reported
by spreadsheet row number and column with nothing written, idempotent client_ids, quality flags, and the one
path every file takes (rows read streamed, checked by validate_answers, written with COPY in batches)."""

from __future__ import annotations

import csv
import datetime
import io
import time
import unicodedata
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone, translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from sipas.models import AuditEntry
from surveys.management.commands.import_responses import Command as ImportCommand
from surveys.models import Campaign, CampaignState, Response, ResponseFlag
from surveys.services import imports
from surveys.services.answers import validate_answers
from surveys.services.imports import ResponseImportRejected, import_responses
from surveys.services.methodology import add_question, clone_methodology
from surveys.services.quality import flags_for
from surveys.services.responses import question_set

# A complete, varied answer sheet as typed in a spreadsheet (PA = 1, so the feedback follow-ups are asked).
ANSWERS = {
    "TC1": "4", "TC2": "5", "TC3": "3", "TC4": "4", "HL_TC": "4",
    "TT1": "5", "TT2": "4", "TT3": "4", "TT4": "5", "TT5": "3", "HL_TT": "4",
    "CC1": "5", "CC2": "5", "CC3": "4", "CC4": "4", "CC5": "4", "CC6": "5", "HL_CC": "5",
    "KQ1": "4", "KQ2": "4", "KQ3": "5", "HL_KQ": "4",
    "GY1": "3", "PA": "1", "GY2": "4", "GY3": "3", "GY4": "2", "HL_GY": "3",
    "HL": "4", "DL": "1", "TH": "2", "XL": "", "PH": "1", "TN": "1", "NC": "NC3|NC5",
    "GT": "2", "TUOI": "3", "YK": "Cán bộ nhiệt tình, nên thêm ghế chờ.",
}  # fmt: skip
SCALED = [code for code in ANSWERS if code.startswith(("TC", "TT", "CC", "KQ", "GY", "HL"))]
HEADER = ["agency_code", "respondent_type", "channel", "submitted_at", *ANSWERS]
NOT_STRAIGHT = {"GY1": "3", "GY4": "2"}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def campaign(make_survey_campaign) -> Campaign:
    """Open, over the departments and communes of province 20 (not 07000 of province 22); channels qr, web,
    paper, enumerator, kiosk (not post)."""
    return make_survey_campaign("import")


def today() -> str:
    return timezone.localdate().isoformat()


def row(**cells) -> dict[str, str]:
    return {"agency_code": "06001", "respondent_type": "individual", "channel": "", "submitted_at": today(),
            **ANSWERS, **cells}  # fmt: skip


def csv_bytes(rows, header) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for cells in rows:
        writer.writerow([cells.get(column, "") for column in header] if isinstance(cells, dict) else cells)
    return out.getvalue().encode()


def csv_file(tmp_path, rows, *, header=None, name="responses.csv"):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows, header or HEADER))
    return path


def xlsx_file(tmp_path, rows, *, header=None):
    header = header or HEADER
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for cells in rows:
        sheet.append([cells.get(column) for column in header])
    path = tmp_path / "responses.xlsx"
    workbook.save(path)
    return path


def rejection(campaign, path) -> ResponseImportRejected:
    with pytest.raises(ResponseImportRejected) as caught:
        import_responses(campaign=campaign, source=path)
    return caught.value


def reported(rejected: ResponseImportRejected) -> list[tuple[int, str, str]]:
    return [(error.row, error.column, error.message) for error in rejected.errors]


def nothing_written() -> bool:
    return not Response.objects.exists() and not ResponseFlag.objects.exists()


# --- what a valid file stores ---------------------------------------------------------------------------------


def test_valid_rows_are_stored_with_clean_answers(campaign, tree, tmp_path):
    report = import_responses(campaign=campaign, source=csv_file(tmp_path, [row(), row(agency_code="20.STP")]))
    assert (report.rows, report.imported, report.flagged) == (2, 2, 0)
    stored = Response.objects.get(agency=tree["06001"])
    assert stored.answers["TC1"] == 4 and stored.answers["PA"] == "1" and stored.answers["NC"] == ["NC3", "NC5"]
    assert "XL" not in stored.answers  # an empty cell is an unanswered question
    assert stored.answers["YK"] == ANSWERS["YK"]
    assert stored.respondent_type == "individual"


def test_blank_channel_means_paper(campaign, tmp_path):
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(channel="")]))
    assert Response.objects.get().channel == "paper"


def test_file_without_optional_columns_imports_as_paper_submitted_now(campaign, tmp_path):
    header = ["agency_code", "respondent_type", "TC1", "HL"]
    before = timezone.now()
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row()], header=header))
    stored = Response.objects.get()
    assert stored.channel == "paper" and stored.answers == {"TC1": 4, "HL": 4}
    assert before <= stored.submitted_at <= timezone.now()


def test_channel_from_the_file_is_kept(campaign, tmp_path):
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(channel="enumerator")]))
    assert Response.objects.get().channel == "enumerator"


def test_each_row_gets_its_own_time_ordered_client_id(campaign, tmp_path):
    before = time.time_ns() // 1_000_000
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(), row()]))
    after = time.time_ns() // 1_000_000

    ids = list(Response.objects.values_list("client_id", flat=True))
    assert len(set(ids)) == 2 and all(client_id.version == 7 for client_id in ids)
    assert all(before <= client_id.int >> 80 <= after for client_id in ids)  # the import's own milliseconds


def test_rows_imported_by_the_command_are_entered_by_nobody(campaign, tmp_path):
    call_command("import_responses", campaign.slug, str(csv_file(tmp_path, [row()])), stdout=io.StringIO())
    assert Response.objects.get().entered_by is None


def test_the_acting_user_of_an_upload_is_recorded(campaign, tmp_path):
    officer = get_user_model().objects.create_user("uploader", password="x")
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row()]), acting_user=officer)
    assert Response.objects.get().entered_by == officer
    assert AuditEntry.objects.get(action="responses.imported").actor == officer


def test_the_import_is_audited_with_its_counts(campaign, tmp_path):
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(), row(submitted_at="2020-01-01")]))
    entry = AuditEntry.objects.get(action="responses.imported")
    assert entry.target_id == str(campaign.pk)
    assert entry.data == {"file": "responses.csv", "rows": 2, "imported": 2, "flagged": 1, "skipped": 0}


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2025-03-04", datetime.datetime(2025, 3, 4, 0, 0)),
        ("2025-03-04 14:30", datetime.datetime(2025, 3, 4, 14, 30)),
        ("2025-03-04T14:30:15", datetime.datetime(2025, 3, 4, 14, 30, 15)),
        ("2025-03-04 14:30:15.25", datetime.datetime(2025, 3, 4, 14, 30, 15, 250000)),
        ("2025-03-04T07:30:00Z", datetime.datetime(2025, 3, 4, 14, 30)),
        ("2025-03-04T14:30:00+08:00", datetime.datetime(2025, 3, 4, 13, 30)),
    ],
)
def test_submitted_at_without_a_zone_is_vietnam_time(campaign, tmp_path, cell, expected):
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(submitted_at=cell)]))
    stored = timezone.localtime(Response.objects.get().submitted_at)
    assert str(stored.tzinfo) == "Asia/Ho_Chi_Minh" and stored.replace(tzinfo=None) == expected


def test_free_text_keeps_quotes_commas_backslashes_tabs_and_line_breaks(campaign, tmp_path):
    comment = 'Rất tốt, "nhanh"\\ gọn\tthật\nsự'
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(YK=comment)]))
    assert Response.objects.get().answers["YK"] == comment


def test_control_characters_in_free_text_are_dropped_so_postgresql_can_store_it(campaign, tmp_path):
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(YK="a\x00b\x1fc")]))
    assert Response.objects.get().answers["YK"] == "abc"


def test_progress_is_reported_while_the_file_is_read(campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "PROGRESS_EVERY", 2)
    seen = []
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row()] * 5), on_progress=seen.append)
    assert seen == [2, 4]


# --- bad rows: each reported by row number and column, nothing written ---------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"agency_code": ""}, "agency_code", "Required: this cell may not be empty."),
        ({"agency_code": "07000"}, "agency_code", "07000 is not an agency surveyed in this campaign."),
        ({"agency_code": "99999"}, "agency_code", "99999 is not an agency surveyed in this campaign."),
        ({"respondent_type": ""}, "respondent_type", "Required: this cell may not be empty."),
        ({"respondent_type": "citizen"}, "respondent_type", "Write individual or organization."),
        ({"channel": "fax"}, "channel", "Write one of qr, web, paper, enumerator, kiosk, api, post, phone."),
        ({"channel": "post"}, "channel", "This campaign does not accept responses through the channel post."),
        ({"submitted_at": "2025-13-04"}, "submitted_at", "Write a date as YYYY-MM-DD, or a date and time as "
         "YYYY-MM-DD HH:MM (ISO 8601)."),
        ({"submitted_at": "04/03/2025"}, "submitted_at", "Write a date as YYYY-MM-DD, or a date and time as "
         "YYYY-MM-DD HH:MM (ISO 8601)."),
        ({"TC1": "6"}, "TC1", "Choose a level from 1 to 5, or leave it empty."),
        ({"HL": "rất tốt"}, "HL", "Choose a level from 1 to 5, or leave it empty."),
        ({"DL": "7"}, "DL", "Choose one of the listed answers."),
        ({"PA": "3", "GY2": "", "GY3": "", "GY4": "", "HL_GY": ""}, "PA", "Choose one of the listed answers."),
        ({"NC": "NC3|NC99"}, "NC", "Choose among the listed answers only."),
        ({"NC": "NC1|NC2|NC3|NC4"}, "NC", "Choose at most 3 answers."),
        ({"YK": "x" * 2001}, "YK", "Write at most 2000 characters."),
    ],
)  # fmt: skip
def test_a_bad_cell_is_reported_with_its_row_and_column(campaign, tmp_path, cells, column, message):
    rejected = rejection(campaign, csv_file(tmp_path, [row(), row(), row(**cells)]))
    assert reported(rejected) == [(4, column, message)]
    assert nothing_written()


def test_an_answer_against_the_skip_logic_is_reported(campaign, tmp_path):
    rejected = rejection(campaign, csv_file(tmp_path, [row(PA="2", GY2="", GY3="", GY4="", HL_GY="4")]))
    assert reported(rejected) == [(2, "HL_GY", "Must be empty: it is asked only when PA is 1.")]


def test_pa_no_with_the_follow_ups_empty_is_valid(campaign, tmp_path):
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(PA="2", GY2="", GY3="", GY4="", HL_GY="")]))
    assert Response.objects.get().answers["PA"] == "2"


def test_a_row_without_any_answer_is_reported(campaign, tmp_path):
    rejected = rejection(campaign, csv_file(tmp_path, [row(**dict.fromkeys(ANSWERS, ""))]))
    assert reported(rejected) == [(2, "", "Please answer at least one question.")]


def test_every_bad_row_is_reported_by_its_spreadsheet_row_number(campaign, tmp_path):
    rows = [row(), row(TC1="9", respondent_type="x"), [], row(), row(agency_code="07000"), row()]
    rejected = rejection(campaign, csv_file(tmp_path, rows))
    assert [(r, c) for r, c, _m in reported(rejected)] == [(3, "TC1"), (3, "respondent_type"), (6, "agency_code")]
    assert rejected.error_count == 3 and rejected.message == "Problems found in the file: 3."


def test_one_bad_row_after_rows_already_sent_to_the_database_writes_nothing(campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 4)
    rows = [row(submitted_at="2020-01-01") for _ in range(25)] + [row(TC2="0")]
    rejected = rejection(campaign, csv_file(tmp_path, rows))
    assert reported(rejected) == [(27, "TC2", "Choose a level from 1 to 5, or leave it empty.")]
    assert nothing_written() and not AuditEntry.objects.filter(action="responses.imported").exists()


def test_the_report_is_capped_but_counts_every_problem(campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "MAX_REPORTED_ERRORS", 2)
    rejected = rejection(campaign, csv_file(tmp_path, [row(TC1="0") for _ in range(5)]))
    assert [error.row for error in rejected.errors] == [2, 3] and rejected.error_count == 5


# --- the header (row 1) and the file ---------------------------------------------------------------------------


def test_an_unknown_column_is_an_error_on_row_1_and_rows_are_still_checked(campaign, tmp_path):
    rejected = rejection(campaign, csv_file(tmp_path, [row(TC1="7")], header=[*HEADER, "colour"]))
    assert [(r, c) for r, c, _m in reported(rejected)] == [(1, "colour"), (2, "TC1")]
    assert reported(rejected)[0][2].startswith("Unknown column: use agency_code, respondent_type, channel")


def test_a_missing_required_column_is_an_error_on_row_1(campaign, tmp_path):
    header = [column for column in HEADER if column != "respondent_type"]
    rejected = rejection(campaign, csv_file(tmp_path, [row()], header=header))
    assert reported(rejected) == [(1, "respondent_type", "This column is required.")]


def test_a_column_given_twice_is_an_error_on_row_1(campaign, tmp_path):
    rejected = rejection(campaign, csv_file(tmp_path, [row()], header=[*HEADER, "tc1"]))
    assert reported(rejected) == [(1, "tc1", "This column appears more than once.")]


def test_header_names_are_matched_without_case(campaign, tmp_path):
    header = ["Agency_Code", "RESPONDENT_TYPE", "tc1", "Hl_Gy", "pa"]
    import_responses(campaign=campaign, source=csv_file(tmp_path, [["06001", "individual", "4", "5", "1"]], header=header))  # fmt: skip
    assert Response.objects.get().answers == {"TC1": 4, "HL_GY": 5, "PA": "1"}


def test_a_file_that_is_not_a_spreadsheet_is_refused(campaign, tmp_path):
    path = tmp_path / "responses.txt"
    path.write_text("agency_code\n06001\n")
    assert "Unsupported file type" in rejection(campaign, path).message


def test_a_broken_workbook_is_refused(campaign, tmp_path):
    path = tmp_path / "responses.xlsx"
    path.write_bytes(b"not a zip")
    assert rejection(campaign, path).message == "The file is not a valid Excel workbook (.xlsx)."


def test_a_csv_that_is_not_utf8_is_refused(campaign, tmp_path):
    path = tmp_path / "responses.csv"
    path.write_bytes("agency_code,respondent_type,YK\n06001,individual,Hà\n".encode("latin-1"))
    assert rejection(campaign, path).message == "The CSV file is not UTF-8 text."
    assert nothing_written()


def test_a_file_with_only_a_header_is_refused(campaign, tmp_path):
    rejected = rejection(campaign, csv_file(tmp_path, []))
    assert rejected.message.startswith("The file has no responses")


def test_a_missing_file_is_refused(campaign, tmp_path):
    assert rejection(campaign, tmp_path / "nowhere.csv").message.startswith("Cannot open")


def test_a_campaign_already_computed_takes_no_import(campaign, tmp_path):
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.COMPUTED)
    campaign.refresh_from_db()
    rejected = rejection(campaign, csv_file(tmp_path, [row()]))
    assert "only while the campaign is open or closed" in rejected.message
    assert nothing_written()


# --- XLSX --------------------------------------------------------------------------------------------------------


def xlsx_row(**cells):
    typed = {code: int(value) if value.isdigit() and code != "PA" else value for code, value in ANSWERS.items()}
    return {**row(), **typed, "submitted_at": datetime.datetime(2025, 3, 4, 9, 15), **cells}


def test_a_workbook_imports_like_a_csv(campaign, tmp_path):
    report = import_responses(campaign=campaign, source=xlsx_file(tmp_path, [xlsx_row(), xlsx_row(PA=1)]))
    assert report.imported == 2
    stored = Response.objects.first()
    assert stored.answers["TC1"] == 4 and stored.answers["PA"] == "1" and stored.answers["DL"] == "1"
    assert timezone.localtime(stored.submitted_at).replace(tzinfo=None) == datetime.datetime(2025, 3, 4, 9, 15)


def test_bad_cells_of_a_workbook_are_reported_by_row(campaign, tmp_path):
    rejected = rejection(campaign, xlsx_file(tmp_path, [xlsx_row(), xlsx_row(TC1=4.5), xlsx_row(DL=9)]))
    assert [(r, c) for r, c, _m in reported(rejected)] == [(3, "TC1"), (4, "DL")]
    assert nothing_written()


# --- client_id: importing the same file again adds nothing -------------------------------------------------------


def with_ids(*rows_):
    return [{**cells, "client_id": str(uuid.UUID(int=i + 1))} for i, cells in enumerate(rows_)]


ID_HEADER = [*HEADER, "client_id"]


def test_a_file_with_client_ids_imported_twice_adds_nothing_the_second_time(campaign, tmp_path):
    path = csv_file(tmp_path, with_ids(row(), row(submitted_at="2020-01-01")), header=ID_HEADER)
    first = import_responses(campaign=campaign, source=path)
    second = import_responses(campaign=campaign, source=path)
    assert (first.imported, first.skipped) == (2, 0) and (second.imported, second.skipped) == (0, 2)
    assert Response.objects.count() == 2 and ResponseFlag.objects.count() == 1


def test_only_the_new_rows_of_a_grown_file_are_imported(campaign, tmp_path):
    import_responses(campaign=campaign, source=csv_file(tmp_path, with_ids(row()), header=ID_HEADER))
    report = import_responses(campaign=campaign, source=csv_file(tmp_path, with_ids(row(), row()), header=ID_HEADER))
    assert (report.imported, report.skipped) == (1, 1) and Response.objects.count() == 2
    assert str(Response.objects.latest("id").client_id) == str(uuid.UUID(int=2))


def test_a_client_id_used_twice_in_a_file_is_reported(campaign, tmp_path):
    rows = with_ids(row(), row())
    rows[1]["client_id"] = rows[0]["client_id"]
    rejected = rejection(campaign, csv_file(tmp_path, rows, header=ID_HEADER))
    assert reported(rejected) == [(3, "client_id", "This client_id is also used on row 2.")]


def test_a_client_id_reused_in_a_later_chunk_is_reported(campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "CLIENT_ID_BATCH_ROWS", 2)
    rows = with_ids(row(), row(), row())
    rows[2]["client_id"] = rows[0]["client_id"]
    rejected = rejection(campaign, csv_file(tmp_path, rows, header=ID_HEADER))
    assert reported(rejected) == [(4, "client_id", "This client_id is also used on an earlier row.")]
    assert nothing_written()


@pytest.mark.parametrize(
    ("value", "message"),
    [("12345", "Write a UUID such as 6f1c2a9e-3b1d-4f7a-9c55-0d2e8b7a4c10."),
     ("", "Required in a client_id column: give every row its own id.")],
)  # fmt: skip
def test_a_bad_client_id_is_reported(campaign, tmp_path, value, message):
    rows = with_ids(row())
    rows[0]["client_id"] = value
    assert reported(rejection(campaign, csv_file(tmp_path, rows, header=ID_HEADER))) == [(2, "client_id", message)]


# --- quality flags ------------------------------------------------------------------------------------------------


def test_quality_flags_are_recorded_as_flags_for_would(campaign, tree, tmp_path):
    straight = {code: "4" for code in SCALED}
    rows = [row(), row(**straight), row(submitted_at="2020-01-01"), row(**straight, submitted_at="2099-12-31")]
    report = import_responses(campaign=campaign, source=csv_file(tmp_path, rows))
    assert (report.imported, report.flagged) == (4, 3)
    questions = question_set(campaign, tree["06001"])
    for response in Response.objects.select_related("campaign"):
        stored = {(flag.rule, flag.detail) for flag in response.flags.all()}
        assert stored == {(flag.rule, flag.detail) for flag in flags_for(response, questions)}
    assert ResponseFlag.objects.filter(rule="straight_lined").count() == 2
    assert set(ResponseFlag.objects.filter(rule="outside_period").values_list("detail", flat=True)) == {
        "2020-01-01",
        "2099-12-31",
    }


def test_flags_are_recorded_across_chunks(campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 3)
    report = import_responses(campaign=campaign, source=csv_file(tmp_path, [row(submitted_at="2020-01-01")] * 8))
    assert report.flagged == 8 and ResponseFlag.objects.filter(rule="outside_period").count() == 8


# --- the command ----------------------------------------------------------------------------------------------------


def test_the_command_says_how_many_were_imported_and_flagged(campaign, tmp_path):
    out = io.StringIO()
    path = csv_file(tmp_path, [row(), row(submitted_at="2020-01-01")])
    call_command("import_responses", campaign.slug, str(path), stdout=out)
    assert out.getvalue().strip() == "Imported 2 responses into import; 1 flagged for review."


def test_the_command_says_how_many_rows_were_already_imported(campaign, tmp_path):
    path = csv_file(tmp_path, with_ids(row()), header=ID_HEADER)
    call_command("import_responses", campaign.slug, str(path), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_responses", campaign.slug, str(path), stdout=out)
    assert "0 responses" in out.getvalue() and "1 rows were already imported" in out.getvalue()


def test_the_command_prints_every_bad_row_and_fails(campaign, tmp_path):
    err = io.StringIO()
    path = csv_file(tmp_path, [row(TC1="8"), row(), row(agency_code="07000")])
    with pytest.raises(CommandError) as caught:
        call_command("import_responses", campaign.slug, str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == [
        "Row 2, column TC1: Choose a level from 1 to 5, or leave it empty.",
        "Row 4, column agency_code: 07000 is not an agency surveyed in this campaign.",
    ]
    assert str(caught.value) == "Nothing was imported. Problems found in the file: 2."
    assert nothing_written()


def test_the_command_counts_the_problems_it_does_not_list(campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "MAX_REPORTED_ERRORS", 1)
    err = io.StringIO()
    with pytest.raises(CommandError):
        path = csv_file(tmp_path, [row(TC1="8")] * 3)
        call_command("import_responses", campaign.slug, str(path), stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines()[-1] == "… and 2 more problems not listed."


def test_the_command_exits_non_zero_on_a_bad_file(campaign, tmp_path, capsys):
    path = csv_file(tmp_path, [row(TC1="8")])
    with pytest.raises(SystemExit) as caught:
        ImportCommand().run_from_argv(["manage.py", "import_responses", "--skip-checks", campaign.slug, str(path)])
    assert caught.value.code == 1
    assert "Nothing was imported" in capsys.readouterr().err


def test_an_unknown_campaign_is_refused_before_the_file_is_read(db, tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("import_responses", "nope", str(tmp_path / "missing.csv"), stderr=err)
    assert str(caught.value) == "There is no campaign with the short name nope."
    assert err.getvalue() == ""


def test_an_unreadable_file_fails_the_command_with_its_reason(campaign, tmp_path):
    with pytest.raises(CommandError) as caught:
        call_command("import_responses", campaign.slug, str(tmp_path / "missing.csv"), stderr=io.StringIO())
    assert str(caught.value).startswith("Nothing was imported. Cannot open")


# --- the one path: streamed rows, validate_answers, COPY in batches ------------------------------------------------


def test_unusual_spellings_are_stored_as_validate_answers_cleans_them(campaign, tmp_path):
    nfd = unicodedata.normalize("NFD", "Thủ tục nhanh")
    unusual = {"TC1": " 4", "TC2": "04", "TT1": "+5", "NC": "NC5|NC3", "DL": " 2 ", "YK": f"  {nfd}\x07 "}
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(**unusual)]))
    stored = Response.objects.get().answers
    assert (stored["TC1"], stored["TC2"], stored["TT1"], stored["NC"], stored["DL"]) == (4, 4, 5, ["NC3", "NC5"], "2")
    assert stored["YK"] == nfd  # trimmed, the control character dropped, the text kept as typed


def test_a_short_row_has_its_missing_cells_empty_and_a_blank_row_keeps_its_number(campaign, tmp_path):
    header = ["agency_code", "respondent_type", "TC1", "HL"]
    rows = [["06001", "individual", "5"], [], ["", " ", ""], ["06001", "individual", "9", "4"]]
    rejected = rejection(campaign, csv_file(tmp_path, rows, header=header))
    assert reported(rejected) == [(5, "TC1", "Choose a level from 1 to 5, or leave it empty.")]
    rows[3][2] = "3"
    report = import_responses(campaign=campaign, source=csv_file(tmp_path, rows, header=header))
    assert report.rows == 2
    assert list(Response.objects.order_by("id").values_list("answers", flat=True)) == [
        {"TC1": 5},
        {"TC1": 3, "HL": 4},
    ]


def test_a_question_asked_only_of_communes_is_an_error_on_a_department_row_unless_empty(
    make_survey_campaign, sipas_2017, tmp_path
):
    version = clone_methodology(source=sipas_2017, code="SIPAS-XA", name="Xã")
    add_question(
        methodology=version, code="XA1", kind="scale5", role="criterion", text="Dễ tìm", agency_kinds=["commune"]
    )
    campaign = make_survey_campaign("by-kind", methodology=version)
    header = ["agency_code", "respondent_type", "TC1", "XA1"]
    rows = [["06001", "individual", "4", "5"], ["20.SNV", "individual", "4", " "], ["20.SNV", "individual", "4", "5"]]
    rejected = rejection(campaign, csv_file(tmp_path, rows, header=header))
    assert reported(rejected) == [(4, "XA1", "There is no question XA1 in this questionnaire.")]
    import_responses(campaign=campaign, source=csv_file(tmp_path, rows[:2], header=header))
    assert list(Response.objects.order_by("id").values_list("answers", flat=True)) == [{"TC1": 4, "XA1": 5}, {"TC1": 4}]


def test_a_file_that_stops_being_utf8_cancels_the_copy_in_progress(campaign, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 2)
    path = csv_file(tmp_path, [row() for _ in range(300)])
    path.write_bytes(path.read_bytes() + "06001,individual,,,4\n".encode("latin-1") + "Hà\n".encode("latin-1"))
    assert rejection(campaign, path).message == "The CSV file is not UTF-8 text."
    assert nothing_written()
    assert Campaign.objects.filter(pk=campaign.pk).exists()  # the connection is usable again


def test_answers_are_stored_as_jsonb(campaign, tmp_path):
    import_responses(campaign=campaign, source=csv_file(tmp_path, [row(YK='a "b"\\c')]))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_typeof(answers)::text, answers->>'YK', answers->'NC' = '[\"NC3\", \"NC5\"]' "
            "FROM surveys_response"
        )
        assert cursor.fetchone() == ("jsonb", 'a "b"\\c', True)


CELLS = {  # per question column, cells as people type them, some odd, some wrong
    "TC1": ["", "4", " 5", "04", "6", "x", "4.5"],
    "HL": ["", "1", "5 ", "0"],
    "PA": ["", "1", "2", " 1", "3"],
    "GY2": ["", "3", "4", "9"],
    "TH": ["", "1", "3", "2 "],
    "XL": ["", "1", "2", "x"],
    "NC": ["", "NC1", "NC5|NC3", "NC3|NC3|", "NC1|NC2|NC3|NC4", "NC99"],
    "YK": ["", "  Tốt  ", "a\x00b", "x" * 2001, "\t"],
}


@st.composite
def answer_files(draw) -> list[dict]:
    return [
        {"agency_code": draw(st.sampled_from(["06001", "20.SNV"])), "respondent_type": "individual",
         **{code: draw(st.sampled_from(cells)) for code, cells in CELLS.items()}}
        for _ in range(draw(st.integers(1, 6)))
    ]  # fmt: skip


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=answer_files())
def test_a_file_is_stored_or_refused_as_validate_answers_decides_row_by_row(make_survey_campaign, tree, rows):
    """Whatever the cells, each row is what validate_answers makes of its non-empty cells: the file is refused
    with each row's errors, by row number and question code, or every row is stored with its clean answers."""
    Response.objects.all().delete()
    campaign = Campaign.objects.filter(slug="random").first() or make_survey_campaign("random")
    expected_answers, expected_errors = [], []
    for number, cells in enumerate(rows, start=2):
        questions = question_set(campaign, tree[cells["agency_code"]])
        raw = {code: cells[code] for code in CELLS if cells[code].strip()}
        answers, errors = validate_answers(questions, raw, strict_skips=True)
        expected_answers.append(answers)
        expected_errors += [(number, code, message) for code, message in errors.items()]
        if not answers and not errors:
            expected_errors.append((number, "", "Please answer at least one question."))
    header = ["agency_code", "respondent_type", *CELLS]
    source = io.BytesIO(csv_bytes(rows, header))
    try:
        report = import_responses(campaign=campaign, source=source, name="random.csv")
    except ResponseImportRejected as rejected:
        assert reported(rejected) == sorted(expected_errors)
        assert not Response.objects.exists()
    else:
        assert expected_errors == [] and report.imported == len(rows)
        stored = Response.objects.filter(campaign=campaign).order_by("id").values_list("answers", flat=True)
        assert list(stored) == expected_answers
