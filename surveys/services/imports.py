"""Importing responses from a spreadsheet (sipas-methodology.md, "Import contract"): the command
`import_responses CAMPAIGN FILE` and, later, an officer's upload run as a job.

All or nothing: the file is read once, streamed, and written inside one transaction; a file with any bad row
writes nothing and reports every bad row by spreadsheet row number (header = row 1), column and reason.

Speed (issue 7 asks for a million rows at ≥ 50,000 rows/s on PostgreSQL, in memory that does not grow with the
file; bench/README.md has the figures measured, and why PostgreSQL's own work on the responses table bounds them):
- AnswerChecker compiles, once per import and agency kind, the usual spelling of every accepted answer with
  its clean value and its JSON text, so a typical row is checked and serialised by dictionary look-ups. Any
  row it does not recognise at once goes through validate_answers itself, so the import accepts and rejects
  exactly what every other channel does (a hypothesis test compares the two on random rows).
- A CSV file's rows stay lists of cells (no dict per row); checked rows carry only what the writer needs. On
  PostgreSQL, without a client_id column, they are checked a batch at a time, column by column
  (_ResponseFile.checked_blocks): the same look-ups run by map() over a column instead of Python code per row;
  a batch with anything unusual in it goes row by row.
- On PostgreSQL the checked rows feed COPY from a second thread (surveys.services.import_copy), a chunk per
  statement, so the database stores one chunk while Python reads the next. The import locks the campaign's
  surveyed agencies and checks every row's agency itself, so the database skips its per-row participant key
  check for these rows (surveys migration 0009). Answers are stored as `json`, which PostgreSQL only checks
  rather than converting to jsonb. Generated client_ids come in sorted batches, so they enter their unique
  index side by side. Elsewhere
  (SQLite) rows are written with bulk_create in batches; tests/surveys/test_import_fast_path.py checks that
  both store the same rows and reject the same ones.
"""

from __future__ import annotations

import csv
import datetime
import itertools
import json
import operator
import os
import re
import uuid
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import ParseError

from django.db import IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from sipas.audit import record_audit
from sipas.tabular import RowError, UnreadableFile, cell_text, normalise_header, read_csv_lists, read_rows
from surveys.models import (
    Campaign,
    CampaignState,
    Channel,
    FlagRule,
    QuestionKind,
    RespondentType,
    Response,
    ResponseFlag,
)
from surveys.services.answers import TEXT_MAX, QuestionSet, validate_answers
from surveys.services.import_copy import Block, ResponseCopyWriter, format_rows
from surveys.services.quality import STRAIGHT_LINE_MIN_ANSWERS

FIXED_COLUMNS = ("agency_code", "respondent_type", "channel", "submitted_at", "client_id")
REQUIRED_COLUMNS = ("agency_code", "respondent_type")
DEFAULT_CHANNEL = Channel.PAPER
IMPORTABLE_STATES = (CampaignState.OPEN, CampaignState.CLOSED)  # as for paper entry (campaigns.accepts)
MAX_REPORTED_ERRORS = 10_000  # a file that is wrong throughout is reported in full up to here, then counted
CHUNK_ROWS = 50_000  # rows per COPY on PostgreSQL (their foreign keys are checked at the end of each)
BATCH_ROWS = 2_500  # rows checked at a time by checked_blocks (a batch stays within the caches)
CLIENT_ID_CHUNK_ROWS = 5_000  # rows held in memory while their client_ids are looked up
ORM_BATCH = 1_000
PROGRESS_EVERY = 10_000  # rows between two calls of on_progress
FRESH_ID_BATCH = 1 << 16  # client_ids generated, and sorted, at a time
MULTI_SPELLINGS_MAX = 20_000  # spellings of a multiple choice compiled in advance; rarer ones are still valid

# The fast ways in, on by default; tests turn them off to compare with the way every database and file takes.
CSV_ROWS_AS_LISTS = True  # CSV rows read as lists of cells rather than dicts
COPY_ON_POSTGRESQL = True  # rows written with COPY from a second thread rather than with bulk_create

_BLANK = ()  # a blank cell's entry in a table of accepted cells: falsy, so filter(None, …) drops it


