"""The documents of a run for a province of ~1,000 agencies (the bench province of import_responses.py: 40
departments and 960 communes): the report as PDF and DOCX, and the anonymised raw responses as a workbook,
each written by `manage.py export_report` in a fresh process, timed, with its peak RSS (GNU time).

For each --rows size, a closed SIPAS-2017 campaign is loaded with the project's importer and computed, exactly as
bench/compute_index.py does (`manage.py import_responses`, then `manage.py compute_index`); the report's
figures do not depend on the number of responses, the raw responses do, so the workbook's peak RSS is compared
across sizes: it must not grow with the rows (openpyxl write-only mode, a server-side cursor).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sipas_bench_docs .venv/bin/python bench/documents.py
        [--rows 100000 --rows 1000000] [--reuse]

Goals (issue 17): the report for 1,000 agencies in at most 60 s as PDF and 30 s as DOCX; the raw responses'
memory not growing with the rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import compute_index as bench_compute  # noqa: E402  (loading and timing, shared)
import import_responses as bench_import  # noqa: E402  (the bench province and its cached files)

SLUG = "bench-docs-{rows}"
GOALS = {("report", "pdf"): 60.0, ("report", "docx"): 30.0}
DOCUMENTS = [("report", "pdf"), ("report", "docx"), ("decision", "pdf"), ("responses", "xlsx")]


def export(slug: str, document: str, fmt: str, out: Path) -> tuple[float, int, int]:
    """(wall seconds, peak RSS KB, bytes) of `manage.py export_report` writing one document."""
    _stdout, wall, peak = bench_compute.measured(
        bench_compute.manage("export_report", slug, "--document", document, "--format", fmt, "--out", str(out))
    )
    return wall, peak, out.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, action="append", help="responses per campaign (repeatable)")
    parser.add_argument("--reuse", action="store_true", help="keep the loaded campaigns (and use them if present)")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL database of its own (it is filled with benchmark data)")
    bench_import.ensure_database()
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from reports.models import IndexRun

    call_command("migrate", verbosity=0)
    bench_import.set_up()
    bench_import.tear_down()
    peaks = {}
    for rows in args.rows or [100_000, 1_000_000]:
        slug = SLUG.format(rows=rows)
        print(f"== {rows:,} responses, {len(bench_import.agency_codes()):,} agencies: "
              f"{bench_compute.load(slug, rows)}", flush=True)  # fmt: skip
        if not IndexRun.objects.filter(campaign__slug=slug).exists():
            connection.close()
            subprocess.run(bench_compute.manage("compute_index", slug), cwd=ROOT, check=True, capture_output=True)
        connection.close()
        with tempfile.TemporaryDirectory() as folder:
            for document, fmt in DOCUMENTS:
                wall, peak, size = export(slug, document, fmt, Path(folder) / f"{document}.{fmt}")
                peaks[(rows, document, fmt)] = peak
                goal = GOALS.get((document, fmt))
                verdict = "" if goal is None else f" (goal ≤ {goal:g} s: {'met' if wall <= goal else 'NOT met'})"
                print(f"export_report --document {document} --format {fmt}: {wall:.1f} s, peak RSS "
                      f"{peak / 1024:.0f} MB, {size / 1e6:.1f} MB{verdict}", flush=True)  # fmt: skip
        if not args.reuse:
            bench_compute.tear_down(slug)
        connection.close()
    sizes = sorted({rows for rows, _d, _f in peaks})
    if len(sizes) > 1:
        row = ", ".join(f"{rows:,} rows {peaks[(rows, 'responses', 'xlsx')] / 1024:.0f} MB" for rows in sizes)
        print(f"raw responses, peak RSS by size: {row}", flush=True)


if __name__ == "__main__":
    main()
