"""Run every benchmark in bench/ in its own process, against its own database (see bench/README.md)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ["agency_tree.py", "import_responses.py", "compute_index.py"]


def main() -> int:
    env = dict(os.environ)
    env["DATABASE_URL"] = os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'bench.sqlite3'}"
    env.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    failed = 0
    for name in sys.argv[1:] or BENCHMARKS:
        print(f"== {name} ({env['DATABASE_URL'].split('://')[0]})", flush=True)
        failed += subprocess.call([sys.executable, str(ROOT / "bench" / name)], env=env, cwd=ROOT) != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