class ResponseImportRejected(Exception):
    """Nothing was imported. `message` says why in a sentence; `errors` lists the bad rows (row, column,
    reason) in file order, at most MAX_REPORTED_ERRORS of them; `error_count` counts them all."""

    def __init__(self, message: str, errors: list[RowError] | None = None, error_count: int | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.error_count = len(self.errors) if error_count is None else error_count


@dataclass
class ImportReport:
    rows: int = 0  # data rows read
    imported: int = 0
    flagged: int = 0  # imported responses with at least one quality flag
    skipped: int = 0  # rows whose client_id was already stored (a file imported again)


class AnswerChecker:
    """validate_answers(questions, answered cells, strict_skips=True) over the question columns of one file,
    compiled once. `columns` maps the keys of the file's question cells in a row (a normalised header for a
    dict, a position for a list) to question codes; `typed` says the cells may be numbers (a workbook) rather
    than only text (CSV). With `with_answers=False` check() leaves out the clean answers (None) and gives only
    their JSON text, all that COPY needs.

    check() looks every cell up in a table of the usual spelling of each accepted answer (C-level dictionary
    look-ups, no Python loop over the cells of a CSV row); a row with any other cell, or against the skip
    logic, is handed to validate_answers itself. The JSON text lists the answers in jsonb's own key order, the
    order in which answers written through Django (cast to jsonb on the way in) are stored: the answers column
    is `json`, kept as written, and an imported row's text is then the same as any other's."""

    def __init__(
        self, questions: QuestionSet, columns: Mapping[Any, str], *, typed: bool = False, with_answers: bool = True
    ):
        self.questions = questions
        self.typed = typed
        self.with_answers = with_answers
        by_code = questions.by_code
        self.codes = dict(columns)
        self.tables: list[dict[Any, Any]] = []  # one per question column, in jsonb's order of their codes
        self.text_at: list[tuple[int, str, str]] = []  # (position in tables, code, JSON prefix) of free text
        ordered = sorted(columns.items(), key=lambda column: _jsonb_order(column[1]))
        for position, (_key, code) in enumerate(ordered):
            question = by_code.get(code)
            prefix = json.dumps(code, ensure_ascii=False) + ":"
            if question is not None and question.kind == QuestionKind.TEXT:
                self.text_at.append((position, code, prefix))
                self.tables.append(dict(_BLANKS))  # any other text is looked at in check()
            else:  # a question not asked of this kind of agency accepts only blanks
                self.tables.append(_accepted_cells(question, prefix) if question else dict(_BLANKS))
        self.ordered_keys = [key for key, _code in ordered]
        self.cells = _getter(self.ordered_keys)
        at = {code: position for position, (_key, code) in enumerate(ordered)}
        self.conditions = [
            (at[q.code], at.get(q.shown_if["question"]), frozenset(q.shown_if["values"]))
            for q in questions.questions
            if q.shown_if and q.code in at
        ]
        self.scaled_codes = [code for code in questions.scaled_codes() if code in at]

    def check(self, record) -> tuple[dict[str, Any] | None, str, dict[str, str], tuple]:
        """(clean answers, the same as JSON text, errors by question code, the scaled answers) for one row.
        The scaled answers may include None for answers that are not scaled."""
        values = self.cells(record)
        if self.typed:  # a whole number typed in a workbook reads as its text; other numbers take the general path
            values = [str(value) if value.__class__ is int else value for value in values]
        found = list(map(dict.get, self.tables, values))
        if None in found:  # a cell not in its table: free text, or a spelling left to validate_answers
            for position, code, prefix in self.text_at:
                if found[position] is None:
                    found[position] = entry = _text_entry(values[position], code, prefix)
                    if entry is None:
                        return self.reference(record)
            if None in found:
                return self.reference(record)
        entries = list(filter(None, found))  # drops the blanks (an empty tuple)
        if not entries:
            return ({} if self.with_answers else None), "{}", {}, ()
        for position, source, values_shown in self.conditions:
            if found[position]:
                shown = found[source] if source is not None else _BLANK
                if str(shown[1] if shown else "") not in values_shown:
                    return self.reference(record)
        codes, clean, members, scaled = zip(*entries, strict=True)
        answers = dict(zip(codes, clean, strict=True)) if self.with_answers else None
        return answers, "{" + ",".join(members) + "}", {}, scaled

    def batch_tables(self) -> _BatchTables | None:
        """The same tables for checking a batch of rows column by column (_ResponseFile.checked_blocks), or None
        when this checker's skip logic depends on an answer that is not a plain value (then rows go one by one).
        """
        text = {position for position, _code, _prefix in self.text_at}
        for _position, source, _values in self.conditions:
            if source is not None and (
                source in text or any(entry and entry[1].__class__ is list for entry in self.tables[source].values())
            ):  # a condition reads the clean value, which for these is not the cell's text
                return None
        members = [
            {cell: (entry[2].replace("\\", "\\\\") + "," if entry else "") for cell, entry in table.items()}
            for table in self.tables
        ]
        hidden: list[tuple[int, int | None, dict[Any, bool] | None]] = []  # per condition: the cells of the
        for position, source, values in self.conditions:  # question it depends on that leave this one hidden
            if source is not None:
                hidden.append((position, source, {cell: (cell if member else "") not in values
                                                  for cell, member in members[source].items()}))  # fmt: skip
            elif "" not in values:  # it depends on a question not in the file: always hidden
                hidden.append((position, None, None))
        scaled = [
            (position, {cell: (1 << entry[3] if entry else 0) for cell, entry in table.items()})
            for position, table in enumerate(self.tables)
            if position not in text and any(entry and entry[3] is not None for entry in table.values())
        ]
        return _BatchTables(
            keys=tuple(self.ordered_keys), members=members, text_at=list(self.text_at), scaled=scaled,
            conditions=hidden,
        )  # fmt: skip

    def reference(self, record) -> tuple[dict[str, Any], str, dict[str, str], tuple]:
        """The same result from validate_answers itself (a blank cell is an unanswered question)."""
        raw = {}
        for key, code in self.codes.items():
            value = record[key]
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            raw[code] = value
        answers, errors = validate_answers(self.questions, raw, strict_skips=True)
        if errors:
            return answers, "", errors, ()
        scaled = tuple(answers[code] for code in self.scaled_codes if code in answers)
        return answers, json.dumps(answers, ensure_ascii=False, separators=(",", ":")), errors, scaled


def _text_entry(value: Any, code: str, prefix: str) -> tuple | None:
    """A free-text cell's entry (or _BLANK for spaces only), or None when validate_answers must look at it."""
    if value.__class__ is not str:
        if value.__class__ is not int:
            return None
        value = str(value)
    if _CONTROL_CHARACTERS.search(value):  # validate_answers drops them; rare enough to leave to it
        return None
    text = value.strip()
    if len(text) > TEXT_MAX:
        return None
    if not text:
        return _BLANK
    return code, text, prefix + json.dumps(text, ensure_ascii=False), None


def _jsonb_order(code: str) -> tuple[int, bytes]:
    """How jsonb orders the keys of an object: shorter first, then bytewise."""
    encoded = code.encode()
    return len(encoded), encoded


_BLANKS = {"": _BLANK, None: _BLANK}
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f]")


