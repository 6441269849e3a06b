"""Index computation over 100,000 and 1,000,000 responses (~1,000 agencies), against pandas on the same CSV.

For each size: a closed SIPAS-2017 campaign over the bench province (the one of import_responses.py: 40
departments and 960 communes) is loaded from the cached file of make_responses_csv.py with the project's
importer (import_responses, in its own process: rows/s and wall time). If the importer's rate, measured on
the first size, would take more than LOAD_BUDGET seconds for a larger file, that file is loaded by a fast path
of this benchmark instead (the same answers JSON built from the cells, sent by COPY, without validation or
quality flags, which do not change the index): its time is printed but is not "import". A VACUUM ANALYZE
follows each load (the state autovacuum would leave the table in).

Then it times:
- the first `python manage.py compute_index SLUG` after the load, with the campaign's tally deleted: it
  aggregates every response (the full GROUP BY) and closes a tally (reports/models/tallies.py);
- the same command again, --runs times, as it runs from then on (the tally plus the responses stored since):
  wall time and the process's own peak RSS (GNU time), next to the wall time of the same command stopping at
  once (an unknown campaign: the start-up of Python and Django that every run pays), with and without the
  system checks;
- compute_campaign_index in this process (the command without its start-up), split into the time of each
  kind of SQL statement, COPY included (the computation's own SQL), and the rest (Python);
- the full aggregation SQL alone (aggregate_counts: what a computation without a tally runs) after one
  warm-up run, and its EXPLAIN (ANALYZE, BUFFERS);
- prototypes of faster aggregation SQL (not used by the project; each checked to give the very same counts);
- bench/pandas_reference.py on the same CSV, in its own process, --runs times after an untimed first run (as
  compute_index's timed runs follow its first run): the time it reports from reading to figures, and its
  whole process; its figures must equal the run's (SIPAS and every other figure of every agency, to 1e-9).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench .venv/bin/python bench/run.py compute_index.py
    DATABASE_URL=... .venv/bin/python bench/compute_index.py --rows 100000 [--runs 3] [--reuse] [--keep]

Goals (issue 8): compute_index / pandas <= 0.2 on 1,000,000 responses (the whole command against pandas' own
reading-to-figures time; the table also gives it process to process); peak RSS of compute_index not growing
with the responses; the computation's own SQL well under a second. --reuse keeps the loaded campaigns for the next
run (and reuses them if present), so tuning does not reload a million rows each time.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_responses as bench_import  # noqa: E402  (the bench province and its cached files)

SLUG = "bench-compute-{rows}"
MIN_SAMPLE = 50  # per agency, so that agencies are ranked at both sizes (~100 and ~1,000 responses each)
LOAD_BUDGET = 240.0  # seconds: above this, a file is loaded by the fast path rather than the importer
TOLERANCE = 1e-9


# --- set-up ------------------------------------------------------------------------------------------------


def sync_province() -> None:
    from agencies.models import AgencyKind
    from agencies.rows import AgencyRow
    from agencies.services import sync_agencies

    province, departments = bench_import.PROVINCE, bench_import.DEPARTMENTS
    codes = bench_import.agency_codes()
    rows = [AgencyRow(province, "Tỉnh Thử Nghiệm", AgencyKind.PROVINCE, "tỉnh")]
    rows += [AgencyRow(code, f"Sở số {code[-2:]}", AgencyKind.DEPARTMENT, "sở", province) for code in codes[:departments]]  # fmt: skip
    rows += [AgencyRow(code, f"Xã số {code[1:]}", AgencyKind.COMMUNE, "xã", province) for code in codes[departments:]]  # fmt: skip
    sync_agencies(rows, source="bench")


def create_open_campaign(slug: str):
    from agencies.models import Agency
    from surveys.models import CampaignState, Channel, Methodology
    from surveys.services.campaigns import create_campaign, transition_campaign

    start, end = bench_import.PERIOD
    campaign = create_campaign(
        year=2025, name=f"Bench compute {slug}", slug=slug, root=Agency.objects.get(code=bench_import.PROVINCE),
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=start, period_end=end,
        channels=[Channel.PAPER, Channel.POST, Channel.ENUMERATOR],
        level_samples={"department": MIN_SAMPLE, "commune": MIN_SAMPLE},
    )  # fmt: skip
    return transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)


def close_campaign(slug: str) -> None:
    from surveys.models import Campaign, CampaignState
    from surveys.services.campaigns import transition_campaign

    transition_campaign(campaign=Campaign.objects.get(slug=slug), to_state=CampaignState.CLOSED)


def tear_down(slug: str) -> int:
    """Raw SQL for the responses: the ORM would load a million rows to cascade the delete. Returns how many
    responses were deleted."""
    from django.db import connection, transaction

    from reports.models import IndexRun
    from surveys.models import Campaign

    with transaction.atomic():
        IndexRun.objects.filter(campaign__slug=slug).delete()
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM surveys_responseflag WHERE response_id IN (SELECT r.id FROM surveys_response r "
                "JOIN surveys_campaign c ON c.id = r.campaign_id WHERE c.slug = %s)",
                [slug],
            )
            cursor.execute(
                "DELETE FROM surveys_response WHERE campaign_id IN (SELECT id FROM surveys_campaign WHERE slug = %s)",
                [slug],
            )
            deleted = cursor.rowcount
        Campaign.objects.filter(slug=slug).delete()
    return deleted


def vacuum() -> None:
    """The state autovacuum would leave the table in (hint bits set, visibility map, statistics)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE surveys_response")


