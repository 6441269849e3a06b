"""The fast way in for a CSV file on PostgreSQL (rows read as lists of cells, COPY fed from a second thread,
generated client_ids in sorted batches) stores exactly what the way every database takes (rows as dicts,
bulk_create) stores, byte for byte, and rejects exactly the same rows with the same messages; the pieces it is
made of agree with the ones they replace (hypothesis)."""

from __future__ import annotations

import contextlib
import copy
import csv
import io
import itertools
import json
import os
import unicodedata
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from sipas.models import AuditEntry
from sipas.tabular import UnreadableFile, read_rows
from surveys.methodology.sipas_2017 import definition
from surveys.models import Campaign, Response, ResponseFlag
from surveys.services import import_copy, imports
from surveys.services.answers import QuestionSet, validate_answers
from surveys.services.import_copy import CopyFeeder
from surveys.services.imports import AnswerChecker, ResponseImportRejected, import_responses
from tests.surveys.test_import_responses import COLUMNS, QUESTIONS, file_rows

QUESTION_CODES = [q["code"] for q in definition()["questions"]]
SCALED = [q["code"] for q in definition()["questions"] if q["kind"] == "scale5"]
HEADER = ["agency_code", "respondent_type", "channel", "submitted_at", *QUESTION_CODES]
ID_HEADER = [*HEADER[:4], "client_id", *HEADER[4:]]
USUAL = {
    "TC1": "4", "TC2": "5", "TC3": "3", "HL_TC": "4", "TT1": "5", "CC1": "4", "KQ1": "2", "GY1": "3", "PA": "1",
    "GY2": "4", "HL_GY": "5", "HL": "4", "DL": "1", "TH": "3", "XL": "2", "NC": "NC3|NC5", "TUOI": "3",
    "YK": "Cán bộ nhiệt tình, nên thêm ghế chờ.",
}  # fmt: skip


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def postgres(db):
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI runs on PostgreSQL: the fast path's tests may not be skipped there")
        pytest.skip("needs PostgreSQL (DATABASE_URL): the fast path writes with COPY")


@pytest.fixture
def two_campaigns(postgres, make_survey_campaign) -> tuple[Campaign, Campaign]:
    """Two open campaigns over the same agencies (those of province 20): one for each way in."""
    return make_survey_campaign("fast"), make_survey_campaign("reference")


@pytest.fixture
def frozen_now(monkeypatch):
    """Both ways in read the same 'now' (the default submission time, and the day a row without one is on)."""
    moment = timezone.now().replace(microsecond=123456)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment


@contextlib.contextmanager
def reference_path():
    """The way every database and file takes: rows as dicts (sipas.tabular.read_rows), written with bulk_create."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(imports, "CSV_ROWS_AS_LISTS", False)
        patch.setattr(imports, "COPY_ON_POSTGRESQL", False)
        yield


def csv_bytes(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for cells in rows:
        writer.writerow([cells.get(column, "") for column in header] if isinstance(cells, dict) else cells)
    return out.getvalue().encode()


def outcome(campaign: Campaign, data: bytes):
    """What importing `data` did: the report, or the rejection (message, every error, their count)."""
    try:
        with transaction.atomic():
            report = import_responses(campaign=campaign, source=io.BytesIO(data), name="responses.csv")
    except ResponseImportRejected as rejected:
        return ("rejected", rejected.message, [e.as_dict() for e in rejected.errors], rejected.error_count)
    return ("imported", report.rows, report.imported, report.flagged, report.skipped)


def stored(campaign: Campaign, *, with_client_ids: bool = True) -> tuple[list, list]:
    """Every stored column of the campaign's responses in import order, answers as jsonb's own text (4 and 4.0
    differ there), and their quality flags; the creation times and the ids, which differ, are left out."""
    columns = ("agency_id, channel, respondent_type, answers::jsonb::text, submitted_at, duration_seconds, ip_hash, "
               "device_hash, form_serial, entered_by_id, excluded, decision_rule, decided_by_id, decided_at, "
               "link_id, service_point_id")  # fmt: skip
    if with_client_ids:
        columns = "client_id, " + columns
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM surveys_response WHERE campaign_id = %s ORDER BY id", [campaign.pk])
        responses = cursor.fetchall()
        cursor.execute(
            "SELECT r.client_id, f.rule, f.detail FROM surveys_responseflag f "
            "JOIN surveys_response r ON r.id = f.response_id WHERE r.campaign_id = %s ORDER BY r.id, f.rule",
            [campaign.pk],
        )
        flags = cursor.fetchall()
    if not with_client_ids:
        ids = list(Response.objects.filter(campaign=campaign).order_by("id").values_list("client_id", flat=True))
        position = {client_id: i for i, client_id in enumerate(ids)}
        flags = [(position[client_id], rule, detail) for client_id, rule, detail in flags]
    return responses, flags


def audit_of(campaign: Campaign) -> list[dict]:
    return list(
        AuditEntry.objects.filter(action="responses.imported", target_id=str(campaign.pk))
        .order_by("id")
        .values_list("data", flat=True)
    )


def forget(*campaigns: Campaign) -> None:
    """Between two hypothesis examples: the campaigns as they were before any import."""
    ResponseFlag.objects.filter(response__campaign__in=campaigns).delete()
    Response.objects.filter(campaign__in=campaigns).delete()
    AuditEntry.objects.filter(action="responses.imported").delete()


def assert_same_import(fast: Campaign, reference: Campaign, data: bytes, *, with_client_ids: bool = True):
    taken = outcome(fast, data)
    with reference_path():
        expected = outcome(reference, data)
    assert taken == expected
    assert stored(fast, with_client_ids=with_client_ids) == stored(reference, with_client_ids=with_client_ids)
    assert audit_of(fast) == audit_of(reference)
    return taken


# --- a clean file takes the fast path and stores what the reference path stores --------------------------------


def varied_rows(count: int, *, client_ids: bool = False) -> list[dict]:
    today = timezone.localdate()
    agencies = itertools.cycle(["06001", "06004", "20.SNV", "20.STP"])
    times = itertools.cycle([today.isoformat(), f"{today} 08:15", f"{today}T16:45:30", "2020-01-01", ""])
    rows = []
    for i in range(count):
        cells = {**USUAL, "agency_code": next(agencies), "respondent_type": ("individual", "organization")[i % 2],
                 "channel": ("", "paper", "enumerator")[i % 3], "submitted_at": next(times)}  # fmt: skip
        if i % 7 == 3:
            cells.update(dict.fromkeys(SCALED, "5"), PA="1", XL="")  # straight-lined: flagged
        if i % 5 == 1:
            cells.update(YK=f'Dòng {i}, "trích dẫn"\\ và\ttab\nxuống dòng', NC="NC9|NC1")
        if client_ids:
            cells["client_id"] = str(uuid.UUID(int=i + 1))
        rows.append(cells)
    return rows


@pytest.mark.postgres
def test_a_clean_csv_is_read_as_lists_and_written_through_the_copy_feeder(two_campaigns, monkeypatch):
    fast, _reference = two_campaigns
    monkeypatch.setattr(imports, "read_rows", lambda *a, **k: pytest.fail("read the CSV as dicts"))
    monkeypatch.setattr(imports, "_write_orm", lambda *a, **k: pytest.fail("wrote with bulk_create"))
    statements = []
    begin = CopyFeeder.begin
    monkeypatch.setattr(CopyFeeder, "begin", lambda self: statements.append(self.copy_sql) or begin(self))
    report = import_responses(campaign=fast, source=io.BytesIO(csv_bytes(varied_rows(12))), name="x.csv")
    assert (report.rows, report.imported) == (12, 12)
    assert len(statements) == 1 and statements[0].startswith('COPY "surveys_response"')


@pytest.mark.postgres
def test_the_fast_path_stores_byte_for_byte_what_the_reference_path_stores(two_campaigns, frozen_now, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 7)  # several COPY statements, flags after each
    fast, reference = two_campaigns
    taken = assert_same_import(fast, reference, csv_bytes(varied_rows(40, client_ids=True), ID_HEADER))
    assert taken == ("imported", 40, 40, 12, 0)  # 6 straight-lined, 8 outside the period, 2 both
    assert Response.objects.filter(campaign=fast).count() == 40


@pytest.mark.postgres
def test_without_client_ids_the_rows_and_flags_are_the_same_in_the_same_order(two_campaigns, frozen_now):
    fast, reference = two_campaigns
    taken = assert_same_import(fast, reference, csv_bytes(varied_rows(30)), with_client_ids=False)
    assert taken == ("imported", 30, 30, 9, 0)


@pytest.mark.postgres
def test_importing_a_file_with_client_ids_again_skips_the_same_rows_on_both_paths(two_campaigns, frozen_now):
    fast, reference = two_campaigns
    first = csv_bytes(varied_rows(6, client_ids=True), ID_HEADER)
    assert_same_import(fast, reference, first)
    grown = csv_bytes(varied_rows(9, client_ids=True), ID_HEADER)
    assert assert_same_import(fast, reference, grown) == ("imported", 9, 3, 1, 6)


@pytest.mark.postgres
def test_unusual_spellings_go_through_validate_answers_and_store_the_same(two_campaigns, frozen_now):
    fast, reference = two_campaigns
    nfd = unicodedata.normalize("NFD", "Thủ tục nhanh")
    unusual = {"TC1": " 4", "TC2": "04", "TT1": "+5", "NC": "NC5|NC3", "DL": " 2 ", "YK": f"  {nfd}\x07 "}
    rows = [
        {**USUAL, "agency_code": "06001", "respondent_type": "individual", **unusual},
        {**USUAL, "agency_code": "20.SNV", "respondent_type": "organization", "submitted_at": "2025-03-04T07:30:00Z"},
        {**USUAL, "agency_code": "06004", "respondent_type": "individual", "submitted_at": "2025-03-04 14:30+08:00"},
        ["06001", "individual", "", "", "5"],  # a short row: the missing cells are empty
        [],  # a blank row is skipped, the row numbers still count it
        ["", "", "", "   "],
    ]
    assert assert_same_import(fast, reference, csv_bytes(rows), with_client_ids=False)[:3] == ("imported", 4, 4)
    answers = Response.objects.filter(campaign=fast).order_by("id").values_list("answers", flat=True)
    assert answers[0]["TC1"] == 4 and answers[0]["NC"] == ["NC3", "NC5"] and answers[0]["YK"] == nfd


@pytest.mark.postgres
def test_bad_rows_are_reported_alike_and_nothing_is_written(two_campaigns, frozen_now, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 3)  # the bad rows come after COPY statements already ran
    fast, reference = two_campaigns
    rows = varied_rows(10)
    rows[7].update(TC1="6", GY2="4", PA="2")
    rows[9].update(agency_code="07000", respondent_type="citizen", channel="post", submitted_at="2025-02-30")
    taken = assert_same_import(fast, reference, csv_bytes(rows), with_client_ids=False)
    assert taken[0] == "rejected" and taken[3] == 7
    assert not Response.objects.exists() and not ResponseFlag.objects.exists()


@pytest.mark.postgres
def test_a_file_that_stops_being_utf8_cancels_the_copy_in_progress(two_campaigns, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 2)
    fast, _reference = two_campaigns
    data = csv_bytes(varied_rows(300)) + "06001,individual,,,4,,,,,,,,,,,,Hà\r\n".encode("latin-1")
    taken = outcome(fast, data)
    assert taken == ("rejected", "The CSV file is not UTF-8 text.", [], 0)
    assert not Response.objects.exists()
    assert Campaign.objects.filter(pk=fast.pk).exists()  # the connection is usable again


@pytest.mark.postgres
def test_generated_client_ids_are_random_v4_and_ascending_within_a_batch(two_campaigns):
    fast, _reference = two_campaigns
    import_responses(campaign=fast, source=io.BytesIO(csv_bytes(varied_rows(50))), name="x.csv")
    ids = list(Response.objects.filter(campaign=fast).order_by("id").values_list("client_id", flat=True))
    assert len(set(ids)) == 50 and {client_id.version for client_id in ids} == {4}
    assert ids == sorted(ids)  # 50 rows fit in the first batch


# --- hypothesis: random files, both ways in, the same outcome --------------------------------------------------

TODAY = timezone.localdate().isoformat()
AGENCIES = ["06001", "06004", "20.SNV", "20.STP"]
# Cells the import accepts, some in unusual spellings that validate_answers, not the table look-up, accepts.
TIMES = [TODAY, f"{TODAY} 09:05", f"{TODAY}T23:59:59", f"{TODAY} 10:00:00.5", "2020-01-01", "", "2025-03-04T07:30:00Z",
         f"{TODAY} 14:30:00+08:00", f" {TODAY}", "2024-02-29"]  # fmt: skip
ODD_ACCEPTED = {"scale5": [" 4", "4 ", "04", "+4", "٤"], "multi": ["NC5|NC3", "NC5|NC3|", " NC1", "NC2 | NC1"],
                "single": ["1 ", " 2"], "yes_no": [" 1"], "text": ["  có dấu cách  ", "a\x00b", "x\r\ny\tz"]}  # fmt: skip
# Cells it rejects.
BAD = {"agency_code": ["07000", "", "99999"], "respondent_type": ["citizen", ""], "channel": ["post", "fax"],
       "submitted_at": ["2025-13-01", f"{TODAY} 24:00", f"{TODAY} 23:59:60", "04/03/2025", "0000-01-01"]}  # fmt: skip
BAD_ANSWERS = ["0", "6", "x", "4.5", "NC3|NC3|NC1|NC2", "NC10", "9"]
TEXTS = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=8) | st.sampled_from(
    [unicodedata.normalize("NFD", "Hài lòng"), 'a "b", c\\d', "dòng\nhai", "\ufefftrước"]
)


def answer(code: str):
    question = next(q for q in definition()["questions"] if q["code"] == code)
    kind = question["kind"]
    if kind == "scale5":
        usual = st.sampled_from(["", "1", "2", "3", "4", "5"])
    elif kind == "multi":
        codes = [option["code"] for option in question["options"]]
        usual = st.lists(st.sampled_from(codes), min_size=1, max_size=3, unique=True).map("|".join)
    elif kind == "text":
        usual = st.just("") | TEXTS
    else:
        usual = st.sampled_from(["", *(option["code"] for option in question["options"])])
    odd = ODD_ACCEPTED.get(kind, ODD_ACCEPTED["single"])
    return st.one_of(usual, usual, usual, st.sampled_from(odd))


@st.composite
def response_rows(draw) -> dict:
    """A row the import accepts, in usual or unusual spellings."""
    row = {
        "agency_code": draw(st.sampled_from(AGENCIES)),
        "respondent_type": draw(st.sampled_from(["individual", "organization", "Individual", " organization"])),
        "channel": draw(st.sampled_from(["", "paper", "kiosk", "PAPER", " web"])),
        "submitted_at": draw(st.sampled_from(TIMES)),
    }
    row.update({code: draw(answer(code)) for code in QUESTION_CODES})
    row["TC1"] = row["TC1"] or "3"  # at least one answer
    if row["PA"].strip() != "1":  # the skip logic: follow-ups asked only after PA = 1, XL after TH = 3
        row.update(GY2="", GY3="", GY4="", HL_GY="")
    if row["TH"].strip() != "3":
        row["XL"] = ""
    if draw(st.integers(0, 4)) == 0:
        row.update(dict.fromkeys(SCALED, draw(st.sampled_from("45"))), PA="1", TH="3")  # straight-lined
    return row


@st.composite
def response_files(draw) -> tuple[bytes, bool]:
    """A file of 1 to 8 rows, mostly accepted; in some, a few bad cells, a repeated client_id, a question
    answered against the skip logic. Blank and short rows now and then."""
    client_ids = draw(st.booleans())
    rows = draw(st.lists(response_rows(), min_size=1, max_size=8))
    for number, row in enumerate(rows, start=1):
        spelled = draw(st.sampled_from([str, str, str.upper, lambda text: "{" + text + "}"]))
        row["client_id"] = spelled(str(uuid.UUID(int=number)))
    if draw(st.integers(0, 2)) == 0:  # a file with mistakes
        for _ in range(draw(st.integers(1, 3))):
            row = draw(st.sampled_from(rows))
            column = draw(st.sampled_from([*BAD, "answer", "hidden", "client_id"]))
            if column == "answer":
                row[draw(st.sampled_from([*SCALED, "NC", "DL"]))] = draw(st.sampled_from(BAD_ANSWERS))
            elif column == "hidden":
                row.update(PA="2", GY3="4")
            elif column == "client_id":
                row["client_id"] = draw(st.sampled_from(["", "12345", rows[0]["client_id"]]))
            else:
                row[column] = draw(st.sampled_from(BAD[column]))
    header = ID_HEADER if client_ids else HEADER
    lines = []
    for row in rows:
        cells = [row[column] for column in header]
        shape = draw(st.integers(0, 11))
        if shape == 0:
            lines.append([])  # a blank row before this one
        if shape == 1:
            lines.append(cells[: draw(st.integers(5, len(cells)))])  # a short row: the missing cells are empty
        else:
            lines.append(cells)
    return csv_bytes(lines, header), client_ids


@pytest.mark.postgres
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(file=response_files())
def test_random_files_have_the_same_outcome_on_both_paths(two_campaigns, frozen_now, file):
    fast, reference = two_campaigns
    data, client_ids = file
    with pytest.MonkeyPatch.context() as patch:
        for name in ("CHUNK_ROWS", "CLIENT_ID_CHUNK_ROWS", "ORM_BATCH", "BATCH_ROWS"):
            patch.setattr(imports, name, 3)  # several chunks, as in a large file
        forget(fast, reference)
        taken = assert_same_import(fast, reference, data, with_client_ids=client_ids)
    event(f"{taken[0]}{' with client_ids' if client_ids else ''}")


# --- the pieces: CSV rows as lists, the checker without the clean answers, the times of an hour seen ---------------


@st.composite
def csv_files(draw) -> bytes:
    names = draw(st.lists(st.sampled_from(["agency_code", "Respondent_Type", "tc1", "TC1", "", " yk ", "x"]), min_size=1, max_size=6))  # fmt: skip
    cell = st.text(alphabet=st.sampled_from(["a", " ", ",", '"', "\n", "\r", "\t", "ệ", "\ufeff"]), max_size=4)
    rows = draw(st.lists(st.lists(cell, max_size=len(names) + 2), max_size=6))
    out = io.StringIO()
    csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows([names, *rows])
    data = out.getvalue().encode()
    if draw(st.booleans()):
        data = b"\xef\xbb\xbf" + data
    if draw(st.integers(0, 5)) == 0:
        at = draw(st.integers(0, len(data)))
        data = data[:at] + b"\xff" + data[at:]
    return data


@pytest.mark.postgres
def test_clean_batches_are_checked_column_by_column_and_others_row_by_row(two_campaigns, frozen_now, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 4)
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    taken = []
    checked_batch = imports._ResponseFile._checked_batch
    monkeypatch.setattr(
        imports._ResponseFile,
        "_checked_batch",
        lambda self, *args: taken.append(checked_batch(self, *args)) or taken[-1],
    )
    rows = varied_rows(40)
    rows[5]["TC1"] = " 4"  # an unusual spelling: its batch goes row by row
    rows[16]["PA"] = "2"  # GY2 answered against the skip logic: validate_answers decides
    rows[30]["YK"] = "x" * (imports.TEXT_MAX + 1)
    fast, reference = two_campaigns
    outcome_taken = assert_same_import(fast, reference, csv_bytes(rows), with_client_ids=False)
    assert outcome_taken[0] == "rejected"
    by_column = [block for block in taken if block is not None]
    assert len(taken) == 10 and len(by_column) == 7  # the batches of rows 5, 16 and 30 went row by row
    forget(fast, reference)
    del rows[30]
    rows[16].update(GY2="", HL_GY="")
    assert assert_same_import(fast, reference, csv_bytes(rows), with_client_ids=False)[:3] == ("imported", 39, 39)


def test_batch_tables_are_none_when_a_condition_reads_a_multiple_choice_or_a_text():
    """A condition compares the clean value's text with the values that show a question: for a scale or a choice
    that is the cell itself, but not for a multiple choice (a list) or a trimmed text, so those go row by row."""
    by_code = {q.code: q for q in QUESTIONS}
    columns = {i: q.code for i, q in enumerate(QUESTIONS)}
    plain = QuestionSet.for_agency(QUESTIONS, "commune")
    assert AnswerChecker(plain, columns).batch_tables() is not None
    for source in ("NC", "YK"):
        follow_up = copy.copy(by_code["GY2"])
        follow_up.shown_if = {"question": source, "values": ["NC1"]}
        questions = QuestionSet(tuple(follow_up if q.code == "GY2" else q for q in plain.questions))
        assert AnswerChecker(questions, columns).batch_tables() is None


@settings(max_examples=300, deadline=None)
@given(data=csv_files())
def test_csv_rows_as_lists_hold_the_cells_read_rows_gives(data):
    def as_dicts(data):
        try:
            header, records = read_rows(io.BytesIO(data), name="f.csv")
            return header, list(records)
        except (UnreadableFile, csv.Error) as exc:
            return str(exc)

    def from_lists(data):
        try:
            header, records, keys = imports._read_file(io.BytesIO(data), name="f.csv")
            return header, [(n, {name: cells[key] for name, key in keys.items()}) for n, cells in records]
        except (UnreadableFile, csv.Error) as exc:
            return str(exc)

    assert from_lists(data) == as_dicts(data)


def sheet(**cells) -> dict:
    return {**dict.fromkeys(COLUMNS, ""), "tc1": "4", **cells}


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(record=file_rows(typed=False), kind=st.sampled_from(["commune", "department"]))
@example(record=sheet(yk="  Cán bộ nhiệt tình \n"), kind="commune")
@example(record=sheet(pa="2", gy2="4"), kind="department")
@example(record=sheet(th="2", xl="1", nc="NC5|NC3", xa1="5"), kind="department")
def test_the_checker_for_copy_reads_a_list_row_as_validate_answers_does(record, kind):
    questions = QuestionSet.for_agency(QUESTIONS, kind)
    keys = list(COLUMNS)
    as_list = [None, *(record[key] for key in keys)]  # a row as a list: its cells by position
    by_position = {position: COLUMNS[key] for position, key in enumerate(keys, start=1)}
    answers, text, errors, scaled = AnswerChecker(questions, by_position, with_answers=False).check(as_list)
    raw = {COLUMNS[key]: v for key, v in record.items() if not (v is None or (isinstance(v, str) and not v.strip()))}
    expected_answers, expected_errors = validate_answers(questions, raw, strict_skips=True)
    assert errors == expected_errors
    assert answers is None or answers == expected_answers  # None unless validate_answers had to look
    if not errors:
        assert json.loads(text) == expected_answers and text == json.dumps(
            json.loads(text), ensure_ascii=False, separators=(",", ":")
        )
        assert sorted(v for v in scaled if v is not None) == sorted(
            v for code, v in expected_answers.items() if code in questions.scaled_codes()
        )


NOW = timezone.now()


@st.composite
def time_cells(draw) -> list[str]:
    """Times as typed in a file, several in the same hour (valid or not: 24:00, minute 60, 29 February 2025)."""
    hours = st.sampled_from([f"{day}{sep}{hour}" for day in ("2025-03-04", "2024-02-29", "2025-02-29", "1975-05-13")
                             for sep in " T" for hour in ("00", "07", "23", "24")])  # fmt: skip
    prefixes = draw(st.lists(hours, min_size=1, max_size=3))
    minutes = st.sampled_from(["00", "30", "59", "60", "7"])
    rests = st.sampled_from(["", ":00", ":59", ":60", ":05.5", ":05.1234567", "Z", "+08:00", " "])
    in_an_hour = st.builds(
        lambda hour, minute, rest: f"{hour}:{minute}{rest}", st.sampled_from(prefixes), minutes, rests
    )
    dates = st.sampled_from(["2025-03-04", "2025-02-29", "2025-03-04x", " ", "2025-3-4", "0000-01-01"])
    return draw(st.lists(in_an_hour | in_an_hour | dates, min_size=1, max_size=12))


@settings(max_examples=200, deadline=None)
@given(cells=time_cells())
def test_times_checked_by_their_hour_give_what_a_full_parse_gives(cells):
    def read(for_copy: bool):
        state = imports._ResponseFile.__new__(imports._ResponseFile)
        state.for_copy, state.errors, state.error_count = for_copy, [], 0
        state.local, state.now, state.offsets, state.hours = timezone.get_default_timezone(), NOW, {}, {}
        results = [state._submitted_at(number, cell)[1:] for number, cell in enumerate(cells, start=2)]
        return results, state.errors

    assert read(for_copy=True) == read(for_copy=False)


def test_fresh_client_ids_are_version_4_unique_and_sorted_by_batch():
    ids = list(itertools.islice(imports._fresh_client_ids(), 1024 + 2048))
    assert len(set(ids)) == len(ids) and {uuid.UUID(i).version for i in ids} == {4}
    assert all(str(uuid.UUID(i)) == i for i in ids)
    assert ids[:1024] == sorted(ids[:1024]) and ids[1024:] == sorted(ids[1024:])


# --- the COPY feeder ----------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_constraint_violated_in_the_feeder_thread_is_raised_as_djangos_integrity_error(postgres):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE feeder_test (n int PRIMARY KEY)")
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        CopyFeeder(connection, "COPY feeder_test FROM STDIN") as feeder,
    ):
        feeder.begin()
        for n in (1, 2, 2):
            feeder.write(f"{n}\n")
        feeder.end()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM feeder_test")
        assert cursor.fetchone() == (0,)


@pytest.mark.postgres
def test_the_statement_after_a_copy_runs_before_wait_returns(postgres, monkeypatch):
    monkeypatch.setattr(import_copy, "BLOCK_BYTES", 4)  # many small blocks through the queue
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE feeder_test (n int)")
    with CopyFeeder(connection, "COPY feeder_test FROM STDIN", capacity=2) as feeder:
        for start in (0, 100):
            feeder.begin()
            for n in range(start, start + 50):
                feeder.write(f"{n}\n")
            feeder.end(("UPDATE feeder_test SET n = -n WHERE n >= %s", [start]))
        feeder.wait()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), sum(n) FROM feeder_test")
            assert cursor.fetchone() == (100, -sum(range(50)) - sum(range(100, 150)))


@pytest.mark.postgres
def test_an_error_in_the_main_thread_cancels_the_copy_and_leaves_the_connection_usable(postgres):
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE feeder_test (n int)")
    with (
        pytest.raises(ZeroDivisionError),
        transaction.atomic(),
        CopyFeeder(connection, "COPY feeder_test FROM STDIN") as feeder,
    ):
        feeder.begin()
        feeder.write("1\n")
        1 / 0  # noqa: B018
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM feeder_test")
        assert cursor.fetchone() == (0,)
