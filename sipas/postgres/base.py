"""Django's PostgreSQL backend, starting the embedded server on the first connection (sipas.postgres.server)."""

from __future__ import annotations

from pathlib import Path

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        from sipas.postgres.server import start

        options = self.settings_dict.get("EMBEDDED", {})
        server = start(Path(options["DATA_DIR"]), options.get("DATABASE", "sipas"))
        # Filled in here, not in settings: the socket folder is known once the server runs. Subprocesses (a Celery
        # worker in the tests) read it from settings_dict.
        self.settings_dict["HOST"] = server.socket_dir
        self.settings_dict["PORT"] = str(server.port)
        self.settings_dict["USER"] = self.settings_dict.get("USER") or server.user
        return super().get_connection_params()