def stored_responses(slug: str) -> int | None:
    from surveys.models import Campaign

    campaign = Campaign.objects.filter(slug=slug).first()
    return None if campaign is None else campaign.responses.count()


# --- children (each in its own process, so its peak RSS is its own) -----------------------------------------


def run_measured(command: list[str]) -> tuple[int, str, float, int]:
    """(exit status, stdout, wall seconds, peak RSS in KB) of one child process. The peak comes from GNU
    time when there is one: the child of this process inherits this process's own peak in ru_maxrss
    (subprocess forks with vfork, and exec keeps the larger high-water mark), so os.wait4 would report at
    least this benchmark's size; under /usr/bin/time the measured command starts from time's few MB."""
    gnu_time = Path("/usr/bin/time")
    with tempfile.TemporaryFile("w+") as out, tempfile.NamedTemporaryFile("r") as peak_file:
        if gnu_time.exists():
            command = [str(gnu_time), "-f", "%M", "-o", peak_file.name, *command]
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, text=True)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        peak = usage.ru_maxrss
        if gnu_time.exists():
            peak = int(peak_file.read().strip().splitlines()[-1])
        return child.returncode, out.read(), wall, peak


def child_import(slug: str, path: Path) -> None:
    from surveys.models import Campaign
    from surveys.services.imports import import_responses

    campaign = Campaign.objects.select_related("methodology").get(slug=slug)
    started = time.perf_counter()
    report = import_responses(campaign=campaign, source=path)
    wall = time.perf_counter() - started
    print(json.dumps({"rows": report.rows, "imported": report.imported, "wall": wall}))


def child_fast_load(slug: str, path: Path) -> None:
    """The fast path, for a file the importer would take too long over: the answers JSON built here from the
    cells (a scale as a number, a multiple choice as a list in option order, text trimmed: what the importer
    stores), one COPY per CHUNK rows, no validation (the files of make_responses_csv.py are valid) and no
    quality flags (they do not change the index). The comparison with pandas checks the result."""
    import csv
    import io

    from django.db import connection, transaction
    from django.utils import timezone

    from surveys.models import Campaign, QuestionKind

    chunk = 50_000
    campaign = Campaign.objects.select_related("methodology").get(slug=slug)
    questions = {q.code: q for q in campaign.methodology.questions.all()}
    agencies = dict(campaign.participants.values_list("agency__code", "agency_id"))
    copy_sql = (
        "COPY surveys_response (campaign_id, agency_id, client_id, channel, respondent_type, answers, "
        "submitted_at, ip_hash, device_hash, entered_by_id, excluded, decision_rule) FROM STDIN"
    )
    tz = timezone.get_default_timezone()
    started = time.perf_counter()
    rows, copying = 0, 0.0
    with path.open(encoding="utf-8", newline="") as source, transaction.atomic(), connection.cursor() as cursor:
        reader = csv.reader(source)
        header = next(reader)
        at = {name: i for i, name in enumerate(header)}
        cells_of = []  # (column, code, how)
        for i, name in enumerate(header):
            question = questions.get(name)
            if question is None:
                continue
            if question.kind == QuestionKind.SCALE5:
                cells_of.append((i, name, int))
            elif question.kind == QuestionKind.MULTI:
                options = question.option_codes()
                cells_of.append((i, name, lambda text, o=options: [x for x in o if x in set(text.split("|"))]))
            elif question.kind == QuestionKind.TEXT:
                cells_of.append((i, name, str.strip))
            else:
                cells_of.append((i, name, str))
        agency_at, type_at, channel_at, time_at = (at[k] for k in ("agency_code", "respondent_type", "channel", "submitted_at"))  # fmt: skip
        buffer = io.StringIO()
        for cells in reader:
            answers = {code: how(cells[i]) for i, code, how in cells_of if cells[i]}
            text = json.dumps(answers, ensure_ascii=False, separators=(",", ":")).replace("\\", "\\\\")
            submitted = datetime.datetime.fromisoformat(cells[time_at]).replace(tzinfo=tz).isoformat()
            buffer.write(
                f"{campaign.pk}\t{agencies[cells[agency_at]]}\t{uuid.uuid4()}\t{cells[channel_at] or 'paper'}\t"
                f"{cells[type_at]}\t{text}\t{submitted}\t\t\t\\N\tf\t\n"
            )
            rows += 1
            if rows % chunk == 0:
                copying -= time.perf_counter()
                buffer.seek(0)
                cursor.copy_expert(copy_sql, buffer)
                buffer = io.StringIO()
                copying += time.perf_counter()
        copying -= time.perf_counter()
        buffer.seek(0)
        cursor.copy_expert(copy_sql, buffer)
        copying += time.perf_counter()
    wall = time.perf_counter() - started
    print(json.dumps({"rows": rows, "imported": rows, "wall": wall, "copy": copying}))


