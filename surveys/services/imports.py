"""Importing responses from a spreadsheet (sipas-methodology.md, "Import contract"): the command
`import_responses CAMPAIGN FILE` and, later, an officer's upload run as a job.

One path for every file: rows are read streamed from the CSV or XLSX file (sipas.tabular.read_rows), each row's
answers are checked by validate_answers, the check every channel uses, and each valid row becomes a CheckedRow
that is written with PostgreSQL's COPY, a batch of rows per statement, in the import's one transaction. All or
nothing: a file with any bad row writes nothing and reports every bad row by spreadsheet row number (header =
row 1), column and reason. Memory holds one batch of rows, never the file.
"""

from __future__ import annotations

import csv
import datetime
import itertools
import json
import uuid
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple
from xml.etree.ElementTree import ParseError

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sipas.audit import record_audit
from sipas.tabular import RowError, UnreadableFile, cell_text, normalise_header, read_rows
from surveys.models import (
    Campaign,
    CampaignState,
    Channel,
    FlagRule,
    Question,
    RespondentType,
    Response,
    ResponseFlag,
    new_client_id,
)
from surveys.services.answers import QuestionSet, validate_answers
from surveys.services.quality import STRAIGHT_LINE_MIN_ANSWERS

FIXED_COLUMNS = ("agency_code", "respondent_type", "channel", "submitted_at", "client_id")
REQUIRED_COLUMNS = ("agency_code", "respondent_type")
DEFAULT_CHANNEL = Channel.PAPER
IMPORTABLE_STATES = (CampaignState.OPEN, CampaignState.CLOSED)  # as for paper entry (campaigns.accepts)
MAX_REPORTED_ERRORS = 10_000  # a file that is wrong throughout is reported in full up to here, then counted
BATCH_ROWS = 50_000  # rows per COPY statement
CLIENT_ID_BATCH_ROWS = 5_000  # with a client_id column: rows held in memory while their ids are looked up
PROGRESS_EVERY = 10_000  # rows between two calls of on_progress
COPY_READ_SIZE = 1 << 16  # characters of COPY text handed to the driver at a time


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


class CheckedRow(NamedTuple):
    """A valid row of the file, ready to store."""

    number: int  # the row's number in the spreadsheet
    agency_id: int
    client_id: str
    channel: str
    respondent_type: str
    answers: dict[str, Any]  # as validate_answers cleaned them
    submitted_at: datetime.datetime  # aware
    flags: list[tuple[str, str]]  # quality flags as (rule, detail)


_RESPONDENT_TYPES = frozenset(RespondentType.values)


@dataclass(frozen=True)
class _Agency:
    pk: int
    kind: str


