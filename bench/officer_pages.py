"""The officer's index dashboard (/index/<slug>/) at national scale: 1,000,000 responses over ~1,000 agencies.

Builds (or, with --reuse, finds) a closed SIPAS-2017 campaign over the bench province of import_responses.py
(40 departments and 960 communes), loaded from the cached file of make_responses_csv.py with
`manage.py import_responses` and computed with `manage.py compute_index`, each in its own process. Then it
logs an officer of the province in with Django's test Client (in this process: no network, no server
start-up) and requests the dashboard (each level's headline, the top and bottom of its ranking), a page of the
communes' whole ranking and one agency page, --requests times after an untimed first request.
It prints the median, lowest and highest server time of each page and its number of queries.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench .venv/bin/python bench/officer_pages.py [--reuse]
        [--rows 1000000] [--requests 9] [--keep]

Goal (issue 15, point 9): /index/<slug>/ answers in at most 200 ms with 1,000,000 responses stored.
--reuse keeps what it finds (or builds) for the next run, so a change can be measured without reloading a
million rows; without --reuse the campaign is built afresh and deleted at the end (--keep keeps it).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import import_responses as bench_import  # noqa: E402  (the bench province and its cached files)

SLUG = "bench-officer-{rows}"
OFFICER = "bench-officer"
MIN_SAMPLE = 50
AGENCY_PAGE = "B0001"  # a commune of the bench province


def manage(*args: str) -> float:
    """Run a manage.py command in its own process; its wall time."""
    started = time.perf_counter()
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], check=True, cwd=ROOT)
    return time.perf_counter() - started


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


def build(slug: str, rows: int) -> None:
    """A closed campaign with `rows` imported responses and one computed run."""
    from agencies.models import Agency
    from surveys.models import Campaign, CampaignState, Channel, Methodology
    from surveys.services.campaigns import create_campaign, transition_campaign

    path = bench_import.input_file(rows)
    sync_province()
    start, end = bench_import.PERIOD
    campaign = create_campaign(
        year=2025, name=f"Bench officer pages {rows:,}", slug=slug,
        root=Agency.objects.get(code=bench_import.PROVINCE), methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=start, period_end=end, channels=[Channel.PAPER, Channel.POST, Channel.ENUMERATOR],
        level_samples={"department": MIN_SAMPLE, "commune": MIN_SAMPLE},
    )  # fmt: skip
    transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)
    from django.db import connection

    connection.close()  # the children write
    print(f"import_responses {path.name}: {manage('import_responses', slug, str(path)):.1f} s", flush=True)
    transition_campaign(campaign=Campaign.objects.get(slug=slug), to_state=CampaignState.CLOSED)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE surveys_response")  # the state autovacuum would leave the table in
    connection.close()
    print(f"compute_index: {manage('compute_index', slug):.1f} s", flush=True)


def tear_down(slug: str) -> None:
    """Raw SQL for the responses: the ORM would load a million rows to cascade the delete."""
    from django.db import connection, transaction

    from reports.models import IndexRun
    from surveys.models import Campaign

    with transaction.atomic():
        IndexRun.objects.filter(campaign__slug=slug).delete()
        with connection.cursor() as cursor:
            for sql in (
                "DELETE FROM surveys_responseflag WHERE response_id IN (SELECT r.id FROM surveys_response r "
                "JOIN surveys_campaign c ON c.id = r.campaign_id WHERE c.slug = %s)",
                "DELETE FROM surveys_response WHERE campaign_id IN (SELECT id FROM surveys_campaign WHERE slug = %s)",
            ):
                cursor.execute(sql, [slug])
        Campaign.objects.filter(slug=slug).delete()


def officer():
    from django.contrib.auth import get_user_model

    from agencies.models import Agency, Role
    from agencies.services import grant_membership

    user, _created = get_user_model().objects.get_or_create(username=OFFICER)
    grant_membership(user=user, agency=Agency.objects.get(code=bench_import.PROVINCE), role=Role.OFFICER)
    return user


def measure(client, url: str, requests: int) -> tuple[list[float], int]:
    """Server times of `requests` GETs after an untimed first one, the CPU time of this process in each (Python's
    share, which other work on a shared machine disturbs less), and the number of queries of one."""
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):  # CaptureQueriesContext loses the queries a request resets
        first = client.get(url, secure=True)
    if first.status_code != 200:
        raise SystemExit(f"GET {url} answered {first.status_code}")
    times, cpu = [], []
    for _i in range(requests):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url, secure=True)
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        assert response.status_code == 200
    return times, cpu, len(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="responses in the campaign")
    parser.add_argument("--requests", type=int, default=9, help="timed requests per page")
    parser.add_argument("--reuse", action="store_true", help="reuse the campaign if present; keep it afterwards")
    parser.add_argument("--keep", action="store_true", help="keep the campaign afterwards")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL database of its own (it is migrated and filled)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    bench_import.ensure_database()
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from surveys.models import Campaign

    call_command("migrate", verbosity=0)
    # As the tests do: static URLs without the manifest that `collectstatic` writes for a deployment.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    slug = SLUG.format(rows=args.rows)
    stored = Campaign.objects.filter(slug=slug, runs__isnull=False).exists()
    if stored and args.reuse:
        print(f"reusing {slug}", flush=True)
    else:
        tear_down(slug)
        build(slug, args.rows)
    try:
        campaign = Campaign.objects.get(slug=slug)
        print(f"{slug}: {campaign.responses.count():,} responses, {campaign.participants.count():,} agencies")
        client = Client()
        client.cookies["django_language"] = "vi"
        client.force_login(officer())
        pages = (f"/index/{slug}/", f"/index/{slug}/ranking/commune/?page=5", f"/index/{slug}/agency/{AGENCY_PAGE}/")
        for url in pages:
            times, cpu, queries = measure(client, url, args.requests)
            print(
                f"GET {url}: median {statistics.median(times) * 1000:.0f} ms (lowest {min(times) * 1000:.0f}, "
                f"highest {max(times) * 1000:.0f}; {len(times)} requests; Python CPU median "
                f"{statistics.median(cpu) * 1000:.0f} ms), {queries} queries",
                flush=True,
            )
    finally:
        if not (args.reuse or args.keep):
            tear_down(slug)
    print("goal: /index/<slug>/ in at most 200 ms with 1,000,000 responses stored")


if __name__ == "__main__":
    main()
