"""Writing imported responses on PostgreSQL: `COPY … FROM STDIN` driven from a second thread.

A bulk load has two halves of about the same cost: Python reads and checks the rows, PostgreSQL stores them
(parses the text, inserts, updates the indexes and, at the end of each COPY statement, runs the foreign-key
checks of every row it stored). Run one after the other, each half waits for the other; here the main thread
checks and formats the rows while a second thread feeds them to PostgreSQL, so both run at once, on two cores.

Both threads use the caller's connection, so everything happens inside the caller's transaction; they never
use it at the same time: the main thread hands text to the feeder and calls wait() before it runs queries of
its own. Memory holds at most `capacity` blocks of text, not the file.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection

from surveys.models import Response, ResponseFlag

if TYPE_CHECKING:
    from surveys.services.imports import _ResponseFile, _Row

BLOCK_BYTES = 1 << 18  # text sent to the server at a time
LINES_PER_WRITE = 512  # rows of text joined at a time (about 200 kB)
PUT_TIMEOUT = 0.2  # seconds between two looks at whether the feeder thread failed


class _Begin:
    pass


class _Stop:
    pass


class _Abort:
    pass


@dataclass
class _End:
    after: tuple[str, Sequence[Any]] | None  # one statement to run once the COPY is done


@dataclass
class _Sync:
    done: threading.Event = field(default_factory=threading.Event)


class _Abandoned(Exception):
    """Raised inside the COPY in progress when the main thread gives up: PostgreSQL cancels the statement."""


class CopyFeeder:
    """Runs `copy_sql` (a `COPY … FROM STDIN`) once per begin()/end() pair on `database` (Django's PostgreSQL
    connection, already in a transaction), from a thread of its own.

    write() appends COPY text; end() closes the statement and may name one statement to run after it. An error
    in the feeder thread (a constraint violated, the connection lost) is raised, as the database error Django
    would raise, by the next call of the main thread; close() raises it too. abort() cancels the COPY in
    progress, for when the main thread fails."""

    def __init__(self, database, copy_sql: str, *, capacity: int = 48):
        self.database = database
        database.ensure_connection()
        self._raw = database.connection  # Django's connections are per thread: the feeder borrows this one
        self.copy_sql = copy_sql
        self._queue: queue.Queue = queue.Queue(maxsize=capacity)
        self._pending: list[str] = []
        self._pending_size = 0
        self._error: BaseException | None = None
        self._failed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="copy-feeder", daemon=True)

    def __enter__(self) -> CopyFeeder:
        self._thread.start()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # --- the main thread -----------------------------------------------------------------------------------

    def begin(self) -> None:
        self._put(_Begin)

    def write(self, text: str) -> None:
        self._pending.append(text)
        self._pending_size += len(text)
        if self._pending_size >= BLOCK_BYTES:
            self._flush()

    def end(self, after: tuple[str, Sequence[Any]] | None = None) -> None:
        self._flush()
        self._put(_End(after))

    def wait(self) -> None:
        """Return once every statement handed over so far has run (the connection is then free)."""
        sync = _Sync()
        self._put(sync)
        while not sync.done.wait(PUT_TIMEOUT):
            self._raise_if_failed()
        self._raise_if_failed()

    def close(self) -> None:
        """Wait for everything handed over, stop the feeder thread and raise its error, if any."""
        self._put(_Stop, check=False)
        self._thread.join()
        self._raise_if_failed()

    def abort(self) -> None:
        """Stop the feeder thread, cancelling the COPY in progress; its error, if any, is not raised."""
        if self._thread.is_alive():
            self._put(_Abort, check=False)
        self._thread.join()

    def _flush(self) -> None:
        if self._pending:
            self._put("".join(self._pending).encode())
            self._pending, self._pending_size = [], 0

    def _put(self, item, *, check: bool = True) -> None:
        while True:
            if check:
                self._raise_if_failed()
            elif not self._thread.is_alive():
                return
            try:
                self._queue.put(item, timeout=PUT_TIMEOUT)
                return
            except queue.Full:
                continue

    def _raise_if_failed(self) -> None:
        if self._failed.is_set():
            with self.database.wrap_database_errors:  # psycopg2's errors as Django's (IntegrityError, …)
                raise self._error

    # --- the feeder thread ---------------------------------------------------------------------------------

    def _run(self) -> None:
        source = None
        try:
            with self._raw.cursor() as cursor:
                while True:
                    item = self._queue.get()
                    if item is _Stop or item is _Abort:
                        return
                    if isinstance(item, _Sync):
                        item.done.set()
                    elif item is _Begin:
                        source = _QueueSource(self._queue)
                        cursor.copy_expert(self.copy_sql, source, size=BLOCK_BYTES)
                        if source.end.after is not None:
                            cursor.execute(*source.end.after)
        except BaseException as exc:
            self._error = exc
            self._failed.set()
            if source is None or not source.abandoned:  # the main thread may still hand blocks over
                self._drain()

    def _drain(self) -> None:
        """After a failure, keep taking what the main thread hands over until it stops, so it never blocks."""
        while True:
            item = self._queue.get()
            if isinstance(item, _Sync):
                item.done.set()
            if item is _Stop or item is _Abort:
                return


class _QueueSource:
    """The file-like object that psycopg2's copy_expert reads: blocks from the queue until the end marker."""

    def __init__(self, blocks: queue.Queue):
        self._blocks = blocks
        self.end: _End | None = None
        self.abandoned = False

    def read(self, size: int = -1) -> bytes:
        item = self._blocks.get()
        if isinstance(item, _End):
            self.end = item
            return b""
        if item is _Abort:
            self.abandoned = True
            raise _Abandoned("the import stopped")
        return item


