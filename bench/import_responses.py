"""Response import: `import_responses` over synthetic CSV files of 100,000 and 1,000,000 rows (~1,000 agencies).

Prints rows/s, wall time and peak RSS (ru_maxrss) of each run. Every import runs in its own process, so each
peak is that run's own: the 1,000,000-row peak staying near the 100,000-row one shows that memory does not
grow with the file. A last run imports a file with a client_id column twice (the second imports nothing).
The target (issue 15): at least 15,000 rows/s for 1,000,000 rows, memory flat in file size.

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench .venv/bin/python bench/run.py import_responses.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench .venv/bin/python bench/import_responses.py --rows 100000

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
    """Create the database DATABASE_URL names, if it names one that does not exist yet."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return
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


def run_child(path: Path) -> dict:
    """One import in a fresh process, so ru_maxrss is this import's own peak."""
    command = [sys.executable, __file__, "--child", str(path)]
    output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True, cwd=ROOT).stdout
    return json.loads(output.strip().splitlines()[-1])


def child(path: Path) -> None:
    from surveys.models import Campaign
    from surveys.services.imports import import_responses

    campaign = Campaign.objects.select_related("methodology").get(slug=SLUG)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    started = time.perf_counter()
    report = import_responses(campaign=campaign, source=path)
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": report.rows, "imported": report.imported, "flagged": report.flagged,
                      "skipped": report.skipped, "wall": wall, "cpu": cpu,
                      "rss_before_kb": before, "rss_peak_kb": peak}))  # fmt: skip


def show(label: str, figures: dict) -> None:
    rate = figures["rows"] / figures["wall"] if figures["wall"] else 0
    print(
        f"{label}: {figures['rows']:,} rows in {figures['wall']:.2f} s = {rate:,.0f} rows/s; "
        f"imported {figures['imported']:,}, flagged {figures['flagged']:,}, skipped {figures['skipped']:,}; "
        f"CPU of the import process {figures['cpu']:.1f} s; "
        f"peak RSS {figures['rss_peak_kb'] / 1024:.0f} MB (before the import {figures['rss_before_kb'] / 1024:.0f} MB)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append", help="file sizes to import (repeatable)")
    parser.add_argument("--no-client-ids", action="store_true", help="skip the client_id run and its re-import")
    parser.add_argument("--keep", action="store_true", help="keep the campaign and its responses afterwards")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    if not args.child:
        ensure_database()
    import django

    django.setup()
    from django.db import connection

    if args.child:
        child(args.child)
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    sizes = args.rows or [100_000, 1_000_000]
    files = {rows: input_file(rows) for rows in sizes}
    with_ids = None if args.no_client_ids else input_file(min(sizes), client_ids=True)
    set_up()
    connection.close()  # the children write; this process only sets up and cleans up
    try:
        for path in files.values():
            show(f"import {path.name}", run_child(path))
            delete_responses()
            connection.close()
        if with_ids:
            show(f"import {with_ids.name}", run_child(with_ids))
            show(f"import {with_ids.name} again", run_child(with_ids))
    finally:
        if not args.keep:
            tear_down()
    print("target: >= 15,000 rows/s for 1,000,000 rows, memory not growing with the file")


if __name__ == "__main__":
    main()