def _getter(keys: list) -> Callable[[Any], tuple]:
    if not keys:
        return lambda record: ()
    if len(keys) == 1:
        return lambda record: (record[keys[0]],)
    return operator.itemgetter(*keys)


def _accepted_cells(question, prefix: str) -> dict[Any, Any]:
    """The usual spelling of each accepted answer → (code, clean value, JSON member, scaled value or None).
    Other spellings that validate_answers accepts (" 4", "NC5|NC3|") are not listed: they take the general
    path, as does anything it rejects."""
    table: dict[Any, Any] = dict(_BLANKS)
    code = question.code
    if question.kind == QuestionKind.SCALE5:
        table.update({str(n): (code, n, f"{prefix}{n}", n) for n in range(1, 6)})
        return table
    allowed = question.option_codes()
    plain = [option for option in allowed if option and option == option.strip() and "|" not in option]
    if question.kind != QuestionKind.MULTI:
        table.update(
            {option: (code, option, prefix + json.dumps(option, ensure_ascii=False), None) for option in plain}
        )
        return table
    longest = min(question.max_choices or len(plain), len(plain))
    for length in range(1, longest + 1):
        spellings = list(itertools.permutations(plain, length))
        if len(table) + len(spellings) > MULTI_SPELLINGS_MAX:
            break
        for chosen in spellings:
            clean = [option for option in allowed if option in set(chosen)]
            member = prefix + json.dumps(clean, ensure_ascii=False, separators=(",", ":"))
            table["|".join(chosen)] = (code, clean, member, None)
    return table


@dataclass
class _BatchTables:
    """An AnswerChecker's tables for a batch of rows: per question column (in jsonb's order of the codes) the
    usual spellings → the answer's JSON member and a comma ("" for a blank cell; escaped for COPY's text
    format), the free text columns, the scaled columns with their spellings → 1 << the level (0 for a blank),
    and the skip logic: (position, position of the question it depends on or None, and then that question's
    usual spellings → whether they leave this question hidden)."""

    keys: tuple
    members: list[dict[Any, str]]
    text_at: list[tuple[int, str, str]]
    scaled: list[tuple[int, dict[Any, int]]]
    conditions: list[tuple[int, int | None, dict[Any, bool] | None]]


_RESPONDENT_TYPES = frozenset(RespondentType.values)
_LEVELS = {1 << level: level for level in range(1, 6)}  # a row whose scaled answers are all one level
_TABS, _OPEN, _CLOSE = itertools.repeat("\t"), itertools.repeat("\t{"), itertools.repeat("}\t")
_ALL_BUT_LAST = itertools.repeat(slice(0, -1))
_HOUR_SLICES = itertools.repeat(slice(0, 13))  # "YYYY-MM-DD HH": a time's key in _ResponseFile.hours


@dataclass(frozen=True)
class _Agency:
    pk: int
    kind: str


# One checked row: (row number, agency id, client id, channel, respondent type, clean answers, their JSON
# text, submitted at (naive: local time), the same as ISO text with its offset, quality flags as (rule, detail)
# pairs). Rows written with COPY may carry None for the clean answers and the naive time.
_Row = tuple[int, int, str, str, str, dict | None, str, datetime.datetime | None, str, list]


