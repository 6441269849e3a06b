"""Agency tree: import the whole country's official list, re-import it, and time subtree queries."""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def ensure_database() -> None:
    import psycopg2

    base, name = os.environ["DATABASE_URL"].rsplit("/", 1)
    conn = psycopg2.connect(f"{base}/postgres")
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if not cursor.fetchone():
            cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def main() -> None:
    ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from agencies import official
    from agencies.models import Agency
    from agencies.selectors import subtree
    from agencies.services import import_province

    call_command("migrate", verbosity=0)
    Agency.objects.all().delete()
    started = time.perf_counter()
    for code in official.all_province_codes():
        import_province(province_code=code)
    first = time.perf_counter() - started
    started = time.perf_counter()
    changed = sum(import_province(province_code=code).changed for code in official.all_province_codes())
    second = time.perf_counter() - started
    total = Agency.objects.count()
    print(f"import 34 provinces: {total} agencies in {first:.2f} s; re-import: {second:.2f} s, {changed} changed")

    roots = list(Agency.objects.filter(parent__isnull=True))
    timings = []
    for _ in range(5):
        for root in roots:
            started = time.perf_counter()
            rows = len(list(subtree(root).values_list("code", flat=True)))
            timings.append(time.perf_counter() - started)
    print(
        f"subtree of a province ({rows} rows in the last): median {statistics.median(timings) * 1000:.2f} ms, "
        f"max {max(timings) * 1000:.2f} ms over {len(timings)} queries"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE agencies_agency")
        sql, params = subtree(roots[0]).values("code").query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(plan)
    print("uses agency_subtree_idx:", "agency_subtree_idx" in plan)


if __name__ == "__main__":
    main()
