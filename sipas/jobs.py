"""Running long work as job rows.

An app declares a handler in its `jobs` module with `@job_handler("app.kind")`, imported by the app's
`AppConfig.ready()`; `enqueue_job` creates the row and queues the Celery task once the transaction
commits; `run_job` (what the task calls) claims the row, runs the handler and records the outcome. A handler
does its writes in its own transaction, so a worker killed mid-run leaves nothing half-written and the
redelivered task simply runs it again.

While a handler runs, a thread of its process writes the job's `heartbeat_at` every JOB_HEARTBEAT_SECONDS. A
worker killed outright (the machine lost, SIGKILL) stops writing it, while the broker keeps the task from
other workers until its visibility timeout (an hour by default): a running job silent for three beats is
taken as lost (`abandon_if_lost`), so that whoever waits for it (a new computation of the same campaign) need
not wait that hour. The task, when the broker gives it out again, finds the job failed and leaves it alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import kombu.exceptions
import redis.exceptions
from django.conf import settings
from django.core.files.base import File
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from sipas.celery import app as celery_app
from sipas.models import Job

logger = logging.getLogger(__name__)
# What sending a task raises when the broker (or the result backend) cannot be reached.
BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

JobHandler = Callable[[Job], dict[str, Any]]
_HANDLERS: dict[str, JobHandler] = {}


class JobFailed(Exception):
    """Raised by a handler for an expected failure (bad input): its `errors` are stored on the job."""

    def __init__(self, errors: list[dict[str, Any]], result: dict[str, Any] | None = None):
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors
        self.result = result or {}


def job_handler(kind: str) -> Callable[[JobHandler], JobHandler]:
    def register(func: JobHandler) -> JobHandler:
        _HANDLERS[kind] = func
        return func

    return register


def enqueue_job(
    *, kind: str, acting_user=None, params: dict[str, Any] | None = None, upload: File | None = None
) -> Job:
    """Create a queued job and start it after commit. Raises KeyError for a kind nobody handles."""
    if kind not in _HANDLERS:
        raise KeyError(f"no handler for job kind {kind!r}")
    job = Job(kind=kind, created_by=acting_user, params=params or {})
    if upload is not None:
        job.upload.save(upload.name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: send_job(job.pk))
    return job


def send_job(job_id: int) -> bool:
    """Hand a queued job's task to the broker and record when. When the broker cannot be reached, the job stays
    queued and unsent (its page says so) and this returns False: `resend_jobs` sends it again later, so a
    Redis outage neither fails the officer's request nor blocks the job for good."""
    try:
        # The task by its name (sipas/tasks.py), so this module and the task's need not import each other.
        celery_app.tasks["sipas.run_job"].delay(job_id)
    except BROKER_ERRORS:
        logger.warning("job %s: the broker could not be reached; it will be sent again", job_id, exc_info=True)
        return False
    Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(sent_at=timezone.now())
    return True


def resend_jobs() -> dict[str, int]:
    """Celery beat, every minute: send again each queued job the broker never took (unsent for over a minute,
    or sent over JOB_RESEND_AFTER_SECONDS ago and still not claimed by a worker, e.g. a message lost with
    Redis), and record as failed each job still queued JOB_EXPIRE_HOURS after it was created (nobody ran it;
    nothing changed). A job sent twice runs once: run_job claims it by a conditional update."""
    now = timezone.now()
    expired = Job.objects.filter(
        state=Job.State.QUEUED, created_at__lt=now - timedelta(hours=settings.JOB_EXPIRE_HOURS)
    ).update(
        state=Job.State.FAILED,
        finished_at=now,
        errors=[{"message": _("No worker took this job within %(hours)s hours; nothing was changed. Start it again.")
                 % {"hours": settings.JOB_EXPIRE_HOURS}}],
    )  # fmt: skip
    stale = Job.objects.filter(state=Job.State.QUEUED).filter(
        Q(sent_at__isnull=True, created_at__lt=now - timedelta(seconds=60))
        | Q(sent_at__lt=now - timedelta(seconds=settings.JOB_RESEND_AFTER_SECONDS))
    )
    sent = sum(send_job(pk) for pk in stale.values_list("pk", flat=True))
    return {"sent": sent, "expired": expired}


def report_progress(job: Job, *, done: int, total: int | None = None) -> None:
    """Record how far a job has got; the UI polls it (visible once the caller's transaction, if any, commits)."""
    fields = {"progress_done": done}
    if total is not None:
        fields["progress_total"] = total
    Job.objects.filter(pk=job.pk).update(**fields)


def run_job(job_id: int) -> Job | None:
    """Run a queued (or interrupted) job once. A finished job, or an unknown id, is left alone."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, state__in=[Job.State.QUEUED, Job.State.RUNNING]).update(
        state=Job.State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return Job.objects.filter(pk=job_id).first()
    job = Job.objects.get(pk=job_id)
    handler = _HANDLERS[job.kind]
    try:
        with _heartbeat(job_id):
            result = handler(job)
    except JobFailed as failure:
        _finish(job, Job.State.FAILED, result=failure.result, errors=failure.errors)
    except Exception as exc:  # an unexpected fault: record it for the officer, then let Celery log it
        logger.exception("job %s failed", job_id)
        _finish(job, Job.State.FAILED, errors=[{"message": f"{type(exc).__name__}: {exc}"}])
        raise
    else:
        _finish(job, Job.State.DONE, result=result or {})
    job.refresh_from_db()
    return job


def _finish(job: Job, state: str, *, result: dict | None = None, errors: list | None = None) -> None:
    Job.objects.filter(pk=job.pk).update(
        state=state, result=result or {}, errors=errors or [], finished_at=timezone.now()
    )


@contextmanager
def _heartbeat(job_id: int) -> Iterator[None]:
    """Write the job's sign of life every JOB_HEARTBEAT_SECONDS from a thread of this process (with its own
    database connection) while the body runs. A handler that finishes within one beat, as most do, never
    writes one: the claim wrote the first."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(heartbeat_at=timezone.now())
                except DatabaseError:  # e.g. a dropped connection: the next beat tries again
                    logger.warning("job %s: could not write its sign of life", job_id, exc_info=True)
        finally:
            connections.close_all()  # this thread's connections only (they are per thread)

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def lost_before() -> datetime:
    """A running job whose last sign of life is older than this has lost its process."""
    return timezone.now() - timedelta(seconds=3 * settings.JOB_HEARTBEAT_SECONDS)


def is_lost(job: Job) -> bool:
    """Whether a running job has lost its process (see abandon_if_lost). For a job claimed before jobs wrote a
    sign of life, its start stands for the last one."""
    last = job.heartbeat_at or job.started_at or job.created_at
    return job.state == Job.State.RUNNING and last < lost_before()


def abandon_if_lost(job: Job) -> bool:
    """Record a running job whose process gave no sign of life for three beats as failed (its worker died
    with it unfinished). Returns whether it did; a job that came back to life meanwhile is left running."""
    message = _("The worker running this job stopped before it finished (no sign of life for %(seconds)s s).")
    last = Coalesce("heartbeat_at", "started_at", "created_at")
    silent = Job.objects.alias(last=last).filter(pk=job.pk, state=Job.State.RUNNING, last__lt=lost_before())
    abandoned = silent.update(
        state=Job.State.FAILED,
        errors=[{"message": message % {"seconds": 3 * settings.JOB_HEARTBEAT_SECONDS}}],
        finished_at=timezone.now(),
    )
    if abandoned:
        logger.warning("job %s abandoned: no sign of life from its worker", job.pk)
    return bool(abandoned)
