"""Shared actors and helpers, healthchecks-style: two provinces, an officer of each, a leader, a staff member
and an enumerator, so every view can be tested for the right and the wrong actor."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.utils import translation
from pytest_django.plugin import blocking_manager_key

from agencies.models import Agency, AgencyKind, Role
from agencies.rows import AgencyRow
from agencies.services import grant_membership, sync_agencies
from sipas.celery import app as celery_app

TREE = [
    AgencyRow("20", "Tỉnh Lạng Sơn", AgencyKind.PROVINCE, "tỉnh"),
    AgencyRow("20.SNV", "Sở Nội vụ", AgencyKind.DEPARTMENT, "sở", "20"),
    AgencyRow("20.STP", "Sở Tư pháp", AgencyKind.DEPARTMENT, "sở", "20"),
    AgencyRow("06001", "Xã Đoàn Kết", AgencyKind.COMMUNE, "xã", "20"),
    AgencyRow("06004", "Phường Đông Kinh", AgencyKind.COMMUNE, "phường", "20"),
    AgencyRow("22", "Tỉnh Quảng Ninh", AgencyKind.PROVINCE, "tỉnh"),
    AgencyRow("07000", "Đặc khu Vân Đồn", AgencyKind.SPECIAL_ZONE, "đặc khu", "22"),
]


@dataclass
class Actors:
    officer_a: object  # officer of province 20
    officer_b: object  # officer of province 22
    manager: object  # leader of 20.STP
    staff: object  # one-stop-shop staff of commune 06001
    enumerator: object  # enumerator of commune 06004
    admin: object


def make_user(username: str, **extra):
    return get_user_model().objects.create_user(username=username, password="correct-horse-battery", **extra)


@pytest.fixture
def tree(db) -> dict[str, Agency]:
    sync_agencies(TREE)
    return {a.code: a for a in Agency.objects.all()}


@pytest.fixture
def actors(tree) -> Actors:
    people = Actors(
        officer_a=make_user("officer_a"),
        officer_b=make_user("officer_b"),
        manager=make_user("manager"),
        staff=make_user("staff"),
        enumerator=make_user("enumerator"),
        admin=get_user_model().objects.create_superuser("admin", password="correct-horse-battery"),
    )
    grant_membership(user=people.officer_a, agency=tree["20"], role=Role.OFFICER)
    grant_membership(user=people.officer_b, agency=tree["22"], role=Role.OFFICER)
    grant_membership(user=people.manager, agency=tree["20.STP"], role=Role.MANAGER)
    grant_membership(user=people.staff, agency=tree["06001"], role=Role.STAFF)
    grant_membership(user=people.enumerator, agency=tree["06004"], role=Role.ENUMERATOR)
    return people


@pytest.fixture(autouse=True)
def _isolated_media_and_eager_celery(settings, tmp_path):
    """Uploads go to a temporary folder; tasks run in-process unless a test asks for a real worker.

    The test client speaks plain HTTP and nothing ran collectstatic, so the HTTPS redirect and the manifest
    storage of production are off here (tests/test_settings.py checks both as deployed)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; strength is not under test
    cache.clear()  # throttling and rate-limit counters must not leak from one test into the next
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    # Every test starts in the portal's default language, whatever a test before it left active (any order).
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()
    celery_app.conf.task_always_eager = previous


@dataclass
class WorkerProcess:
    process: subprocess.Popen
    queue: str
    log: Path


def database_url_for_subprocess() -> str:
    """The test database as a DATABASE_URL for a subprocess (a Celery worker): the server of DATABASE_URL, or the
    embedded one's Unix socket folder (percent-encoded as the host)."""
    from urllib.parse import quote

    from django.db import connection

    connection.ensure_connection()  # the embedded server's socket folder is known once it runs
    db = connection.settings_dict
    host = quote(db["HOST"] or "localhost", safe="")
    password = quote(db["PASSWORD"] or "", safe="")
    return f"postgres://{quote(db['USER'])}:{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def task_outcome(log: Path, task_id: str, timeout: float = 30) -> str:
    """What a real worker logged as the return value of task `task_id` (tasks keep no results: a job's outcome
    lives in its row), waiting for it up to `timeout` seconds."""
    pattern = re.compile(rf"Task [\w.]+\[{re.escape(task_id)}\] succeeded in [\d.]+s: '?([^'\n]*)'?")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = pattern.search(log.read_text(errors="replace")) if log.exists() else None
        if found:
            return found.group(1)
        time.sleep(0.1)
    pytest.fail(f"task {task_id} did not finish within {timeout} s:\n{log.read_text(errors='replace')[-3000:]}")


@pytest.fixture
def migration_data_restored(django_db_blocker):
    """Request it BEFORE `transactional_db`: it is then torn down after that fixture's flush. The flush empties
    every table; content types and permissions come back by themselves (post_migrate), the rows loaded by
    data migrations do not, so the shipped questionnaires (SIPAS-2017, SIPAS-2023) are loaded again for the tests that follow. It is
    also loaded at set-up, in case a transactional test before this one flushed without restoring it."""
    from surveys.methodology import sipas_2017, sipas_2023
    from surveys.services.methodology import load_methodology

    def load_shipped_versions() -> None:
        with django_db_blocker.unblock():
            for version in (sipas_2017, sipas_2023):
                load_methodology(version.definition())

    load_shipped_versions()
    yield
    load_shipped_versions()


@pytest.fixture
def celery_worker_process(migration_data_restored, transactional_db, settings, tmp_path):
    """A real `celery worker` process on a private Redis queue, reading the test database (committed data,
    hence a transactional test)."""
    if not os.environ.get("REDIS_URL"):  # set by .ci/run, or by tests/environment.py for a throwaway Redis
        pytest.fail("REDIS_URL is not set: the worker tests need Redis (tests/environment.py starts one)")
    queue = f"test-{uuid.uuid4().hex[:10]}"
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_subprocess(),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "sipas", "worker", "--pool=solo", "-Q", queue,
             "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "-l", "info"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parent.parent,
        )  # fmt: skip
    celery_app.conf.task_always_eager = False
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 60
        node = f"{queue}@{socket.gethostname()}"
        while not celery_app.control.ping(timeout=0.5, destination=[node]):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()[-3000:]}")
        yield WorkerProcess(process, queue, log)
    finally:
        celery_app.conf.task_default_queue = previous_queue
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _flushes_the_database(item) -> bool:
    """Whether pytest-django ran the test in a transactional database, which it empties (flushes) afterwards."""
    marker = item.get_closest_marker("django_db")
    names = getattr(item, "fixturenames", ())
    return (
        "transactional_db" in names
        or "live_server" in names
        or bool(marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])))
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test's flush, load again the rows the data migrations loaded (the shipped
    questionnaires), so every later test finds the database as migrated, whatever the order (pytest-randomly)."""
    yield
    if nextitem is not None and _flushes_the_database(item):  # after the last test the test database is gone
        from surveys.methodology import sipas_2017, sipas_2023
        from surveys.services.methodology import load_methodology

        with item.session.config.stash[blocking_manager_key].unblock():
            for version in (sipas_2017, sipas_2023):
                load_methodology(version.definition())