# --- the aggregation SQL and prototypes of faster variants --------------------------------------------------


class StatementTimer:
    """A connection.execute_wrapper that adds up the time of each kind of statement."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self.count = 0

    def __enter__(self):
        """Also time COPY (cursor.copy_expert), which Django's execute wrappers do not see."""
        from django.db import connection
        from django.db.backends.utils import CursorWrapper

        timer = self

        def copy_expert(cursor, sql, file, *args, **kwargs):
            started = time.perf_counter()
            try:
                return cursor.cursor.copy_expert(sql, file, *args, **kwargs)
            finally:
                timer.count += 1
                timer.seconds["COPY"] = timer.seconds.get("COPY", 0.0) + time.perf_counter() - started

        CursorWrapper.copy_expert = copy_expert
        self._wrapper = connection.execute_wrapper(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc):
        from django.db.backends.utils import CursorWrapper

        self._wrapper.__exit__(*exc)
        del CursorWrapper.copy_expert

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            words = sql.split()
            kind = " ".join(words[:3]) if words[:1] == ["INSERT"] else " ".join(words[:2])
            if "FILTER (WHERE" in sql:
                kind = "aggregation"
            self.seconds[kind] = self.seconds.get(kind, 0.0) + time.perf_counter() - started

    def top(self, count: int = 3) -> str:
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])[:count]
        return ", ".join(f"{kind} {seconds:.3f} s" for kind, seconds in ranked)


def time_aggregation(function, campaign, plan, repeat: int, *, warm_up: bool = True) -> tuple[list[float], dict]:
    if warm_up:
        function(campaign, plan)  # caches, and the plan's statistics
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(campaign, plan)
        timings.append(time.perf_counter() - started)
    return timings, result


def explain(campaign, plan) -> str:
    from django.db import connection

    from reports.services.aggregate import _sql

    sql, _names = _sql(plan, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, [campaign.pk])
        return "\n".join(row[0] for row in cursor.fetchall())


def server_settings() -> str:
    from django.db import connection

    names = ["max_parallel_workers_per_gather", "max_parallel_workers", "jit", "work_mem", "shared_buffers"]
    with connection.cursor() as cursor:
        values = []
        for name in names:
            cursor.execute(f"SHOW {name}")
            values.append(f"{name}={cursor.fetchone()[0]}")
    return ", ".join(values)


def _split(plan) -> tuple[list[str], list[str]]:
    """aggregate_counts' query cut into its aggregate expressions (after agency_id) and their names."""
    from reports.services.aggregate import _sql

    sql, names = _sql(plan, "postgresql")
    head = sql.split(" FROM (SELECT ", 1)[0].removeprefix("SELECT agency_id, ")
    parts, depth, current = [], 0, ""
    for character in head:
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            parts.append(current.strip())
            current = ""
        else:
            current += character
    parts.append(current.strip())
    assert len(parts) == len(names)
    return parts, names


def _run_sql(sql: str, names: list[str], settings_sql: str = ""):
    from django.db import connection, transaction

    def run(campaign, plan):
        with transaction.atomic(), connection.cursor() as cursor:
            if settings_sql:
                cursor.execute(settings_sql)
            cursor.execute(sql, [campaign.pk])
            rows = cursor.fetchall()
        return {row[0]: {n: int(v or 0) for n, v in zip(names, row[1:], strict=True)} for row in rows}

    return run


