"""Index computation, cold (there is no cache: every computation is one GROUP BY over the campaign's responses),
over 100,000 and 1,000,000 responses of ~1,000 agencies, with the peak memory of the computing process.

For each size, a closed SIPAS-2017 campaign over the bench province of import_responses.py (40 departments and
960 communes) is loaded with the project's importer (`manage.py import_responses`) from the file of
make_responses_csv.py (cached in var/bench/), followed by VACUUM ANALYZE (the state autovacuum leaves the table
in). Then `manage.py compute_index SLUG` runs --runs times, each in a fresh process: its wall time, the time of
compute_campaign_index inside it, and its peak RSS (GNU time). Last, the run's figures are compared with
bench/pandas_reference.py's on the same file (every figure of every agency, to 1e-9): a check, not a race.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench .venv/bin/python bench/compute_index.py
        [--rows 100000 --rows 1000000] [--runs 3] [--reuse] [--no-check] [--explain]

--reuse keeps the loaded campaigns for the next invocation (and uses them if present). Goals (issue 15): at most
2 s for 100,000 responses and 20 s for 1,000,000; peak RSS not growing with the number of responses.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_responses as bench_import  # noqa: E402  (the bench province and its cached files)

SLUG = "bench-compute-{rows}"
MIN_SAMPLE = 50  # per agency, so that agencies are ranked at both sizes (~100 and ~1,000 responses each)
TOLERANCE = 1e-9
GOALS = {100_000: 2.0, 1_000_000: 20.0}


def manage(*arguments: str) -> list[str]:
    return [sys.executable, str(ROOT / "manage.py"), *arguments]


def measured(command: list[str]) -> tuple[str, float, int]:
    """(stdout, wall seconds, peak RSS in KB) of a child process run under GNU time; fails on a non-zero exit."""
    with tempfile.NamedTemporaryFile("r") as peak:
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", peak.name, *command], cwd=ROOT, capture_output=True, text=True
        )
        wall = time.perf_counter() - started
        if done.returncode:
            sys.exit(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout, wall, int(peak.read().split()[-1])


def load(slug: str, rows: int) -> str:
    """The campaign `slug` with `rows` responses imported and closed; returns what was done."""
    from agencies.models import Agency
    from surveys.models import Campaign, CampaignState, Channel, Methodology
    from surveys.services.campaigns import create_campaign, transition_campaign

    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is not None and campaign.responses.count() == rows:
        return f"{rows:,} responses already loaded"
    if campaign is not None:
        tear_down(slug)
    path = bench_import.input_file(rows)
    start, end = bench_import.PERIOD
    campaign = create_campaign(
        year=2025, name=f"Bench compute {slug}", slug=slug, root=Agency.objects.get(code=bench_import.PROVINCE),
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=start, period_end=end,
        channels=[Channel.PAPER, Channel.POST, Channel.ENUMERATOR],
        level_samples={"department": MIN_SAMPLE, "commune": MIN_SAMPLE},
    )  # fmt: skip
    transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)
    _out, wall, _peak = measured(manage("import_responses", slug, str(path)))
    transition_campaign(campaign=Campaign.objects.get(slug=slug), to_state=CampaignState.CLOSED)
    vacuum()
    return f"imported {path.name} in {wall:.1f} s ({rows / wall:,.0f} rows/s, manage.py import_responses)"


def tear_down(slug: str) -> None:
    """Raw SQL for the responses: the ORM would load a million rows to cascade the delete."""
    from django.db import connection, transaction

    from reports.models import IndexRun
    from surveys.models import Campaign

    with transaction.atomic(), connection.cursor() as cursor:
        IndexRun.objects.filter(campaign__slug=slug).delete()
        responses = (
            "SELECT r.id FROM surveys_response r JOIN surveys_campaign c ON c.id = r.campaign_id WHERE c.slug = %s"
        )
        cursor.execute(f"DELETE FROM surveys_responseflag WHERE response_id IN ({responses})", [slug])
        cursor.execute(f"DELETE FROM surveys_response WHERE id IN ({responses})", [slug])
        Campaign.objects.filter(slug=slug).delete()


def vacuum() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE surveys_response")


def child(slug: str) -> None:
    """`manage.py compute_index SLUG` with the computation's own time (from the command's start to its summary)
    printed after it."""
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("compute_index", slug)
    print(json.dumps({"computation": time.perf_counter() - started}))


def compare_with_pandas(slug: str, path: Path) -> str:
    """Every figure pandas_reference.py gives per agency against the campaign's latest run."""
    from reports.models import IndexRun

    with tempfile.NamedTemporaryFile("r", suffix=".json") as out:
        subprocess.run([sys.executable, str(ROOT / "bench" / "pandas_reference.py"), str(path), "--out", out.name],
                       cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        expected = json.loads(Path(out.name).read_text(encoding="utf-8"))
    run = IndexRun.objects.filter(campaign__slug=slug).order_by("-number").first()
    results = {r.agency.code: r.figures for r in run.agency_results.select_related("agency")}
    mismatches: list[str] = []
    compared = 0

    def walk(code: str, where: str, ours, theirs) -> None:
        nonlocal compared
        if isinstance(theirs, dict):
            for key, value in theirs.items():
                walk(code, f"{where}.{key}", (ours or {}).get(key), value)
            return
        compared += 1
        same = ours is None and theirs is None
        if ours is not None and theirs is not None:
            same = abs(float(ours) - float(theirs)) <= TOLERANCE
        if not same:
            mismatches.append(f"{code} {where}: run {ours!r}, pandas {theirs!r}")

    if set(expected) != set(results):
        mismatches.append(f"agencies differ: {sorted(set(expected) ^ set(results))[:10]}")
    for code in sorted(set(expected) & set(results)):
        walk(code, "", results[code], expected[code])
    if mismatches:
        return f"MISMATCH with pandas_reference.py ({len(mismatches)}): " + "; ".join(mismatches[:5])
    return f"equal to pandas_reference.py: {compared:,} figures of {len(results):,} agencies (to {TOLERANCE:g})"


def explain(slug: str) -> str:
    from django.db import connection

    from reports.services.aggregate import aggregation_sql, plan_for
    from surveys.models import Campaign

    campaign = Campaign.objects.select_related("methodology").get(slug=slug)
    sql, _names = aggregation_sql(plan_for(campaign))
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, [campaign.pk])
        return "\n".join(row[0] for row in cursor.fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, action="append", help="responses per campaign (repeatable)")
    parser.add_argument("--runs", type=int, default=3, help="computations per size, each in a fresh process")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded campaigns (and use them if present)")
    parser.add_argument("--no-check", action="store_true", help="skip the comparison with pandas_reference.py")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the aggregation")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    if args.child:
        child(args.child)
        return
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database of its own (it is filled with benchmark data)")
    bench_import.ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    bench_import.set_up()  # the bench province (and an empty import campaign, removed here)
    bench_import.tear_down()
    for rows in args.rows or [100_000, 1_000_000]:
        slug = SLUG.format(rows=rows)
        print(f"== {rows:,} responses, {len(bench_import.agency_codes()):,} agencies: {load(slug, rows)}", flush=True)
        connection.close()  # the children read and write; this process waits
        timings = []
        for number in range(1, args.runs + 1):
            out, wall, peak = measured([sys.executable, __file__, "--child", slug])
            computation = json.loads(out.strip().splitlines()[-1])["computation"]
            timings.append(computation)
            print(f"compute_index #{number}: {computation:.2f} s computing, {wall:.2f} s the whole process; "
                  f"peak RSS {peak / 1024:.0f} MB — {out.splitlines()[1]}", flush=True)  # fmt: skip
        goal = GOALS.get(rows)
        verdict = (
            ""
            if goal is None
            else f" (goal ≤ {goal:g} s, median: {'met' if statistics.median(timings) <= goal else 'NOT met'})"
        )
        print(f"compute_index over {rows:,}: median {statistics.median(timings):.2f} s, worst {max(timings):.2f} s"
              f"{verdict}", flush=True)  # fmt: skip
        if args.explain:
            print(explain(slug), flush=True)
        if not args.no_check:
            print(compare_with_pandas(slug, bench_import.input_file(rows)), flush=True)
        if not args.reuse:
            tear_down(slug)
        connection.close()


if __name__ == "__main__":
    main()