class _ResponseFile:
    """The state of one import: the file's question columns, the campaign's surveyed agencies, the errors so far
    and the counts."""

    def __init__(self, *, campaign: Campaign, header: list[str], acting_user, on_progress):
        self.campaign = campaign
        self.entered_by = acting_user if acting_user is not None and acting_user.is_authenticated else None
        self.on_progress = on_progress
        self.report = ImportReport()
        self.errors: list[RowError] = []
        self.error_count = 0
        self.local = timezone.get_default_timezone()
        self.now = timezone.now()
        self.agencies = {
            code: _Agency(pk, kind)
            for code, pk, kind in campaign.participants.values_list("agency__code", "agency_id", "agency__kind")
        }
        kinds = {agency.kind for agency in self.agencies.values()}
        # The file's columns follow the agencies' versions (a version per level): a column is a question of the
        # version of some surveyed agency, and each row is checked against its own agency's version.
        version_of = {kind: campaign.methodology_id_for_kind(kind) for kind in kinds} or {"": campaign.methodology_id}
        by_version: dict[int, list[Question]] = {pk: [] for pk in set(version_of.values())}
        for question in Question.objects.filter(methodology_id__in=list(by_version)).select_related(
            "factor", "methodology"
        ):
            by_version[question.methodology_id].append(question)
        questions = [q for pk in sorted(by_version) for q in by_version[pk]]
        self.columns = list(self._read_header(header, questions).items())  # (column, question code)
        self.has = {key: key in header for key in FIXED_COLUMNS}
        self.checks = {
            kind: _AnswerColumns(QuestionSet.for_agency(by_version[version_of[kind]], kind), self.columns)
            for kind in kinds
        }
        # For a row whose agency is wrong, so that its answers are still checked and reported.
        default = by_version.get(campaign.methodology_id) or by_version[next(iter(by_version))]
        self.any_check = _AnswerColumns(QuestionSet(tuple(default)), self.columns)

    def error(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, message))

    def _read_header(self, header: list[str], questions) -> dict[str, str]:
        """The question columns of the file (column → code); problems with the header are errors on row 1."""
        codes = {normalise_header(q.code): q.code for q in questions}
        self.versions_label = ", ".join(
            sorted({q.methodology.code for q in questions}) or [self.campaign.methodology.code]
        )
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
                    % {"fixed": ", ".join(FIXED_COLUMNS), "methodology": self.versions_label},
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

    def checked_rows(self, records: Iterator[tuple[int, dict[str, Any]]]) -> Iterator[CheckedRow]:
        """The valid rows of the file, ready to store; the bad ones are recorded as errors."""
        has, report = self.has, self.report
        for number, record in records:
            report.rows += 1
            if self.on_progress is not None and report.rows % PROGRESS_EVERY == 0:
                self.on_progress(report.rows)
            bad = self.error_count
            agency = self._agency(number, record["agency_code"])
            respondent_type = self._respondent_type(number, record["respondent_type"])
            channel = self._channel(number, record["channel"]) if has["channel"] else DEFAULT_CHANNEL
            submitted_at = self._submitted_at(number, record["submitted_at"]) if has["submitted_at"] else self.now
            client_id = self._client_id(number, record["client_id"]) if has["client_id"] else str(new_client_id())
            check = self.checks[agency.kind] if agency is not None else self.any_check
            answers, errors = validate_answers(check.questions, check.answered(record), strict_skips=True)
            for code, message in errors.items():
                self.error(number, code, message)
            if not answers and not errors:
                self.error(number, "", _("Please answer at least one question."))
            if self.error_count == bad:
                flags = self._flags(check.scaled_codes, answers, submitted_at)
                yield CheckedRow(number, agency.pk, client_id, channel, respondent_type, answers, submitted_at, flags)

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
        if text in _RESPONDENT_TYPES:
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

    def _submitted_at(self, number: int, value: Any) -> datetime.datetime:
        """ISO 8601 date or date and time; without a time zone it is local time (Asia/Ho_Chi_Minh). Blank: now."""
        if isinstance(value, datetime.datetime):
            moment = value
        elif isinstance(value, datetime.date):
            moment = datetime.datetime.combine(value, datetime.time())
        else:
            text = cell_text(value)
            if not text:
                return self.now
            try:
                moment = datetime.datetime.fromisoformat(text)
            except ValueError:
                self.error(
                    number,
                    "submitted_at",
                    _("Write a date as YYYY-MM-DD, or a date and time as YYYY-MM-DD HH:MM (ISO 8601)."),
                )
                return self.now
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.local)

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

    def _flags(self, scaled_codes: list[str], answers: dict[str, Any], submitted_at) -> list[tuple[str, str]]:
        """The quality flags a file can earn, worded as surveys.services.quality.flags_for words them (in the
        portal's language, for the officers who review them)."""
        flags = []
        scaled = [answers[code] for code in scaled_codes if code in answers]
        if len(scaled) >= STRAIGHT_LINE_MIN_ANSWERS and len(set(scaled)) == 1:
            with translation.override(settings.LANGUAGE_CODE):
                detail = _("%(count)s answers, all %(value)s") % {"count": len(scaled), "value": scaled[0]}
            flags.append((FlagRule.STRAIGHT_LINED, detail))
        day = submitted_at.astimezone(self.local).date()
        if not self.campaign.period_start <= day <= self.campaign.period_end:
            flags.append((FlagRule.OUTSIDE_PERIOD, day.isoformat()))
        return flags

    def new_rows(self, batch: list[CheckedRow], stored_before: int) -> list[CheckedRow]:
        """Leave out the rows whose client_id is already stored (a file imported again); a client_id used twice
        in the file is an error. `stored_before`: the highest response id when the import started."""
        first_row: dict[str, int] = {}
        stored = {
            str(client_id): pk
            for client_id, pk in Response.objects.filter(
                campaign=self.campaign, client_id__in=[row.client_id for row in batch]
            ).values_list("client_id", "id")
        }
        fresh = []
        for row in batch:
            number, client_id = row.number, row.client_id
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


class _AnswerColumns:
    """The question columns of a file as one question set sees them: validate_answers checks a row's cells of
    the questions it asks (an empty cell is an unanswered question), and a non-empty cell of a question it does
    not ask (one asked only of other kinds of agency) is an answer to a question that is not in it."""

    def __init__(self, questions: QuestionSet, columns: list[tuple[str, str]]):
        self.questions = questions
        asked = [(key, code) for key, code in columns if code in questions.by_code]
        self.asked_keys, self.asked_codes = [key for key, _code in asked], [code for _key, code in asked]
        self.not_asked = [(key, code) for key, code in columns if code not in questions.by_code]
        self.scaled_codes = questions.scaled_codes()

    def answered(self, record: dict[str, Any]) -> dict[str, Any]:
        """The row's cells by question code, as validate_answers takes them."""
        raw = dict(zip(self.asked_codes, map(record.__getitem__, self.asked_keys), strict=True))
        for key, code in self.not_asked:
            value = record[key]
            if not (value is None or (isinstance(value, str) and not value.strip())):
                raw[code] = value
        return raw