def _on_codes(parts: list[str], plan) -> list[str]:
    """The aggregates rewritten for answers stored as numbers: a choice as its option's position (1-based),
    a multiple choice as a bit mask of its options."""
    out = []
    for part in parts:
        for j, options in enumerate(plan.choices.values()):
            for i, option in enumerate(options):
                part = part.replace(f"c{j} = '{option}')", f"c{j} = {i + 1})")
        for j, options in enumerate(plan.multi.values()):
            for i, option in enumerate(options):
                part = part.replace(f"m{j} @> '[\"{option}\"]'::jsonb", f"(m{j} & {1 << i}) <> 0")
            # the project's query counts a multiple choice as answered by h{j} (the key is there, even as null):
            # here the mask is NULL exactly when the key is absent
            part = part.replace(f"count(*) FILTER (WHERE h{j})", f"count(m{j})")
        out.append(part)
    return out


def _aliases(plan) -> list[str]:
    return (
        [f"s{i}" for i in range(len(plan.scaled))]
        + [f"c{j}" for j in range(len(plan.choices))]
        + [f"m{j}" for j in range(len(plan.multi))]
    )


def build_scratch_tables(campaign, plan) -> float:
    """What a typed copy of the answers, written with each response, would look like: `bench_scratch_vectors`
    (one smallint[] per response: the scaled answers, then each choice's option position, then each multiple
    choice's bit mask) and `bench_scratch_columns` (the same as one int column each: the floor any SQL form
    can reach). Returns the seconds spent building both (a cost the write path would pay instead). The answers
    (json) are read as jsonb here, for its operators."""
    from django.db import connection

    elements = [f"(answers->>'{code}')::smallint" for code in plan.scaled]
    for code, options in plan.choices.items():
        whens = " ".join(f"WHEN '{option}' THEN {i + 1}" for i, option in enumerate(options))
        elements.append(f"CASE answers->>'{code}' {whens} END")
    for code, options in plan.multi.items():
        bits = " + ".join(
            f"(CASE WHEN answers->'{code}' @> '[\"{option}\"]' THEN {1 << i} ELSE 0 END)"
            for i, option in enumerate(options)
        )
        elements.append(f"CASE WHEN answers ? '{code}' THEN ({bits})::smallint END")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        drop_scratch_tables()
        cursor.execute(
            "CREATE TABLE bench_scratch_vectors AS SELECT campaign_id, agency_id, excluded, "
            f"ARRAY[{', '.join(elements)}]::smallint[] AS v FROM (SELECT campaign_id, agency_id, excluded, "
            "answers::jsonb AS answers FROM surveys_response WHERE campaign_id = %s OFFSET 0) AS response",
            [campaign.pk],
        )
        columns = ", ".join(f"v[{i + 1}]::int AS {alias}" for i, alias in enumerate(_aliases(plan)))
        cursor.execute(
            f"CREATE TABLE bench_scratch_columns AS SELECT campaign_id, agency_id, excluded, {columns} "
            "FROM bench_scratch_vectors"
        )
        cursor.execute("VACUUM ANALYZE bench_scratch_vectors")
        cursor.execute("VACUUM ANALYZE bench_scratch_columns")
    return time.perf_counter() - started


def drop_scratch_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_scratch_vectors")
        cursor.execute("DROP TABLE IF EXISTS bench_scratch_columns")


