"""The officer's campaign pages at national scale: `/campaigns/` and `/campaigns/<slug>/` with 1,000,000
responses stored over ~1,000 agencies (issue 15, point 9: at most 200 ms of server time each).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench_speed \
        .venv/bin/python bench/campaign_pages.py [--rows 1000000] [--runs 15] [--reuse] [--explain]

Builds the bench data once: the province of bench/import_responses.py (40 departments, 960 communes), an open
campaign `bench-pages` over them that also takes web and QR answers until a year from the day it is built
(bench/citizen_flow.py posts into it), an
officer of the province, and the responses of bench/make_responses_csv.py loaded with
`manage.py import_responses` (timed). With --reuse a campaign that already holds the rows is kept as it is.

Each page is requested in process through Django's test client as a logged-in officer, DEBUG off: one
untimed request, then --runs timed ones. It prints the median and best server time (the whole request:
middleware, view, queries, template), the number of queries and the time spent in them.
"""

from __future__ import annotations

import argparse
import datetime
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_responses as bench_import  # noqa: E402

SLUG = "bench-pages"
OFFICER = "bench-officer"
CHANNELS = ["paper", "post", "enumerator", "web", "qr"]


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    os.environ["DEBUG"] = "0"
    import django

    django.setup()


def manage(*args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)


def sync_province() -> None:
    from agencies.models import AgencyKind
    from agencies.rows import AgencyRow
    from agencies.services import sync_agencies

    province, departments, codes = bench_import.PROVINCE, bench_import.DEPARTMENTS, bench_import.agency_codes()
    rows = [AgencyRow(province, "Tỉnh Thử Nghiệm", AgencyKind.PROVINCE, "tỉnh")]
    rows += [AgencyRow(code, f"Sở số {code[-2:]}", AgencyKind.DEPARTMENT, "sở", province) for code in codes[:departments]]  # fmt: skip
    rows += [AgencyRow(code, f"Xã số {code[1:]}", AgencyKind.COMMUNE, "xã", province) for code in codes[departments:]]  # fmt: skip
    sync_agencies(rows, source="bench")


def ensure_officer():
    from django.contrib.auth import get_user_model

    from agencies.models import Agency, Membership, Role

    user, _created = get_user_model().objects.get_or_create(username=OFFICER)
    Membership.objects.get_or_create(
        user=user, agency=Agency.objects.get(code=bench_import.PROVINCE), role=Role.OFFICER
    )
    return user


def stored_responses() -> int | None:
    from surveys.models import Campaign, Response

    campaign = Campaign.objects.filter(slug=SLUG).first()
    return None if campaign is None else Response.objects.filter(campaign=campaign).count()


def tear_down() -> None:
    """Raw SQL for the responses: the ORM would load a million rows to cascade the delete."""
    from django.db import connection, transaction

    from surveys.models import Campaign

    with transaction.atomic():
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
        Campaign.objects.filter(slug=SLUG).delete()