class _ResponseFile:
    """The state of one import: the compiled checks, the errors so far and the counts."""

    def __init__(
        self,
        *,
        campaign: Campaign,
        header: list[str],
        typed: bool,
        acting_user,
        on_progress,
        keys: Mapping[str, Any] | None = None,
        for_copy: bool = False,
    ):
        """`keys` gives the key of each column's cell in a row (default: rows are dicts keyed by the normalised
        header); `for_copy` says the rows are written with COPY, which needs the answers and times only as
        text: the checked rows then carry None for the clean answers and the naive time."""
        self.campaign = campaign
        self.entered_by = acting_user if acting_user is not None and acting_user.is_authenticated else None
        self.on_progress = on_progress
        self.for_copy = for_copy
        self.report = ImportReport()
        self.errors: list[RowError] = []
        self.error_count = 0
        self.local = timezone.get_default_timezone()
        self.now = timezone.now()
        self.offsets: dict[tuple[datetime.date, int], str] = {}
        self.hours: dict[str, tuple[datetime.date, int]] = {}  # "YYYY-MM-DD HH" → its key in offsets
        self.straight_details: dict[tuple[int, int], str] = {}
        self.keys = keys if keys is not None else {name: name for name in header if name}
        questions = list(campaign.methodology.questions.select_related("factor"))
        columns = {self.keys[name]: code for name, code in self._read_header(header, questions).items()}
        self.has = {key: key in header for key in FIXED_COLUMNS}
        self.agencies = {
            code: _Agency(pk, kind)
            for code, pk, kind in campaign.participants.values_list("agency__code", "agency_id", "agency__kind")
        }
        kinds = {agency.kind for agency in self.agencies.values()}
        options = {"typed": typed, "with_answers": not for_copy}
        self.checkers = {
            kind: AnswerChecker(QuestionSet.for_agency(questions, kind), columns, **options) for kind in kinds
        }
        # For a row whose agency is wrong, so that its answers are still checked and reported.
        self.any_checker = AnswerChecker(QuestionSet(tuple(questions)), columns, **options)
        self.fresh_ids = _fresh_client_ids()

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def _read_header(self, header: list[str], questions) -> dict[str, str]:
        """The question columns of the file (key → code); problems with the header are errors on row 1."""
        codes = {normalise_header(q.code): q.code for q in questions}
        columns: dict[str, str] = {}
        seen: set[str] = set()
        for key in header:
            if not key:
                continue
            if key in seen:
                self.error(1, key, _("This column appears more than once."))
                continue
            seen.add(key)
            if key in codes:
                columns[key] = codes[key]
            elif key not in FIXED_COLUMNS:
                self.error(
                    1,
                    key,
                    _("Unknown column: use %(fixed)s or a question code of %(methodology)s.")
                    % {"fixed": ", ".join(FIXED_COLUMNS), "methodology": self.campaign.methodology.code},
                )
        missing = [key for key in REQUIRED_COLUMNS if key not in seen]
        for key in missing:
            self.error(1, key, _("This column is required."))
        if missing:
            self.reject()
        return columns

    def reject(self) -> None:
        self.errors.sort(key=lambda error: (error.row, error.column))
        raise ResponseImportRejected(
            _("Problems found in the file: %(count)s.") % {"count": self.error_count},
            self.errors,
            self.error_count,
        )

    def checked_rows(self, records: Iterator[tuple[int, Any]]) -> Iterator[_Row]:
        """The valid rows of the file, ready to write; the bad ones are recorded as errors."""
        agencies, checkers, any_checker, has, key = self.agencies, self.checkers, self.any_checker, self.has, self.keys
        report, on_progress, error = self.report, self.on_progress, self.error
        first_day, last_day = self.campaign.period_start, self.campaign.period_end
        fresh_ids = self.fresh_ids
        channels = self._channels()  # the usual spellings, looked up at once
        now = (self.now, self.now.isoformat(), timezone.localdate(self.now))
        agency_key, type_key = key["agency_code"], key["respondent_type"]
        channel_key = key["channel"] if has["channel"] else None
        time_key = key["submitted_at"] if has["submitted_at"] else None
        id_key = key["client_id"] if has["client_id"] else None
        for number, record in records:
            report.rows += 1
            if on_progress is not None and report.rows % PROGRESS_EVERY == 0:
                on_progress(report.rows)
            bad = self.error_count
            agency = agencies.get(record[agency_key]) or self._agency(number, record[agency_key])
            respondent_type = record[type_key]
            if respondent_type not in _RESPONDENT_TYPES:
                respondent_type = self._respondent_type(number, respondent_type)
            channel = DEFAULT_CHANNEL
            if channel_key is not None:
                channel = channels.get(record[channel_key]) or self._channel(number, record[channel_key])
            submitted, submitted_iso, day = now
            if time_key is not None and record[time_key] not in (None, ""):
                submitted, submitted_iso, day = self._submitted_at(number, record[time_key])
            client_id = self._client_id(number, record[id_key]) if id_key is not None else next(fresh_ids)
            checker = checkers[agency.kind] if agency is not None else any_checker
            answers, answers_json, answer_errors, scaled = checker.check(record)
            for code, message in answer_errors.items():
                error(number, code, message)
            if answers_json == "{}":
                error(number, "", _("Please answer at least one question."))
            if self.error_count != bad:
                continue
            flags = []
            count = len(scaled) - scaled.count(None)
            if count >= STRAIGHT_LINE_MIN_ANSWERS:
                levels = set(scaled)
                levels.discard(None)
                if len(levels) == 1:
                    flags.append((FlagRule.STRAIGHT_LINED, self._straight_detail(count, levels.pop())))
            if not first_day <= day <= last_day:
                flags.append((FlagRule.OUTSIDE_PERIOD, day.isoformat()))
            yield (number, agency.pk, client_id, channel, respondent_type, answers, answers_json, submitted,
                   submitted_iso, flags)  # fmt: skip

    def lock_participants(self) -> None:
        """For COPY, inside the import's transaction: lock the campaign's surveyed agencies until the commit (FOR
        KEY SHARE, the lock a foreign key check takes: none of them can stop being surveyed meanwhile), keep only
        the agencies still surveyed, and tell the participant key's trigger (surveys migration 0009) that this
        transaction checks the agencies of its rows of this campaign itself, which checked_rows and
        checked_blocks do. unlock_participants() ends that."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT agency_id FROM surveys_campaignagency WHERE campaign_id = %s FOR KEY SHARE", [self.campaign.pk]
            )
            locked = {agency_id for (agency_id,) in cursor.fetchall()}
            cursor.execute("SELECT set_config('sipas.participants_locked', %s, true)", [str(self.campaign.pk)])
        for code in [code for code, agency in self.agencies.items() if agency.pk not in locked]:
            del self.agencies[code]

    def unlock_participants(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('sipas.participants_locked', '', true)")

    def _channels(self) -> dict[Any, str]:
        """The usual spellings of the channels the campaign accepts, looked up at once."""
        channels = {channel: channel for channel in self.campaign.channels}
        if DEFAULT_CHANNEL in channels:
            channels.update({"": DEFAULT_CHANNEL, None: DEFAULT_CHANNEL})
        return channels

    def checked_blocks(self, records: Iterator[tuple[int, list]]) -> Iterator[Block]:
        """checked_rows for COPY, a batch of BATCH_ROWS rows at a time, each batch as the COPY text of its valid
        rows (import_copy.Block). A batch in which every cell is a usual spelling (AnswerChecker's tables), every
        agency, respondent type and channel is one looked up at once and every time falls in an hour already
        seen is checked column by column: a dictionary look-up per cell, run by map() over a column rather than
        by Python code per row. Any other batch goes through checked_rows row by row, so both accept, reject,
        flag and store exactly the same (tests/surveys/test_import_fast_path.py). Rows must be lists of cells
        (read_csv_lists) from a file without a client_id column."""
        tables = None
        if not self.has["client_id"] and not self.any_checker.typed:
            kinds = [checker.batch_tables() for checker in self.checkers.values()]
            if kinds and None not in kinds and all(other == kinds[0] for other in kinds[1:]):
                tables = kinds[0]  # the same for every kind of agency surveyed
        agencies = {code: f"{agency.pk}\t" for code, agency in self.agencies.items()}  # as COPY text
        channels = self._channels()
        while True:
            batch = list(itertools.islice(records, BATCH_ROWS))
            if not batch:
                return
            block = self._checked_batch(batch, tables, agencies, channels) if tables is not None else None
            if block is None:
                block = format_rows(self.checked_rows(iter(batch)))
            yield block
            if len(batch) < BATCH_ROWS:
                return

    def _checked_batch(
        self, batch: list[tuple[int, list]], tables: _BatchTables, agency_fields: dict, usual_channels: dict
    ) -> Block | None:
        """One batch checked column by column (checked_blocks), or None if any of its rows needs checked_rows.
        `agency_fields`: each surveyed agency's code → its id as COPY text; `usual_channels`: _channels()."""
        count = len(batch)
        columns = list(zip(*map(operator.itemgetter(1), batch), strict=False))  # rows are padded to the header
        key = self.keys
        agencies = list(map(agency_fields.get, columns[key["agency_code"]]))
        if None in agencies:
            return None
        kinds = columns[key["respondent_type"]]
        if not _RESPONDENT_TYPES.issuperset(kinds):
            return None
        channels: Any = itertools.repeat(DEFAULT_CHANNEL, count)
        if self.has["channel"]:
            channels = list(map(usual_channels.get, columns[key["channel"]]))
            if None in channels:
                return None
        times = self._batch_times(columns[key["submitted_at"]] if self.has["submitted_at"] else None, count)
        if times is None:
            return None
        stamps, days = times
        cells_of = [columns[k] for k in tables.keys]
        text_at = {position for position, _code, _prefix in tables.text_at}
        try:  # a cell that is not a usual spelling raises KeyError
            members = [
                list(map(table.get if position in text_at else table.__getitem__, cells))
                for position, (table, cells) in enumerate(zip(tables.members, cells_of, strict=True))
            ]
        except KeyError:
            return None
        for position, code, prefix in tables.text_at:
            cells, found = cells_of[position], members[position]
            for row in [row for row, member in enumerate(found) if member is None]:
                entry = _text_entry(cells[row], code, prefix)
                if entry is None:  # validate_answers must look at it
                    return None
                found[row] = entry[2].replace("\\", "\\\\") + "," if entry else ""
        for position, source, hidden in tables.conditions:  # a question answered that its condition hides
            if (
                any(members[position])
                if hidden is None
                else any(itertools.compress(map(hidden.__getitem__, cells_of[source]), members[position]))
            ):
                return None
        bodies = list(map("".join, zip(*members, strict=True)))  # each member ends with a comma
        if "" in bodies:  # a row with no answer: checked_rows reports it
            return None
        ids = list(itertools.islice(self.fresh_ids, count))
        by_row: dict[int, list[tuple[str, str, str]]] = {}
        if tables.scaled:
            levels = list(map(tables.scaled[0][1].get, cells_of[tables.scaled[0][0]]))
            for position, table in tables.scaled[1:]:
                levels = list(map(operator.or_, levels, map(table.get, cells_of[position])))
            scaled_cells = [cells_of[position] for position, _table in tables.scaled]
            for row in itertools.compress(range(count), map(_LEVELS.__contains__, levels)):
                answered = sum(1 for cells in scaled_cells if cells[row])
                if answered >= STRAIGHT_LINE_MIN_ANSWERS:
                    detail = self._straight_detail(answered, _LEVELS[levels[row]])
                    by_row[row] = [(ids[row], FlagRule.STRAIGHT_LINED, detail)]
        first_day, last_day = self.campaign.period_start, self.campaign.period_end
        for row, day in enumerate(days):
            if not first_day <= day <= last_day:
                by_row.setdefault(row, []).append((ids[row], FlagRule.OUTSIDE_PERIOD, day.isoformat()))
        bodies = map(operator.getitem, bodies, _ALL_BUT_LAST)  # the last comma
        fields = zip(agencies, ids, _TABS, channels, _TABS, kinds, _OPEN, bodies, _CLOSE, stamps, strict=False)
        self._count_rows(count)
        return Block(
            lines=list(map("".join, fields)), rows=count, flagged=len(by_row),
            flags=[flag for row in sorted(by_row) for flag in by_row[row]],
        )  # fmt: skip

    def _batch_times(self, column: tuple | None, count: int) -> tuple[Any, Any] | None:
        """The submission times of a batch as COPY text and their local days (as _submitted_at gives them), or
        None if one of them is not a date (checked_rows reports it)."""
        if column is None:
            return itertools.repeat(self.now.isoformat(), count), itertools.repeat(timezone.localdate(self.now), count)
        hours, offsets, in_range = self.hours, self.offsets, _LOCAL_TIME_IN_RANGE.fullmatch
        if None not in column:  # usually every time is in an hour seen before: look them all up at once
            seen = list(map(hours.get, map(operator.getitem, column, _HOUR_SLICES)))
            if None not in seen and all(map(in_range, column)) and min(map(len, column)) > 10:
                found = list(map(offsets.get, seen))
                if None not in found:
                    return list(map(operator.add, column, found)), list(map(operator.itemgetter(0), seen))
        now = (self.now.isoformat(), timezone.localdate(self.now))
        stamps, days = [], []
        for value in column:
            if value is None or not value.strip():
                stamp, day = now
            else:
                hour = hours.get(value[:13])
                offset = offsets.get(hour) if hour is not None and in_range(value) else None
                if offset is not None:
                    stamp, day = (value if len(value) > 10 else value + "T00:00") + offset, hour[0]
                elif _parse_time(value, self.local, offsets) is None:
                    return None
                else:
                    _moment, stamp, day = self._submitted_at(0, value)
            stamps.append(stamp)
            days.append(day)
        return stamps, days

    def _count_rows(self, count: int) -> None:
        """checked_rows' count of rows read and its calls of on_progress, for a batch."""
        before = self.report.rows
        self.report.rows += count
        if self.on_progress is not None:
            for done in range((before // PROGRESS_EVERY + 1) * PROGRESS_EVERY, self.report.rows + 1, PROGRESS_EVERY):
                self.on_progress(done)

    def _agency(self, number: int, value: Any) -> _Agency | None:
        code = cell_text(value)
        agency = self.agencies.get(code)
        if agency is None:
            if not code:
                self.error(number, "agency_code", _("Required: this cell may not be empty."))
            else:
                self.error(
                    number, "agency_code", _("%(code)s is not an agency surveyed in this campaign.") % {"code": code}
                )
        return agency

    def _respondent_type(self, number: int, value: Any) -> str:
        text = cell_text(value).lower()
        if text in RespondentType.values:
            return text
        if not text:
            self.error(number, "respondent_type", _("Required: this cell may not be empty."))
        else:
            self.error(number, "respondent_type", _("Write individual or organization."))
        return ""

    def _channel(self, number: int, value: Any) -> str:
        text = cell_text(value).lower() or DEFAULT_CHANNEL
        if text in self.campaign.channels:
            return text
        if text in Channel.values:
            self.error(
                number,
                "channel",
                _("This campaign does not accept responses through the channel %(channel)s.") % {"channel": text},
            )
        else:
            self.error(number, "channel", _("Write one of %(choices)s.") % {"choices": ", ".join(Channel.values)})
        return ""

    def _submitted_at(self, number: int, value: Any) -> tuple[datetime.datetime | None, str, datetime.date]:
        """ISO 8601 date or date and time; without a time zone it is local time (Asia/Ho_Chi_Minh). For COPY, a
        time in an hour already seen is only checked by a pattern (the rest was checked on its first row) and
        its naive time is left out (None)."""
        if self.for_copy and value.__class__ is str:
            hour = self.hours.get(value[:13])
            if hour is not None and _LOCAL_TIME_IN_RANGE.fullmatch(value):
                offset = self.offsets.get(hour)
                if offset is not None:
                    return None, (value if len(value) > 10 else value + "T00:00") + offset, hour[0]
        if isinstance(value, str) and not value.strip():
            return self.now, self.now.isoformat(), timezone.localdate(self.now)
        parsed = _parse_time(value, self.local, self.offsets)
        if parsed is None:
            self.error(
                number,
                "submitted_at",
                _("Write a date as YYYY-MM-DD, or a date and time as YYYY-MM-DD HH:MM (ISO 8601)."),
            )
            return self.now, "", self.now.date()
        moment = parsed[0]
        if self.for_copy and value.__class__ is str and moment.tzinfo is None and _LOCAL_TIME.fullmatch(value):
            if len(self.hours) > 100_000:
                self.hours.clear()
            self.hours[value[:13]] = (parsed[2], moment.hour)
        return parsed

    def _client_id(self, number: int, value: Any) -> str:
        text = cell_text(value)
        try:
            return str(uuid.UUID(text))
        except ValueError:
            if not text:
                self.error(number, "client_id", _("Required in a client_id column: give every row its own id."))
            else:
                self.error(number, "client_id", _("Write a UUID such as 6f1c2a9e-3b1d-4f7a-9c55-0d2e8b7a4c10."))
            return ""

    def _straight_detail(self, count: int, value: int) -> str:
        detail = self.straight_details.get((count, value))
        if detail is None:  # the wording of surveys.services.quality.flags_for
            detail = _("%(count)s answers, all %(value)s") % {"count": count, "value": value}
            self.straight_details[(count, value)] = detail
        return detail

    def new_rows(self, chunk: list[_Row], stored_before: int) -> list[_Row]:
        """Leave out the rows whose client_id is already stored (a file imported again); a client_id used twice
        in the file is an error. `stored_before`: the highest response id when the import started."""
        first_row: dict[str, int] = {}
        stored: dict[str, int] = {}
        ids = [row[2] for row in chunk]
        for start in range(0, len(ids), 5_000):
            stored.update(
                (str(client_id), pk)
                for client_id, pk in Response.objects.filter(
                    campaign=self.campaign, client_id__in=ids[start : start + 5_000]
                ).values_list("client_id", "id")
            )
        fresh = []
        for row in chunk:
            number, client_id = row[0], row[2]
            if client_id in first_row:
                message = _("This client_id is also used on row %(row)s.") % {"row": first_row[client_id]}
                self.error(number, "client_id", message)
            elif client_id in stored and stored[client_id] > stored_before:
                self.error(number, "client_id", _("This client_id is also used on an earlier row."))
            elif client_id in stored:
                self.report.skipped += 1
            else:
                fresh.append(row)
            first_row.setdefault(client_id, number)
        return fresh


# The usual spellings of a local date or date and time, which PostgreSQL reads the same way once the offset is
# appended: they skip building an aware datetime and formatting it again, the costliest step of a row.
_LOCAL_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?)?")
# The same with minutes and seconds in range: with a date and hour known to be valid, such a time is valid too.
_LOCAL_TIME_IN_RANGE = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T][0-9]{2}:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)?"
)