def prototypes(plan) -> dict[str, object]:
    """Variants of aggregate_counts' query, each returning the same counts (see main: checked)."""
    parts, names = _split(plan)
    aliases = _aliases(plan)
    record_columns = [f'"{code}" int' for code in plan.scaled] + [f'"{code}" text' for code in plan.choices]
    record_columns += [f'"{code}" jsonb' for code in plan.multi]
    record_select = [f'a."{code}" AS {alias}' for code, alias in zip([*plan.scaled, *plan.choices, *plan.multi], aliases, strict=True)]  # fmt: skip
    record_select += [
        f"(a.\"{code}\" IS NOT NULL OR r.answers ? '{code}') AS h{j}" for j, code in enumerate(plan.multi)
    ]
    coded = _on_codes(parts, plan)
    vector_select = ", ".join(f"v[{i + 1}] AS {alias}" for i, alias in enumerate(aliases))
    positive_only = [(part, name) for part, name in zip(parts, names, strict=True) if name[:2] not in ("s:", "q:")]
    return {
        "jit off": _run_sql("SELECT agency_id, " + ", ".join(parts) + json_from(plan), names, "SET LOCAL jit = off"),
        "no parallel scan": _run_sql(
            "SELECT agency_id, " + ", ".join(parts) + json_from(plan),
            names,
            "SET LOCAL max_parallel_workers_per_gather = 0",
        ),
        "answers parsed into jsonb (jsonb_to_record(answers::jsonb))": _run_sql(
            f"SELECT agency_id, {', '.join(parts)} FROM (SELECT r.agency_id, {', '.join(record_select)} "
            "FROM (SELECT agency_id, answers::jsonb AS answers FROM surveys_response "
            "WHERE campaign_id = %s AND NOT excluded) AS r "
            f"CROSS JOIN LATERAL jsonb_to_record(r.answers) AS a({', '.join(record_columns)})) AS r GROUP BY agency_id",
            names,
        ),
        "share-positive only (no s:/q: sums)": _run_sql(
            "SELECT agency_id, " + ", ".join(p for p, _n in positive_only) + json_from(plan),
            [n for _p, n in positive_only],
        ),
        "typed smallint[] column": _run_sql(
            f"SELECT agency_id, {', '.join(coded)} FROM (SELECT agency_id, {vector_select} "
            "FROM bench_scratch_vectors WHERE campaign_id = %s AND NOT excluded OFFSET 0) AS r GROUP BY agency_id",
            names,
        ),
        "typed int columns (floor)": _run_sql(
            f"SELECT agency_id, {', '.join(coded)} FROM bench_scratch_columns "
            "WHERE campaign_id = %s AND NOT excluded GROUP BY agency_id",
            names,
        ),
    }


def json_from(plan) -> str:
    """aggregate_counts' FROM clause (the subquery that parses each row's answers once, by json_to_record)."""
    from reports.services.aggregate import _sql

    sql, _names = _sql(plan, "postgresql")
    return " FROM (SELECT " + sql.split(" FROM (SELECT ", 1)[1]


# --- pandas -------------------------------------------------------------------------------------------------


def pandas_runs(path: Path, runs: int) -> tuple[list[dict], Path]:
    """pandas_reference.py `runs` times after one run that is not timed, as compute_index's timed runs follow
    its first run: both sides are measured with their programs and the file in the page cache (the first
    pandas run took up to twice as long as the next ones)."""
    out = Path(tempfile.gettempdir()) / f"sipas-bench-pandas-{os.getpid()}.json"
    results = []
    for run in range(runs + 1):
        status, output, wall, peak = run_measured(
            [sys.executable, str(ROOT / "bench" / "pandas_reference.py"), str(path), "--out", str(out)]
        )
        if status:
            raise SystemExit(f"pandas_reference.py failed:\n{output}")
        figures = json.loads(output.strip().splitlines()[-1])
        figures.update(process_wall=wall, rss_peak_kb=peak)
        if run:
            results.append(figures)
    return results, out


def compare_with_run(slug: str, pandas_figures: Path) -> tuple[int, int, float, float, list[str]]:
    """(agencies compared, figures compared, largest SIPAS difference, largest difference of any figure,
    mismatches) between pandas' figures and the campaign's latest run."""
    from reports.models import IndexRun

    expected = json.loads(pandas_figures.read_text(encoding="utf-8"))
    run = IndexRun.objects.filter(campaign__slug=slug).order_by("-number").first()
    results = {r.agency.code: r.figures for r in run.agency_results.select_related("agency")}
    mismatches: list[str] = []
    worst = {"sipas": 0.0, "any": 0.0}
    compared = 0

    def walk(code: str, where: str, ours, theirs) -> None:
        nonlocal compared
        if isinstance(theirs, dict):
            for key, value in theirs.items():
                walk(code, f"{where}.{key}", (ours or {}).get(key), value)
            return
        compared += 1
        if ours is None or theirs is None:
            if ours is not theirs:
                mismatches.append(f"{code} {where}: run {ours!r}, pandas {theirs!r}")
            return
        difference = abs(float(ours) - float(theirs))
        worst["any"] = max(worst["any"], difference)
        if where == ".sipas":
            worst["sipas"] = max(worst["sipas"], difference)
        if not difference <= TOLERANCE:
            mismatches.append(f"{code} {where}: run {ours!r}, pandas {theirs!r}")

    if set(expected) != set(results):
        mismatches.append(f"agencies differ: {sorted(set(expected) ^ set(results))[:10]}")
    for code in sorted(set(expected) & set(results)):
        walk(code, "", results[code], expected[code])
    return len(set(expected) & set(results)), compared, worst["sipas"], worst["any"], mismatches


# --- main ---------------------------------------------------------------------------------------------------


