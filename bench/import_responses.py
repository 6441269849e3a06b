"""Response import: `import_responses` over synthetic files of 100,000 and 1,000,000 rows (~1,000 agencies).

Prints rows/s, wall time and peak RSS (ru_maxrss) of each run. Every import runs in its own process, so each
peak is that run's own: the 1,000,000-row peak staying near the 100,000-row one shows that memory does not
grow with the file. A last run imports a file with a client_id column twice (the second imports nothing).
The target (issue 7) is ≥ 50,000 rows/s on PostgreSQL; on SQLite the sizes are smaller and only show it works.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench .venv/bin/python bench/run.py import_responses.py
    .venv/bin/python bench/import_responses.py --rows 100000   (one size; DATABASE_URL as for bench/run.py)

Input files are cached in var/bench/ (generating a million rows takes a while); the bench campaign and its
responses are deleted at the end, so other benchmarks find the database as they left it.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import make_responses_csv  # noqa: E402

SLUG = "bench-import"
PROVINCE = "BENCH"
DEPARTMENTS = 40
COMMUNES = 960
PERIOD = (datetime.date(2025, 3, 1), datetime.date(2025, 5, 31))
FILES = ROOT / "var" / "bench"


def ensure_database() -> None:
    url = os.environ["DATABASE_URL"]
    if url.startswith("postgres"):
        import psycopg2

        base, name = url.rsplit("/", 1)
        conn = psycopg2.connect(f"{base}/postgres")
        conn.autocommit = True
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not cursor.fetchone():
                cursor.execute(f'CREATE DATABASE "{name}"')
        conn.close()


def agency_codes() -> list[str]:
    return [f"{PROVINCE}.S{i:02d}" for i in range(DEPARTMENTS)] + [f"B{i:04d}" for i in range(COMMUNES)]


def set_up() -> None:
    """A province of ~1,000 agencies and an open campaign over all of them (a fresh one on every run)."""
    from agencies.models import Agency, AgencyKind
    from agencies.rows import AgencyRow
    from agencies.services import sync_agencies
    from surveys.models import CampaignState, Channel, Methodology
    from surveys.services.campaigns import create_campaign, transition_campaign

    rows = [AgencyRow(PROVINCE, "Tỉnh Thử Nghiệm", AgencyKind.PROVINCE, "tỉnh")]
    rows += [AgencyRow(code, f"Sở số {code[-2:]}", AgencyKind.DEPARTMENT, "sở", PROVINCE) for code in agency_codes()[:DEPARTMENTS]]  # fmt: skip
    rows += [AgencyRow(code, f"Xã số {code[1:]}", AgencyKind.COMMUNE, "xã", PROVINCE) for code in agency_codes()[DEPARTMENTS:]]  # fmt: skip
    sync_agencies(rows, source="bench")
    tear_down()
    campaign = create_campaign(
        year=2025, name="Bench import", slug=SLUG, root=Agency.objects.get(code=PROVINCE),
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=PERIOD[0], period_end=PERIOD[1],
        channels=[Channel.PAPER, Channel.POST, Channel.ENUMERATOR], level_samples={"department": 200, "commune": 150},
    )  # fmt: skip
    transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)
    print(f"campaign {SLUG}: {campaign.participants.count()} agencies surveyed", flush=True)


def delete_responses() -> None:
    """Raw SQL: the ORM would load a million rows to cascade the delete."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM surveys_responseflag WHERE response_id IN (SELECT r.id FROM surveys_response r "
            "JOIN surveys_campaign c ON c.id = r.campaign_id WHERE c.slug = %s)",
            [SLUG],
        )
        cursor.execute(
            "DELETE FROM surveys_response WHERE campaign_id IN (SELECT id FROM surveys_campaign WHERE slug = %s)",
            [SLUG],
        )
        if connection.vendor == "postgresql":
            cursor.execute("VACUUM ANALYZE surveys_response")


def tear_down() -> None:
    from surveys.models import Campaign

    delete_responses()
    Campaign.objects.filter(slug=SLUG).delete()


