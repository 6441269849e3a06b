"""sipas.jobs: a job row runs its handler once, records the outcome, and survives redelivery; and the same
through a real Celery worker (marked `worker`)."""

from __future__ import annotations

import datetime
import time

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from agencies.jobs import IMPORT_FILE
from agencies.models import Agency
from sipas.jobs import JobFailed, abandon_if_lost, enqueue_job, is_lost, job_handler, report_progress, run_job
from sipas.models import Job
from sipas.tasks import run_job_task
from tests.conftest import task_outcome

CALLS: list[int] = []


@job_handler("tests.count_calls")
def _count_calls(job: Job) -> dict:
    CALLS.append(job.pk)
    return {"calls": CALLS.count(job.pk)}


@job_handler("tests.bad_input")
def _reject_input(job: Job) -> dict:
    raise JobFailed([{"row": 3, "column": "name", "message": "a name is required"}], result={"checked": 4})


@job_handler("tests.crash")
def _crash(job: Job) -> dict:
    raise RuntimeError("disk full")


@job_handler("tests.slow")
def _slow(job: Job) -> dict:
    time.sleep(float(job.params["seconds"]))
    return {"slept": job.params["seconds"]}


@pytest.fixture(autouse=True)
def _fresh_calls():
    CALLS.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def queued(kind: str, **fields) -> Job:
    return Job.objects.create(kind=kind, **fields)


# --- run_job -----------------------------------------------------------------------------------------------------


def test_run_job_runs_the_handler_and_stores_its_result(db):
    job = queued("tests.count_calls")

    finished = run_job(job.pk)

    assert finished.state == Job.State.DONE
    assert finished.result == {"calls": 1}
    assert finished.attempts == 1
    assert finished.finished_at is not None


def test_running_a_finished_job_again_does_nothing(db):
    job = queued("tests.count_calls")
    run_job(job.pk)

    again = run_job(job.pk)

    assert [job.pk] == CALLS
    assert again.state == Job.State.DONE
    assert again.result == {"calls": 1}
    assert again.attempts == 1


def test_running_a_failed_job_again_does_nothing(db):
    job = queued("tests.bad_input")
    run_job(job.pk)

    again = run_job(job.pk)

    assert again.state == Job.State.FAILED
    assert again.attempts == 1


def test_a_job_interrupted_while_running_is_run_again(db):
    job = queued("tests.count_calls", state=Job.State.RUNNING, attempts=1)

    finished = run_job(job.pk)

    assert finished.state == Job.State.DONE
    assert finished.attempts == 2


def test_a_job_writes_a_sign_of_life_when_claimed_and_while_it_runs(
    migration_data_restored, transactional_db, settings
):
    # transactional_db: the beats come from a thread with its own connection, which must see the job row
    settings.JOB_HEARTBEAT_SECONDS = 0.2
    job = queued("tests.slow", params={"seconds": 1.0})
    started = timezone.now()

    finished = run_job(job.pk)

    assert finished.state == Job.State.DONE
    assert finished.heartbeat_at - finished.started_at >= datetime.timedelta(seconds=0.5)  # beats, not the claim
    assert finished.started_at >= started


def test_a_running_job_silent_for_three_beats_is_lost_and_recorded_as_failed(db, settings):
    settings.JOB_HEARTBEAT_SECONDS = 30
    now = timezone.now()
    alive = queued("tests.count_calls", state=Job.State.RUNNING, heartbeat_at=now - datetime.timedelta(seconds=80))
    silent = queued("tests.count_calls", state=Job.State.RUNNING, heartbeat_at=now - datetime.timedelta(seconds=100))
    before_heartbeats = queued("tests.count_calls", state=Job.State.RUNNING)  # claimed before jobs wrote one:
    Job.objects.filter(pk=before_heartbeats.pk).update(started_at=now - datetime.timedelta(minutes=5))  # its start
    before_heartbeats.refresh_from_db()
    waiting = queued("tests.count_calls", created_at=now - datetime.timedelta(days=1))  # queued: never "lost"

    assert [is_lost(job) for job in (alive, silent, before_heartbeats, waiting)] == [False, True, True, False]
    assert [abandon_if_lost(job) for job in (alive, silent, before_heartbeats, waiting)] == [False, True, True, False]

    silent.refresh_from_db()
    assert (silent.state, silent.finished_at is not None) == (Job.State.FAILED, True)
    assert silent.errors[0]["message"].endswith("(không có tín hiệu hoạt động trong 90 giây).")  # Vietnamese first
    assert run_job(silent.pk).state == Job.State.FAILED  # the broker's redelivery leaves it alone
    assert CALLS == []


