"""Run every benchmark in bench/ in its own process, against a database of its own (see bench/README.md).

BENCH_DATABASE_URL selects a PostgreSQL database; without it, the embedded server of `make demo` (var/postgres)
is started and a database `sipas_bench` on it is used, never the demo's own."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = [
    "agency_tree.py",
    "import_responses.py",
    "compute_index.py",
    "campaign_pages.py",
    "officer_pages.py",
    "citizen_flow.py",
]


def bench_database_url() -> str:
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    sys.path.insert(0, str(ROOT))
    from sipas.postgres.server import start

    var = Path(os.environ.get("SIPAS_VAR_DIR") or ROOT / "var")
    server = start(var / "postgres", "sipas_bench")  # held by this process while the benchmarks run
    return f"postgres://{server.user}@{quote(server.socket_dir, safe='')}:{server.port}/sipas_bench"


def main() -> int:
    env = dict(os.environ)
    env["DATABASE_URL"] = bench_database_url()
    env.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    env.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(40))  # benchmarks run with DEBUG off
    failed = 0
    for name in sys.argv[1:] or BENCHMARKS:
        print(f"== {name}", flush=True)
        failed += subprocess.call([sys.executable, str(ROOT / "bench" / name)], env=env, cwd=ROOT) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