def input_file(rows: int, *, client_ids: bool = False) -> Path:
    FILES.mkdir(parents=True, exist_ok=True)
    path = FILES / f"responses-{rows}{'-ids' if client_ids else ''}.csv"
    if not path.exists():
        started = time.perf_counter()
        generated = make_responses_csv.generate_rows(
            rows=rows, agency_codes=agency_codes(), start=PERIOD[0], end=PERIOD[1], client_ids=client_ids
        )
        make_responses_csv.write_csv(path.with_suffix(".tmp"), generated, client_ids=client_ids)
        path.with_suffix(".tmp").rename(path)
        print(f"generated {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
    return path


def run_child(path: Path, *, profile: bool = False) -> dict:
    """One import in a fresh process, so ru_maxrss is this import's own peak."""
    command = [sys.executable, __file__, "--child", str(path)] + (["--profile"] if profile else [])
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(path: Path, *, profile: bool = False) -> None:
    from surveys.models import Campaign
    from surveys.services.imports import import_responses

    campaign = Campaign.objects.select_related("methodology").get(slug=SLUG)
    server = _server_cpu_seconds()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    started = time.perf_counter()
    if profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        report = profiler.runcall(import_responses, campaign=campaign, source=path)
        pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    else:
        report = import_responses(campaign=campaign, source=path)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    server = _server_cpu_seconds() - server
    print(json.dumps({"rows": report.rows, "imported": report.imported, "flagged": report.flagged,
                      "skipped": report.skipped, "wall": wall, "cpu": cpu, "server_cpu": server,
                      "rss_before_kb": before, "rss_peak_kb": peak}))  # fmt: skip


def _server_cpu_seconds() -> float:
    """CPU time of this connection's PostgreSQL backend so far, when it runs on this machine (else 0)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def copy_floor() -> tuple[int, float]:
    """PostgreSQL's own floor for storing the imported rows on this machine: the campaign's stored responses,
    exported with COPY, copied back in one transaction into a plain table of the same columns with no key,
    index or trigger (no Python, no checks). Returns (rows, seconds of the COPY and its commit)."""
    from django.db import connection

    with tempfile.TemporaryFile() as spool:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_copy_floor")
            cursor.execute("CREATE TABLE bench_copy_floor (LIKE surveys_response INCLUDING DEFAULTS)")
            cursor.cursor.copy_expert(
                "COPY (SELECT r.* FROM surveys_response r JOIN surveys_campaign c ON c.id = r.campaign_id "
                f"WHERE c.slug = '{SLUG}') TO STDOUT",
                spool,
            )
        spool.seek(0)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.cursor.copy_expert("COPY bench_copy_floor FROM STDIN", spool)
            rows = cursor.cursor.rowcount
            cursor.execute("COMMIT")
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE bench_copy_floor")
    return rows, seconds


def show(label: str, figures: dict) -> None:
    rate = figures["rows"] / figures["wall"] if figures["wall"] else 0
    print(
        f"{label}: {figures['rows']:,} rows in {figures['wall']:.2f} s = {rate:,.0f} rows/s; "
        f"imported {figures['imported']:,}, flagged {figures['flagged']:,}, skipped {figures['skipped']:,}; "
        f"CPU: import {figures['cpu']:.1f} s, database server {figures['server_cpu']:.1f} s; "
        f"peak RSS {figures['rss_peak_kb'] / 1024:.0f} MB (before the import {figures['rss_before_kb'] / 1024:.0f} MB)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append", help="file sizes to import (repeatable)")
    parser.add_argument("--no-client-ids", action="store_true", help="skip the client_id run and its re-import")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of each import to stderr")
    parser.add_argument("--keep", action="store_true", help="keep the campaign and its responses afterwards")
    parser.add_argument(
        "--floor",
        action="store_true",
        help="after the largest import, time PostgreSQL copying the same rows into a table with no key, index or "
        "trigger: the rate no importer can beat on this machine",
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    if not os.environ.get("DATABASE_URL"):  # never the development database (var/sipas.sqlite3)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    if not args.child:
        ensure_database()
    import django

    django.setup()
    from django.db import connection

    if args.child:
        child(args.child, profile=args.profile)
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    postgres = connection.vendor == "postgresql"
    sizes = args.rows or ([100_000, 1_000_000] if postgres else [10_000, 100_000])
    files = {rows: input_file(rows) for rows in sizes}
    with_ids = None if args.no_client_ids else input_file(min(sizes), client_ids=True)
    set_up()
    connection.close()  # the children write; this process only sets up and cleans up
    try:
        for rows, path in files.items():
            show(f"import {path.name}", run_child(path, profile=args.profile))
            if args.floor and postgres and rows == max(sizes):
                copied, seconds = copy_floor()
                print(
                    f"floor: PostgreSQL copying the same {copied:,} rows into a table with no key, index or trigger "
                    f"(one transaction, no Python): {seconds:.2f} s = {copied / seconds:,.0f} rows/s",
                    flush=True,
                )
            delete_responses()
            connection.close()
        if with_ids:
            show(f"import {with_ids.name}", run_child(with_ids, profile=args.profile))
            show(f"import {with_ids.name} again", run_child(with_ids, profile=args.profile))
    finally:
        if not args.keep:
            tear_down()
    if postgres:
        print("target: >= 50,000 rows/s on PostgreSQL for 1,000,000 rows, memory not growing with the file")


if __name__ == "__main__":
    main()