def _parse_time(value: Any, local, offsets: dict) -> tuple[datetime.datetime, str, datetime.date] | None:
    """(the moment, as ISO text with its offset, its local date), or None if it is not a date. The moment is
    naive (local time) when the text had no offset; `offsets` caches the local offset per date and hour."""
    if isinstance(value, str) and _LOCAL_TIME.fullmatch(value):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:  # e.g. month 13
            return None
        day = moment.date()
        offset = offsets.get((day, moment.hour))
        if offset is None:
            if len(offsets) > 100_000:
                offsets.clear()
            delta = local.utcoffset(moment)
            sign, minutes = ("-" if delta < datetime.timedelta(0) else "+"), abs(delta) // datetime.timedelta(minutes=1)
            offset = offsets[(day, moment.hour)] = f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
        return moment, (value if len(value) > 10 else value + "T00:00") + offset, day
    if isinstance(value, datetime.datetime):
        moment = value
    elif isinstance(value, datetime.date):
        moment = datetime.datetime.combine(value, datetime.time())
    else:
        try:
            moment = datetime.datetime.fromisoformat(cell_text(value))
        except ValueError:
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local)
        return moment, moment.isoformat(), moment.date()
    return moment, moment.isoformat(), moment.astimezone(local).date()


def _fresh_client_ids() -> Iterator[str]:
    """Random (version 4) UUIDs as text, drawn from the OS a batch at a time (uuid.uuid4() per row costs a
    system call and an object per row). Each batch is handed out in ascending order: consecutive rows then
    enter the unique index of (campaign, client_id) side by side rather than at random places, which saves
    PostgreSQL about a tenth of its work on a large file. The ids are as random as uuid4's; batches start
    small and grow to FRESH_ID_BATCH, so a short file draws few."""
    variant = "89ab"
    batch = 1024
    while True:
        digits = os.urandom(16 * batch).hex()
        yield from sorted(
            f"{d[:8]}-{d[8:12]}-4{d[13:16]}-{variant[int(d[16], 16) & 3]}{d[17:20]}-{d[20:]}"
            for d in (digits[start : start + 32] for start in range(0, 32 * batch, 32))
        )
        batch = min(2 * batch, FRESH_ID_BATCH)