def load(slug: str, path: Path, rows: int, importer_rate: float | None, force_fast: bool) -> dict:
    """Load `path` into a fresh open campaign, then close it. Returns the load's figures."""
    if tear_down(slug):
        vacuum()  # so the new rows reuse the space of the old ones instead of doubling the table
    create_open_campaign(slug)
    from django.db import connection

    connection.close()  # the child writes
    fast = force_fast or (importer_rate is not None and rows / importer_rate > LOAD_BUDGET)
    mode = "--child-fast-load" if fast else "--child-import"
    status, output, wall, peak = run_measured([sys.executable, __file__, mode, slug, str(path)])
    if status:
        raise SystemExit(f"loading {path.name} failed:\n{output[-3000:]}")
    figures = json.loads(output.strip().splitlines()[-1])
    figures.update(fast=fast, process_wall=wall, rss_peak_kb=peak)
    close_campaign(slug)
    started = time.perf_counter()
    vacuum()
    figures["vacuum"] = time.perf_counter() - started
    return figures


def compile_project() -> float:
    """Byte-compile the project as the image does at build (Dockerfile), so the measured processes load its
    bytecode: with PYTHONDONTWRITEBYTECODE set they would otherwise compile every module of the project from
    source, each time (compileall writes regardless of that variable). Returns the seconds it took."""
    started = time.perf_counter()
    for package in ("agencies", "reports", "sipas", "surveys"):
        compileall.compile_dir(ROOT / package, quiet=1)
    compileall.compile_file(ROOT / "manage.py", quiet=1)
    return time.perf_counter() - started