def vacuum() -> None:
    """The state autovacuum would leave the table in (visibility map, statistics)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE surveys_response")
        cursor.execute("VACUUM ANALYZE surveys_responseflag")


def build(rows: int, *, reuse: bool) -> None:
    """The province, the campaign and its `rows` responses (kept when --reuse finds them all)."""
    from agencies.models import Agency
    from surveys.models import CampaignState, Methodology
    from surveys.services.campaigns import create_campaign, transition_campaign

    sync_province()
    ensure_officer()
    from surveys.models import Campaign

    campaign = Campaign.objects.filter(slug=SLUG).first()
    open_today = campaign is not None and campaign.period_end >= datetime.date.today()
    if reuse and open_today and stored_responses() >= rows:
        print(f"reusing campaign {SLUG} with {stored_responses():,} responses (--reuse)", flush=True)
        return
    tear_down()
    # The period holds the file's answers (spring 2025) and today, so that bench/citizen_flow.py can answer online.
    start, end = bench_import.PERIOD[0], datetime.date.today() + datetime.timedelta(days=365)
    campaign = create_campaign(
        year=2025, name="Bench pages", slug=SLUG, root=Agency.objects.get(code=bench_import.PROVINCE),
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=start, period_end=end,
        channels=CHANNELS, level_samples={"department": 200, "commune": 150},
    )  # fmt: skip
    transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)
    path = bench_import.input_file(rows)
    from django.db import connection

    connection.close()
    started = time.perf_counter()
    manage("import_responses", SLUG, str(path))
    wall = time.perf_counter() - started
    print(f"import_responses {SLUG} {path.name}: {rows:,} rows in {wall:.1f} s ({rows / wall:,.0f} rows/s)", flush=True)
    vacuum()


class QueryTimer:
    """Counts the queries of a request and the time spent in them."""

    def __init__(self):
        self.count, self.seconds, self.statements = 0, 0.0, []

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.count += 1
            self.seconds += elapsed
            self.statements.append((elapsed, sql))


def measure(client, url: str, runs: int) -> dict:
    from django.db import connection

    response = client.get(url, secure=True)  # untimed: the first request loads templates and warms the plan cache
    assert response.status_code == 200, (url, response.status_code)
    times, timers = [], []
    for _ in range(runs):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            started = time.perf_counter()
            response = client.get(url, secure=True)
            times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
        timers.append(timer)
    median_timer = sorted(timers, key=lambda t: t.seconds)[len(timers) // 2]
    return {
        "url": url,
        "median": statistics.median(times),
        "best": min(times),
        "queries": median_timer.count,
        "sql": statistics.median(t.seconds for t in timers),
        "slowest": max(median_timer.statements)[1][:200] if median_timer.statements else "",
        "bytes": len(response.content),
    }


def explain() -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the detail page's queries, captured from one request."""
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(ensure_officer())
    for url in ("/campaigns/", f"/campaigns/{SLUG}/"):
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            client.get(url, secure=True)
        for elapsed, sql in sorted(timer.statements, reverse=True)[:2]:
            print(f"\n{url}: {elapsed * 1000:.1f} ms\n{sql}")
    # Re-run the slowest statements under EXPLAIN with their parameters (captured once more, with params).
    captured = []

    def keep(execute, sql, params, many, context):
        started = time.perf_counter()
        result = execute(sql, params, many, context)
        captured.append((time.perf_counter() - started, sql, params))
        return result

    for url in ("/campaigns/", f"/campaigns/{SLUG}/"):
        captured.clear()
        with connection.execute_wrapper(keep):
            client.get(url, secure=True)
        _elapsed, sql, params = max(captured, key=lambda item: item[0])
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print(f"\nEXPLAIN of the slowest query of {url}:")
            print("\n".join(row[0] for row in cursor.fetchall()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses in the campaign (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=15, help="timed requests per page (default 15)")
    parser.add_argument("--reuse", action="store_true", help="keep a campaign already loaded with the rows")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each page's slowest query")
    parser.add_argument("--build-only", action="store_true", help="build the bench data and stop")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL bench database (it is created if missing).")
    os.environ["DEBUG"] = "0"
    bench_import.ensure_database()
    manage("migrate", "--no-input", "-v", "0")
    manage("collectstatic", "--no-input", "-v", "0")  # DEBUG off serves the hashed names from the manifest
    django_setup()
    build(args.rows, reuse=args.reuse)
    if args.build_only:
        return
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(ensure_officer())
    print(f"{stored_responses():,} responses in {SLUG}; {args.runs} timed requests per page after one untimed")
    for url in ("/campaigns/", f"/campaigns/{SLUG}/"):
        r = measure(client, url, args.runs)
        print(
            f"{r['url']:<28} median {r['median'] * 1000:7.1f} ms  best {r['best'] * 1000:7.1f} ms  "
            f"{r['queries']} queries, {r['sql'] * 1000:.1f} ms of SQL  {r['bytes']:,} bytes",
            flush=True,
        )
    if args.explain:
        explain()


if __name__ == "__main__":
    main()