def _write_orm(state: _ResponseFile, rows: Iterator[_Row], stored_before: int) -> None:
    campaign, report = state.campaign, state.report
    while True:
        chunk = list(itertools.islice(rows, ORM_BATCH))
        pulled = len(chunk)
        if state.has["client_id"]:
            chunk = state.new_rows(chunk, stored_before)
        responses = [
            Response(
                campaign=campaign, agency_id=agency, client_id=client_id, channel=channel, respondent_type=kind,
                answers=answers, entered_by=state.entered_by,
                submitted_at=submitted if submitted.tzinfo else submitted.replace(tzinfo=state.local),
            )
            for _n, agency, client_id, channel, kind, answers, _j, submitted, _iso, _f in chunk
        ]  # fmt: skip
        Response.objects.bulk_create(responses)
        flags = [
            ResponseFlag(response=response, rule=rule, detail=detail)
            for response, row in zip(responses, chunk, strict=True)
            for rule, detail in row[9]
        ]
        ResponseFlag.objects.bulk_create(flags)
        report.imported += len(responses)
        report.flagged += sum(1 for row in chunk if row[9])
        if pulled < ORM_BATCH:
            return


def _read_file(source: IO[bytes] | str | Path, *, name: str = "") -> tuple[list[str], Iterator, dict[str, Any]]:
    """The normalised header, the numbered non-empty rows and, for each column name, the key of its cell in a
    row. A CSV file is read by sipas.tabular.read_csv_lists (as read_rows reads it, but each row stays the
    list of its cells: a dict per row cost about a sixth of the import's Python time). Other files go
    through read_rows, rows as dicts."""
    label = (name or str(getattr(source, "name", source))).lower()
    if not label.endswith(".csv") or not CSV_ROWS_AS_LISTS:
        header, records = read_rows(source, name=name)
        return header, records, {key: key for key in header if key}
    header, rows = read_csv_lists(source)
    return header, rows, {key: position for position, key in enumerate(header) if key}