def compute_command(slug: str, runs: int) -> tuple[list[tuple[float, int]], str, tuple[float, int, float]]:
    """compute_index as a subprocess, `runs` times: [(wall, peak RSS KB)], the last output, and the same
    command's start-up alone (an unknown slug: it stops right after Python, Django and the system checks:
    wall, peak RSS, and wall again without the system checks)."""
    command = [sys.executable, str(ROOT / "manage.py"), "compute_index"]
    measured, output = [], ""
    for _ in range(runs):
        status, output, wall, peak = run_measured([*command, slug])
        if status:
            raise SystemExit(f"compute_index failed:\n{output}")
        measured.append((wall, peak))
    _status, _output, wall, peak = run_measured([*command, "bench-no-such-campaign"])
    _status, _output, unchecked, _peak = run_measured([*command, "bench-no-such-campaign", "--skip-checks"])
    return measured, output.strip(), (wall, peak, unchecked)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append", help="campaign sizes (repeatable)")
    parser.add_argument("--runs", type=int, default=3, help="runs of compute_index and of pandas per size")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of the aggregation SQL")
    parser.add_argument("--prototype-repeat", type=int, default=1, help="timed runs of each prototype")
    parser.add_argument("--fast-load", action="store_true", help="load every size by the fast path")
    parser.add_argument("--reuse", action="store_true", help="reuse loaded campaigns and keep them afterwards")
    parser.add_argument("--keep", action="store_true", help="keep the campaigns afterwards")
    parser.add_argument("--no-prototypes", action="store_true")
    parser.add_argument("--child-import", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--child-fast-load", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    if not os.environ.get("DATABASE_URL"):  # never the development database (var/sipas.sqlite3)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    if not (args.child_import or args.child_fast_load):
        bench_import.ensure_database()
    import django

    django.setup()
    if args.child_import:
        child_import(args.child_import[0], Path(args.child_import[1]))
        return
    if args.child_fast_load:
        child_fast_load(args.child_fast_load[0], Path(args.child_fast_load[1]))
        return

    from django.core.management import call_command
    from django.db import connection

    from reports.services.aggregate import aggregate_counts, plan_for
    from reports.services.compute import compute_campaign_index
    from surveys.models import Campaign

    call_command("migrate", verbosity=0)
    postgres = connection.vendor == "postgresql"
    sizes = sorted(args.rows or ([100_000, 1_000_000] if postgres else [10_000, 100_000]))
    files = {rows: bench_import.input_file(rows) for rows in sizes}
    sync_province()
    if postgres:
        print(f"PostgreSQL: {server_settings()}; {os.cpu_count()} CPUs", flush=True)
    print(f"project byte-compiled first, as the image does at build: {compile_project():.1f} s", flush=True)
    table = []
    importer_rate = None
    try:
        for rows in sizes:
            slug = SLUG.format(rows=rows)
            print(f"\n== {rows:,} responses ({files[rows].name}, campaign {slug})", flush=True)
            loaded = None
            if args.reuse and stored_responses(slug) == rows:
                print("reusing the loaded campaign (--reuse): no load measured", flush=True)
            else:
                loaded = load(slug, files[rows], rows, importer_rate, args.fast_load)
                how = "fast path (COPY, not the importer)" if loaded["fast"] else "import_responses"
                rate = loaded["rows"] / loaded["wall"]
                copy_note = f"; of which COPY {loaded['copy']:.1f} s" if "copy" in loaded else ""
                print(
                    f"load by {how}: {loaded['rows']:,} rows in {loaded['wall']:.1f} s = {rate:,.0f} rows/s "
                    f"(process {loaded['process_wall']:.1f} s, peak RSS {loaded['rss_peak_kb'] / 1024:.0f} MB"
                    f"{copy_note}); "
                    f"VACUUM ANALYZE {loaded['vacuum']:.1f} s",
                    flush=True,
                )
                if not loaded["fast"]:
                    importer_rate = rate
            # The first computation after a load finds no tally: it aggregates every response and closes one.
            from reports.models import CountTally

            CountTally.objects.filter(campaign__slug=slug).delete()
            connection.close()
            cold, _output, _startup = compute_command(slug, 1)
            print(
                f"first compute_index {slug} (no tally yet: every response aggregated, tally closed): "
                f"wall {cold[0][0]:.2f} s, peak RSS {cold[0][1] / 1024:.0f} MB",
                flush=True,
            )
            measured, output, startup = compute_command(slug, args.runs)
            walls = [wall for wall, _peak in measured]
            print("compute_index output (last run):\n  " + output.replace("\n", "\n  "), flush=True)
            print(
                f"compute_index {slug}: wall {', '.join(f'{w:.2f}' for w in walls)} s "
                f"(median {statistics.median(walls):.2f}); peak RSS {max(p for _w, p in measured) / 1024:.0f} MB; "
                f"start-up alone (unknown campaign) {startup[0]:.2f} s, {startup[1] / 1024:.0f} MB; "
                f"the same with --skip-checks {startup[2]:.2f} s",
                flush=True,
            )

            campaign = Campaign.objects.select_related("methodology", "root").get(slug=slug)
            plan = plan_for(campaign)
            statements = StatementTimer()
            started = time.perf_counter()
            with statements:
                compute_campaign_index(campaign=Campaign.objects.select_related("methodology", "root").get(slug=slug))
            in_process = time.perf_counter() - started
            compute_sql = sum(statements.seconds.values())
            print(
                f"compute_campaign_index in this process (no start-up): {in_process:.3f} s, of which SQL "
                f"{compute_sql:.3f} s in {statements.count} statements ({statements.top()}); Python "
                f"{in_process - compute_sql:.3f} s",
                flush=True,
            )

            timings, reference = time_aggregation(aggregate_counts, campaign, plan, args.repeat)
            print(
                f"full aggregation SQL over every response (aggregate_counts: what a computation without a "
                f"tally runs, and the check of tallies; {len(reference)} agencies): "
                f"median {statistics.median(timings):.3f} s, min {min(timings):.3f} s over {len(timings)} runs",
                flush=True,
            )
            variants = {}
            if postgres and rows == sizes[-1]:
                print(
                    "EXPLAIN (ANALYZE, BUFFERS) of the aggregation:\n  " + explain(campaign, plan).replace("\n", "\n  ")
                )
                if not args.no_prototypes:
                    built = build_scratch_tables(campaign, plan)
                    print(f"scratch tables of typed answers built in {built:.1f} s (not part of any timing)")
                    try:
                        for name, function in prototypes(plan).items():
                            # no warm-up: the table is in the cache already
                            times, result = time_aggregation(
                                function, campaign, plan, args.prototype_repeat, warm_up=False
                            )
                            same = all(
                                result.get(agency, {}).get(key) == value
                                for agency, counts in reference.items()
                                for key, value in counts.items()
                                if key in next(iter(result.values()))
                            ) and set(result) == set(reference)
                            variants[name] = (statistics.median(times), same)
                            print(
                                f"prototype '{name}': median {statistics.median(times):.3f} s, "
                                f"min {min(times):.3f} s; same counts as aggregate_counts: {same}",
                                flush=True,
                            )
                    finally:
                        drop_scratch_tables()

            pandas, figures_path = pandas_runs(files[rows], args.runs)
            pandas_seconds = statistics.median(p["seconds"] for p in pandas)
            pandas_process = statistics.median(p["process_wall"] for p in pandas)
            print(
                f"pandas {pandas[0]['pandas']} (read + figures, timed inside its process): "
                f"{', '.join(format(p['seconds'], '.2f') for p in pandas)} s (median {pandas_seconds:.2f}; "
                f"reading alone {statistics.median(p['read_seconds'] for p in pandas):.2f}); whole process "
                f"(Python and pandas start-up included) median {pandas_process:.2f} s; "
                f"process peak RSS {max(p['rss_peak_kb'] for p in pandas) / 1024:.0f} MB",
                flush=True,
            )
            agencies, compared, sipas_diff, any_diff, mismatches = compare_with_run(slug, figures_path)
            figures_path.unlink(missing_ok=True)
            print(
                f"pandas vs the run: {agencies} agencies, {compared:,} figures compared; largest difference "
                f"SIPAS {sipas_diff:.2e}, any figure {any_diff:.2e}; "
                f"{'all equal to 1e-9' if not mismatches else f'{len(mismatches)} MISMATCHES'}",
                flush=True,
            )
            for line in mismatches[:20]:
                print("  " + line)
            table.append(
                {
                    "rows": rows,
                    "load": loaded,
                    "cold": cold[0][0],
                    "compute": statistics.median(walls),
                    "compute_rss": max(p for _w, p in measured),
                    "startup": startup[0],
                    "in_process": in_process,
                    "sql": compute_sql,
                    "full_sql": statistics.median(timings),
                    "pandas": pandas_seconds,
                    "pandas_process": pandas_process,
                    "pandas_rss": max(p["rss_peak_kb"] for p in pandas),
                    "equal": not mismatches,
                    "variants": variants,
                }
            )
    finally:
        if not (args.keep or args.reuse):
            for rows in sizes:
                tear_down(SLUG.format(rows=rows))
            vacuum()
    summary(table)


def summary(table: list[dict]) -> None:
    def load_text(load: dict | None) -> str:
        if load is None:
            return "reused"
        return f"{load['rows'] / load['wall']:,.0f}/s, {load['wall']:.1f} s{' (fast path)' if load['fast'] else ''}"

    print("\n| responses | load (rows/s, time) | first compute_index (no tally) | compute_index wall | of which "
          "start-up | in-process compute | its SQL | full aggregation SQL | compute_index peak RSS | pandas "
          "| pandas process | pandas peak RSS | ratio | ratio, process to process | figures equal |")  # fmt: skip
    print("|" + " --- |" * 15)
    for row in table:
        print(
            f"| {row['rows']:,} | {load_text(row['load'])} | {row['cold']:.2f} s | {row['compute']:.2f} s "
            f"| {row['startup']:.2f} s | {row['in_process']:.3f} s | {row['sql']:.3f} s | {row['full_sql']:.3f} s "
            f"| {row['compute_rss'] / 1024:.0f} MB | {row['pandas']:.2f} s | {row['pandas_process']:.2f} s "
            f"| {row['pandas_rss'] / 1024:.0f} MB | {row['compute'] / row['pandas']:.2f} "
            f"| {row['compute'] / row['pandas_process']:.2f} | {'yes' if row['equal'] else 'NO'} |"
        )
    if not table:
        return
    largest = table[-1]
    print(
        f"\ngoal compute_index / pandas <= 0.2 at {largest['rows']:,}: {largest['compute'] / largest['pandas']:.2f} "
        f"({'met' if largest['compute'] / largest['pandas'] <= 0.2 else 'NOT met'}); process to process "
        f"{largest['compute'] / largest['pandas_process']:.2f}"
    )
    print(
        f"  the floor of any manage.py command here: its start-up alone is {largest['startup']:.2f} s, "
        f"{largest['startup'] / largest['pandas']:.2f} of pandas ({largest['startup'] / largest['pandas_process']:.2f} "
        f"process to process); the computation adds {largest['compute'] - largest['startup']:.2f} s"
    )
    if len(table) > 1:
        growth = table[-1]["compute_rss"] / table[0]["compute_rss"]
        print(
            f"goal peak RSS not growing: {table[0]['compute_rss'] / 1024:.0f} MB -> "
            f"{table[-1]['compute_rss'] / 1024:.0f} MB (x{growth:.2f}, {'met' if growth < 1.1 else 'NOT met'})"
        )
    print(
        f"goal the computation's own SQL well under 1 s: {largest['sql']:.3f} s "
        f"({'met' if largest['sql'] < 0.5 else 'NOT met'}); without a tally (first computation) the full "
        f"aggregation takes {largest['full_sql']:.3f} s"
    )
    for name, (seconds, same) in largest["variants"].items():
        print(f"  prototype '{name}': {seconds:.3f} s, same counts: {same}")


if __name__ == "__main__":
    main()
