"""The computation through a real Celery worker against Redis (marked `worker`): an enqueued computation runs to
a run; a worker killed mid-run (SIGKILL while the run's transaction is open) leaves no half-written run, and the
same job run again by a fresh worker makes exactly one run, however often the task is delivered."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.db import connection

from reports.jobs import enqueue_compute
from reports.models import AgencyResult, GroupResult, IndexRun
from sipas.models import Job
from sipas.tasks import run_job_task
from surveys.models import CampaignState
from tests.conftest import task_outcome

pytestmark = pytest.mark.worker

FAULT_PAUSE_SECONDS = "20"


@pytest.fixture
def worker_campaign(tree, make_index_campaign, add_index_responses):
    """Closed; 06001 S(TC) 2/3, 06004 1/1; departments without responses."""
    campaign = make_index_campaign("worker-2026")
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5, "HL": 5}, {"HL_TC": 4, "HL": 4}, {"HL_TC": 1, "HL": 2})
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5, "HL": 5})
    return campaign


def wait_until(condition: Callable[[], object], *, timeout: float, what: str, worker) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if worker.process.poll() is not None:
            pytest.fail(f"the worker exited while waiting for {what}:\n{worker.log_tail()}")
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; worker log:\n{worker.log_tail()}")


def finished_job(job: Job, worker, timeout: float = 60) -> Job:
    def finished():
        job.refresh_from_db()
        return job.is_finished

    wait_until(finished, timeout=timeout, what=f"job {job.pk} to finish (state {job.state})", worker=worker)
    return job


# --- a run half-written inside the worker's open transaction ------------------------------------------------------

OPEN_RUN_TRANSACTION = """
    SELECT pid FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle in transaction'
      AND query LIKE 'INSERT INTO "reports_agencyresult"%%'