def test_a_lost_job_that_wrote_a_sign_of_life_since_is_left_running(db, settings):
    settings.JOB_HEARTBEAT_SECONDS = 30
    job = queued(
        "tests.count_calls", state=Job.State.RUNNING, heartbeat_at=timezone.now() - datetime.timedelta(hours=1)
    )
    assert is_lost(job)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now())  # its worker was only slow

    assert abandon_if_lost(job) is False
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING


def test_run_job_with_an_unknown_id_returns_none(db):
    assert run_job(987654) is None


def test_expected_failure_stores_the_errors_and_marks_the_job_failed(db):
    job = queued("tests.bad_input")

    finished = run_job(job.pk)

    assert finished.state == Job.State.FAILED
    assert finished.errors == [{"row": 3, "column": "name", "message": "a name is required"}]
    assert finished.result == {"checked": 4}
    assert finished.finished_at is not None


def test_unexpected_exception_marks_the_job_failed_and_is_raised_again(db):
    job = queued("tests.crash")

    with pytest.raises(RuntimeError, match="disk full"):
        run_job(job.pk)

    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.errors == [{"message": "RuntimeError: disk full"}]


def test_report_progress_is_visible_on_the_job_row(db):
    job = queued("tests.count_calls")

    report_progress(job, done=40, total=120)
    report_progress(job, done=80)

    job.refresh_from_db()
    assert (job.progress_done, job.progress_total) == (80, 120)


# --- enqueue_job -------------------------------------------------------------------------------------------------


def test_enqueue_job_with_an_unknown_kind_raises_key_error_and_creates_nothing(db):
    with pytest.raises(KeyError):
        enqueue_job(kind="tests.nobody_handles_this")

    assert not Job.objects.exists()


def test_enqueued_job_runs_only_once_the_transaction_commits(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = enqueue_job(kind="tests.count_calls", params={"source": "test"})

    job.refresh_from_db()
    assert job.state == Job.State.QUEUED
    assert CALLS == []

    for callback in callbacks:
        callback()

    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert job.params == {"source": "test"}


def test_enqueued_job_keeps_its_uploaded_file_and_acting_user(actors, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        job = enqueue_job(
            kind="tests.count_calls", acting_user=actors.officer_a, upload=ContentFile(b"code\n", name="list.csv")
        )

    job.refresh_from_db()
    assert job.created_by == actors.officer_a
    assert job.upload.read() == b"code\n"


# --- a real worker -----------------------------------------------------------------------------------------------

NEW_COMMUNE_CSV = "code,name,kind,parent_code\n06010,Xã Mới,commune,20\n".encode()


def wait_until_finished(job: Job, timeout: float = 30) -> Job:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.2)
    pytest.fail(f"job {job.pk} still {job.state} after {timeout} s")


@pytest.mark.worker
def test_worker_runs_an_officers_import_job(celery_worker_process, actors):
    job = enqueue_job(
        kind=IMPORT_FILE,
        acting_user=actors.officer_a,
        params={"filename": "new.csv"},
        upload=ContentFile(NEW_COMMUNE_CSV, name="new.csv"),
    )  # no transaction open: on_commit sends the task at once

    finished = wait_until_finished(job)

    assert finished.state == Job.State.DONE, (finished.errors, celery_worker_process.log.read_text()[-2000:])
    assert finished.result["created"] == 1
    assert Agency.objects.get(code="06010").parent.code == "20"


@pytest.mark.worker
def test_worker_runs_a_job_delivered_twice_only_once(celery_worker_process, actors):
    job = Job(kind=IMPORT_FILE, created_by=actors.officer_a, params={"filename": "new.csv"})
    job.upload.save("new.csv", ContentFile(NEW_COMMUNE_CSV), save=False)
    job.save()

    first = run_job_task.delay(job.pk)
    second = run_job_task.delay(job.pk)

    assert task_outcome(celery_worker_process.log, first.id) == Job.State.DONE
    assert task_outcome(celery_worker_process.log, second.id) == Job.State.DONE
    job.refresh_from_db()
    assert job.attempts == 1
    assert job.result["created"] == 1
    assert Agency.objects.filter(code="06010").count() == 1
