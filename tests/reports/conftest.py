"""Fixtures of the index computation tests (test_formulas, test_compute_service, test_publication,
test_export_contract, test_commands, test_results_api, test_compute_worker).

Campaigns are built over province 20 of the `tree` fixture (tests/conftest.py): departments 20.SNV, 20.STP and
communes 06001, 06004. Names are specific (`make_index_campaign`, `add_index_responses`, ...) so they do not
clash with fixtures other test modules of tests/reports define for themselves."""

from __future__ import annotations

import datetime
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from reports.models import IndexRun
from reports.services.publication import appraise_run, publish_run
from sipas.celery import app as celery_app
from surveys.models import Campaign, CampaignState, Methodology, Response
from surveys.services.campaigns import create_campaign

INDEX_ANSWERED_AT = datetime.datetime(2026, 5, 1, 9, 30, tzinfo=datetime.UTC)


@pytest.fixture
def make_index_campaign(tree):
    """A campaign of province 20 over the SIPAS-2017 questionnaire, in `state` (closed by default)."""

    def make(
        slug: str = "sipas-2026",
        *,
        year: int = 2026,
        state: str = CampaignState.CLOSED,
        level_samples: dict[str, int] | None = None,
        period: tuple[datetime.date, datetime.date] | None = None,
        root=None,
        **options,
    ) -> Campaign:
        start, end = period or (datetime.date(year, 1, 1), datetime.date(year, 12, 31))
        campaign = create_campaign(
            year=year, name=f"Khảo sát {slug}", slug=slug, root=root or tree["20"],
            methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=start, period_end=end,
            level_samples=level_samples if level_samples is not None else {"department": 1, "commune": 1},
            **options,
        )  # fmt: skip
        campaign.state = state
        campaign.save()
        return campaign

    return make


@pytest.fixture
def add_index_responses():
    """Store responses of `agency` in `campaign` (one per answer dict), optionally excluded by a decision."""

    def add(campaign: Campaign, agency, *answer_sets: dict, excluded: bool = False, decision_rule: str = "") -> None:
        Response.objects.bulk_create(
            Response(
                campaign=campaign,
                agency=agency,
                client_id=uuid.uuid4(),
                channel="paper",
                answers=answers,
                submitted_at=INDEX_ANSWERED_AT,
                excluded=excluded,
                decision_rule=decision_rule,
            )
            for answers in answer_sets
        )

    return add


@pytest.fixture
def publish_index_run():
    """Appraise (approved) and publish a run through the services, as Home Affairs does."""

    def publish(run: IndexRun, acting_user=None) -> IndexRun:
        appraise_run(run=run, approved=True, note="Đạt yêu cầu.", acting_user=acting_user)
        return publish_run(run=run, acting_user=acting_user)

    return publish


# --- real Celery workers -----------------------------------------------------------------------------------------


@dataclass
class IndexWorker:
    process: subprocess.Popen
    node: str
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else "(no log)"

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, no rollback by the worker itself."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=20)


def _index_worker_database_url() -> str:
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"
    )


@pytest.fixture
def start_index_worker(migration_data_restored, transactional_db, settings, tmp_path):
    """Start real `celery worker` processes (solo pool) on one private Redis queue, reading the test database;
    `start(extra_env)` may be called several times (e.g. a worker that is killed, then a fresh one). The test
    process sends its tasks to that queue. Every worker still alive is stopped at teardown.

    The data a worker reads must be committed, hence `transactional_db`; `migration_data_restored` puts back
    the questionnaire its flush deletes."""
    if not os.environ.get("REDIS_URL"):
        if os.environ.get("CI"):
            pytest.fail("REDIS_URL must be set in CI: worker tests may not be skipped there")
        pytest.skip("needs REDIS_URL (a real Celery worker needs Redis); .ci/run sets it")
    queue = f"test-index-{uuid.uuid4().hex[:10]}"
    database_url = _index_worker_database_url()
    started: list[IndexWorker] = []

    def start(extra_env: dict[str, str] | None = None) -> IndexWorker:
        number = len(started) + 1
        log = tmp_path / f"index-worker-{number}.log"
        node = f"{queue}-{number}@{socket.gethostname()}"
        env = {k: v for k, v in os.environ.items() if k != "COMPUTE_FAULT_PAUSE_SECONDS"}
        env.update(
            DATABASE_URL=database_url,
            MEDIA_ROOT=str(settings.MEDIA_ROOT),
            CELERY_TASK_DEFAULT_QUEUE=queue,
            **(extra_env or {}),
        )
        with log.open("wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "sipas", "worker", "--pool=solo", "-Q", queue,
                 "-n", f"{queue}-{number}@%h", "--without-gossip", "--without-mingle", "-l", "info"],
                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=Path(__file__).resolve().parents[2],
            )  # fmt: skip
        worker = IndexWorker(process, node, log)
        started.append(worker)
        deadline = time.monotonic() + 60
        while not celery_app.control.ping(timeout=0.5, destination=[node]):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Celery worker {node} did not start:\n{worker.log_tail()}")
        return worker

    celery_app.conf.task_always_eager = False
    previous_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    try:
        yield start
    finally:
        celery_app.conf.task_default_queue = previous_queue
        for worker in started:
            if worker.process.poll() is None:
                worker.process.terminate()
                try:
                    worker.process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.process.kill()
                    worker.process.wait(timeout=20)