"""


def postgres_sessions_paused_after_writing_agency_results() -> list[int]:
    """Sessions whose transaction is open and whose last statement wrote AgencyResult rows: the worker paused
    by COMPUTE_FAULT_PAUSE_SECONDS right after writing the AgencyResult rows."""
    with connection.cursor() as cursor:
        cursor.execute(OPEN_RUN_TRANSACTION)
        return [pid for (pid,) in cursor.fetchall()]


def wait_until_the_run_is_written_but_not_committed(job: Job, worker) -> None:
    def job_is_running():
        job.refresh_from_db()
        if job.is_finished:
            pytest.fail(
                f"job {job.pk} finished ({job.state}) before it could be killed: is COMPUTE_FAULT_PAUSE_SECONDS "
                f"honoured by reports.services.compute?\n{worker.log_tail()}"
            )
        return job.state == Job.State.RUNNING

    wait_until(job_is_running, timeout=30, what=f"job {job.pk} to be running", worker=worker)
    wait_until(
        postgres_sessions_paused_after_writing_agency_results,
        timeout=30,
        what="the worker's transaction to write AgencyResult rows",
        worker=worker,
    )


def wait_until_postgres_ended_the_killed_session() -> None:
    """PostgreSQL notices the closed socket and rolls the transaction back; wait for it, so the checks below
    look at the database after the rollback."""
    deadline = time.monotonic() + 30
    while postgres_sessions_paused_after_writing_agency_results():
        if time.monotonic() > deadline:
            pytest.fail("PostgreSQL kept the killed worker's transaction open for 30 s")
        time.sleep(0.2)


def assert_no_run_written() -> None:
    assert (IndexRun.objects.count(), AgencyResult.objects.count(), GroupResult.objects.count()) == (0, 0, 0)


# --- tests -------------------------------------------------------------------------------------------------------


def test_real_worker_computes_an_enqueued_campaign(start_index_worker, worker_campaign, tree, actors):
    worker = start_index_worker()

    job = enqueue_compute(campaign=worker_campaign, acting_user=actors.officer_a)  # no transaction: sent at once

    job = finished_job(job, worker)
    assert job.state == Job.State.DONE, (job.errors, worker.log_tail())
    run = IndexRun.objects.get(job=job)
    assert job.result == {"run_id": run.pk, "run_number": 1, "responses_counted": 4}
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert run.computed_by == actors.officer_a
    assert run.agency_results.get(agency=tree["06001"]).sipas == pytest.approx(200 / 3)
    assert run.agency_results.count() == 4
    worker_campaign.refresh_from_db()
    assert worker_campaign.state == CampaignState.COMPUTED


def test_worker_killed_mid_run_leaves_no_half_written_run(start_index_worker, worker_campaign):
    paused = start_index_worker({"COMPUTE_FAULT_PAUSE_SECONDS": FAULT_PAUSE_SECONDS})
    job = enqueue_compute(campaign=worker_campaign)
    wait_until_the_run_is_written_but_not_committed(job, paused)
    assert_no_run_written()  # written inside the worker's transaction, not visible

    paused.kill()

    wait_until_postgres_ended_the_killed_session()
    assert_no_run_written()
    job.refresh_from_db()
    assert (job.state, job.attempts) == (Job.State.RUNNING, 1)
    worker_campaign.refresh_from_db()
    assert worker_campaign.state == CampaignState.CLOSED


def test_progress_of_a_running_computation_is_visible_to_the_ui(start_index_worker, worker_campaign):
    # Paused in _write_run, after the aggregation and the figures (progress 1 and 2 of 3): the officer's
    # dashboard polls the job row and should see that progress, not 0 until the very end.
    paused = start_index_worker({"COMPUTE_FAULT_PAUSE_SECONDS": FAULT_PAUSE_SECONDS})
    job = enqueue_compute(campaign=worker_campaign)
    wait_until_the_run_is_written_but_not_committed(job, paused)

    job.refresh_from_db()
    paused.kill()

    assert (job.progress_done, job.progress_total) == (2, 3)


def test_job_of_a_killed_worker_runs_again_to_exactly_one_run(start_index_worker, worker_campaign):
    paused = start_index_worker({"COMPUTE_FAULT_PAUSE_SECONDS": FAULT_PAUSE_SECONDS})
    job = enqueue_compute(campaign=worker_campaign)
    wait_until_the_run_is_written_but_not_committed(job, paused)
    paused.kill()
    wait_until_postgres_ended_the_killed_session()
    assert_no_run_written()
    fresh = start_index_worker()

    run_job_task.delay(job.pk)  # the job is still "running": run_job takes it again

    job = finished_job(job, fresh)
    assert job.state == Job.State.DONE, (job.errors, fresh.log_tail())
    run = IndexRun.objects.get()
    assert (run.job_id, run.number, job.result["run_id"], job.attempts) == (job.pk, 1, run.pk, 2)
    assert (run.agency_results.count(), run.group_results.count()) == (4, 3)
    worker_campaign.refresh_from_db()
    assert worker_campaign.state == CampaignState.COMPUTED

    assert task_outcome(fresh.log, run_job_task.delay(job.pk).id) == Job.State.DONE  # delivered a third time

    assert IndexRun.objects.count() == 1
    job.refresh_from_db()
    assert job.attempts == 2


def test_a_computation_whose_worker_was_killed_gives_way_to_a_new_one(start_index_worker, worker_campaign, settings):
    # Killed outright, the worker leaves its job "running" and its task with the broker for the visibility
    # timeout (an hour). Once the job has given no sign of life for three heartbeats, a new computation runs.
    settings.JOB_HEARTBEAT_SECONDS = 1
    paused = start_index_worker({"COMPUTE_FAULT_PAUSE_SECONDS": FAULT_PAUSE_SECONDS, "JOB_HEARTBEAT_SECONDS": "1"})
    killed_job = enqueue_compute(campaign=worker_campaign)
    wait_until_the_run_is_written_but_not_committed(killed_job, paused)
    assert enqueue_compute(campaign=worker_campaign).pk == killed_job.pk  # alive: waited for, not doubled
    paused.kill()
    wait_until_postgres_ended_the_killed_session()
    fresh = start_index_worker()
    time.sleep(3.5)  # three silent heartbeats

    job = finished_job(enqueue_compute(campaign=worker_campaign), fresh)

    assert job.pk != killed_job.pk and job.state == Job.State.DONE, (job.errors, fresh.log_tail())
    killed_job.refresh_from_db()
    assert killed_job.state == Job.State.FAILED and killed_job.errors
    run = IndexRun.objects.get()
    assert (run.job_id, run.number) == (job.pk, 1)
    assert task_outcome(fresh.log, run_job_task.delay(killed_job.pk).id) == Job.State.FAILED  # given out again
    assert IndexRun.objects.count() == 1