def import_responses(
    *,
    campaign: Campaign,
    source: IO[bytes] | str | Path,
    name: str = "",
    acting_user=None,
    on_progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import every response of a CSV (UTF-8) or XLSX file into `campaign`, or none.

    Columns: agency_code and respondent_type (required), channel (default paper; one the campaign accepts),
    submitted_at (ISO 8601, local time unless it says otherwise; default now), an optional client_id (then a
    row whose client_id is already stored is skipped, so importing a file twice adds nothing), and any
    question codes of the campaign's methodology version, checked exactly as validate_answers checks them
    (strict skip logic). Each imported response gets its quality flags (straight-lined, outside the period)
    and is recorded as entered by `acting_user` (None from the command); the import is audited.
    `source` is a path or a binary file object (then `name` gives its extension); `on_progress`, if given,
    is called with the number of rows read every PROGRESS_EVERY rows (for a job's progress counters).

    Raises ResponseImportRejected, with every bad row when rows are bad; nothing is written then.
    """
    if isinstance(source, (str, Path)):
        try:
            stream = open(source, "rb")  # noqa: SIM115 (closed below, after the whole import)
        except OSError as exc:
            raise ResponseImportRejected(
                _("Cannot open %(name)s: %(reason)s") % {"name": source, "reason": exc.strerror or exc}
            ) from exc
        with stream:
            return import_responses(
                campaign=campaign, source=stream, name=name or str(source), acting_user=acting_user,
                on_progress=on_progress,
            )  # fmt: skip
    if campaign.state not in IMPORTABLE_STATES:
        raise ResponseImportRejected(
            _("Responses can be imported only while the campaign is open or closed; it is %(state)s.")
            % {"state": CampaignState(campaign.state).label}
        )
    try:
        header, records, keys = _read_file(source, name=name)
    except UnreadableFile as exc:
        raise ResponseImportRejected(str(exc)) from exc
    typed = not str(name or getattr(source, "name", "")).lower().endswith(".csv")
    copy = connection.vendor == "postgresql" and COPY_ON_POSTGRESQL
    state = _ResponseFile(
        campaign=campaign, header=header, typed=typed, acting_user=acting_user, on_progress=on_progress,
        keys=keys, for_copy=copy,
    )  # fmt: skip
    with transaction.atomic():
        stored_before = 0
        if state.has["client_id"]:
            stored_before = Response.objects.aggregate(top=Max("id"))["top"] or 0
        try:
            if copy:
                state.lock_participants()
                writer = ResponseCopyWriter(
                    state, stored_before, chunk_rows=CHUNK_ROWS, client_id_chunk_rows=CLIENT_ID_CHUNK_ROWS
                )
                if state.has["client_id"] or not isinstance(keys.get("agency_code"), int):
                    writer.write(state.checked_rows(records))
                else:  # a CSV file read as lists of cells
                    writer.write_blocks(state.checked_blocks(records))
                state.unlock_participants()
            else:
                _write_orm(state, state.checked_rows(records), stored_before)
        except UnreadableFile as exc:  # e.g. a CSV that stops being UTF-8 half-way through
            raise ResponseImportRejected(str(exc)) from exc
        except (csv.Error, zipfile.BadZipFile, ParseError) as exc:
            raise ResponseImportRejected(_("The file cannot be read: %(reason)s") % {"reason": exc}) from exc
        except IntegrityError as exc:
            raise ResponseImportRejected(
                _("Another change to this campaign's responses conflicted with the import: run it again.")
            ) from exc
        if state.error_count:
            state.reject()
        if not state.report.rows:
            raise ResponseImportRejected(
                _("The file has no responses: row 1 holds the column names and the responses start on row 2.")
            )
        record_audit(
            actor=acting_user, action="responses.imported", target=campaign, file=Path(name).name,
            rows=state.report.rows, imported=state.report.imported, flagged=state.report.flagged,
            skipped=state.report.skipped,
        )  # fmt: skip
    return state.report