class _ResponseWriter:
    """Stores checked rows with `COPY … FROM STDIN`, a batch of rows per statement, each batch's quality flags
    after it. The rows of a batch are checked while they are sent: the database stores what it has received
    while the next rows are read."""

    COLUMNS = ("campaign", "agency", "client_id", "channel", "respondent_type", "answers", "submitted_at",
               "ip_hash", "device_hash", "entered_by", "excluded", "decision_rule")  # fmt: skip

    def __init__(self, state: _ResponseFile, stored_before: int):
        self.state = state
        self.stored_before = stored_before
        meta, flag = Response._meta, ResponseFlag._meta
        quote = connection.ops.quote_name
        columns = ", ".join(quote(meta.get_field(name).column) for name in self.COLUMNS)
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.flag_sql = (
            f"INSERT INTO {quote(flag.db_table)} (response_id, rule, detail, created_at) "
            "SELECT r.id, f.rule, f.detail, %s FROM unnest(%s::uuid[], %s::text[], %s::text[]) "
            f"AS f(client_id, rule, detail) JOIN {quote(meta.db_table)} r "
            "ON r.campaign_id = %s AND r.client_id = f.client_id"
        )
        entered_by = str(state.entered_by.pk) if state.entered_by else "\\N"  # \N is NULL in COPY's text format
        self.head = f"{state.campaign.pk}\t"
        self.tail = f"\t\t\t{entered_by}\tf\t\n"

    def write(self, rows: Iterator[CheckedRow]) -> None:
        client_ids = self.state.has["client_id"]
        size = CLIENT_ID_BATCH_ROWS if client_ids else BATCH_ROWS
        with connection.cursor() as cursor:
            while True:
                batch = itertools.islice(rows, size)
                if client_ids:  # the batches before are stored, so a client_id they used is found
                    batch = list(batch)
                    pulled = len(batch)
                    self._copy(cursor, iter(self.state.new_rows(batch, self.stored_before)))
                else:
                    pulled = self._copy(cursor, batch)
                if pulled < size:
                    return

    def _copy(self, cursor, rows: Iterator[CheckedRow]) -> int:
        """One COPY statement for `rows`, then their flags; returns how many rows it stored."""
        report, head, tail = self.state.report, self.head, self.tail
        flags: list[tuple[str, str, str]] = []
        count = 0

        def lines() -> Iterator[str]:
            nonlocal count
            for row in rows:
                answers = json.dumps(row.answers, ensure_ascii=False, separators=(",", ":"))
                if "\\" in answers:  # COPY's text format reads a backslash as an escape
                    answers = answers.replace("\\", "\\\\")
                yield (f"{head}{row.agency_id}\t{row.client_id}\t{row.channel}\t{row.respondent_type}\t{answers}\t"
                       f"{row.submitted_at.isoformat()}{tail}")  # fmt: skip
                count += 1
                if row.flags:
                    report.flagged += 1
                    flags.extend((row.client_id, rule, detail) for rule, detail in row.flags)

        reader = _TextReader(lines())
        try:
            with connection.wrap_database_errors:  # psycopg2's errors as Django's (IntegrityError, ...)
                cursor.copy_expert(self.copy_sql, reader, size=COPY_READ_SIZE)
        except DatabaseError:
            if reader.error is not None:  # the file could not be read: the driver cancelled the COPY for it
                raise reader.error from None
            raise
        if flags:
            ids, rules, details = zip(*flags, strict=True)
            cursor.execute(
                self.flag_sql, [self.state.now, list(ids), list(rules), list(details), self.state.campaign.pk]
            )
        report.imported += count
        return count


class _TextReader:
    """The file COPY reads: lines of text from an iterator, about `size` characters at a time. An error raised
    while the lines are made (a file that stops being UTF-8, say) is kept in `error`: the driver cancels the COPY
    and raises an error of its own."""

    def __init__(self, lines: Iterator[str]):
        self._lines = lines
        self.error: Exception | None = None

    def read(self, size: int = -1) -> str:
        out, total = [], 0
        try:
            for line in self._lines:
                out.append(line)
                total += len(line)
                if total >= size >= 0:
                    break
        except Exception as exc:
            self.error = exc
            raise
        return "".join(out)


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
    question codes of the campaign's methodology version, checked by validate_answers (strict skip logic).
    Each imported response gets its quality flags (straight-lined, outside the period) and is recorded as
    entered by `acting_user` (None from the command); the import is audited.
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
        header, records = read_rows(source, name=name)
    except UnreadableFile as exc:
        raise ResponseImportRejected(str(exc)) from exc
    state = _ResponseFile(campaign=campaign, header=header, acting_user=acting_user, on_progress=on_progress)
    try:
        with transaction.atomic():
            stored_before = 0
            if state.has["client_id"]:
                stored_before = Response.objects.aggregate(top=Max("id"))["top"] or 0
            try:
                _ResponseWriter(state, stored_before).write(state.checked_rows(records))
            except UnreadableFile as exc:  # e.g. a CSV that stops being UTF-8 half-way through
                raise ResponseImportRejected(str(exc)) from exc
            except (csv.Error, zipfile.BadZipFile, ParseError) as exc:
                raise ResponseImportRejected(_("The file cannot be read: %(reason)s") % {"reason": exc}) from exc
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
    except IntegrityError as exc:  # e.g. a surveyed agency removed from the campaign meanwhile
        raise ResponseImportRejected(
            _("Another change to this campaign's responses conflicted with the import: run it again.")
        ) from exc
    return state.report