@dataclass
class Block:
    """Checked rows ready for COPY: each line holds a row's agency id, client id, channel, respondent type,
    answers and submission time, tab-separated in COPY's text format (ResponseCopyWriter adds the columns
    that are the same for every row); `flags` are (client id, rule, detail) of its `flagged` rows."""

    lines: list[str]
    rows: int
    flags: list[tuple[str, str, str]]
    flagged: int


def format_rows(rows: Iterable[_Row]) -> Block:
    """The checked rows (imports._ResponseFile.checked_rows) as a Block."""
    lines: list[str] = []
    flags: list[tuple[str, str, str]] = []
    flagged = 0
    for _n, agency, client_id, channel, kind, _a, answers, _s, submitted, row_flags in rows:
        if "\\" in answers:  # COPY's text format reads a backslash as an escape
            answers = answers.replace("\\", "\\\\")
        lines.append(f"{agency}\t{client_id}\t{channel}\t{kind}\t{answers}\t{submitted}")
        if row_flags:
            flagged += 1
            flags.extend((client_id, rule, detail) for rule, detail in row_flags)
    return Block(lines, len(lines), flags, flagged)


class ResponseCopyWriter:
    """COPY checked rows into the responses table, a chunk per statement, inside the import's transaction;
    the quality flags of each chunk follow it. With a client_id column, a chunk's ids are looked up
    (state.new_rows) once the chunks before it are stored, so an id used again in the file is found."""

    COLUMNS = ("campaign", "agency", "client_id", "channel", "respondent_type", "answers", "submitted_at",
               "ip_hash", "device_hash", "entered_by", "excluded", "decision_rule")  # fmt: skip

    def __init__(self, state: _ResponseFile, stored_before: int, *, chunk_rows: int, client_id_chunk_rows: int):
        self.state = state
        self.stored_before = stored_before
        self.size = client_id_chunk_rows if state.has["client_id"] else chunk_rows
        meta, flag = Response._meta, ResponseFlag._meta
        quote = connection.ops.quote_name
        self.table = meta.db_table
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

    def write(self, rows: Iterator[_Row]) -> None:
        """COPY the checked rows (imports._ResponseFile.checked_rows)."""
        if not self.state.has["client_id"]:  # a few rows at a time, so the feeder starts as soon as it can
            size = min(LINES_PER_WRITE, self.size)
            self.write_blocks(iter(lambda: format_rows(itertools.islice(rows, size)), Block([], 0, [], 0)))
            return
        with CopyFeeder(connection, self.copy_sql) as feeder:
            while True:
                pulled = list(itertools.islice(rows, self.size))  # checked while the feeder stores the chunk before
                feeder.wait()  # the chunks before are stored, so a client_id they used is found
                self._send(feeder, self.state.new_rows(pulled, self.stored_before))
                if len(pulled) < self.size:
                    return

    def write_blocks(self, blocks: Iterable[Block]) -> None:
        """COPY blocks of checked rows (imports._ResponseFile.checked_blocks), about `chunk_rows` rows per
        statement."""
        with CopyFeeder(connection, self.copy_sql) as feeder:
            pending: list[Block] = []
            size = 0
            for block in blocks:
                if block.rows:
                    if not pending:
                        feeder.begin()
                    self._write_block(feeder, block)
                    pending.append(block)
                    size += block.rows
                if size >= self.size:
                    self._end(feeder, pending)
                    pending, size = [], 0
            if pending:
                self._end(feeder, pending)

    def _send(self, feeder: CopyFeeder, chunk: list[_Row]) -> None:
        """One COPY statement for the rows of `chunk`, then their flags."""
        block = format_rows(chunk)
        if block.rows:
            feeder.begin()
            self._write_block(feeder, block)
            self._end(feeder, [block])

    def _write_block(self, feeder: CopyFeeder, block: Block) -> None:
        head, tail = self.head, self.tail
        lines = block.lines
        for start in range(0, len(lines), LINES_PER_WRITE):  # pieces of about BLOCK_BYTES: memory stays bounded
            feeder.write(head + (tail + head).join(lines[start : start + LINES_PER_WRITE]) + tail)

    def _end(self, feeder: CopyFeeder, blocks: list[Block]) -> None:
        """Close the COPY statement of `blocks` and store their flags after it."""
        report, state = self.state.report, self.state
        flags = [flag for block in blocks for flag in block.flags]
        after = None
        if flags:
            ids, rules, details = zip(*flags, strict=True)
            after = (self.flag_sql, [state.now, list(ids), list(rules), list(details), state.campaign.pk])
        feeder.end(after)
        report.imported += sum(block.rows for block in blocks)
        report.flagged += sum(block.flagged for block in blocks)
