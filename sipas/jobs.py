"""Running long work as job rows.

An app declares a handler in its `jobs` module with `@job_handler("app.kind")` (the modules are imported when a
job is first queued or run); `enqueue_job` creates the row and queues the Celery task once the transaction
commits; `run_job` (what the task calls) claims the row, runs the handler and records the outcome. A handler
does its writes in its own transaction, so a worker killed mid-run leaves nothing half-written and the
redelivered task simply runs it again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from sipas.models import Job

logger = logging.getLogger(__name__)

JobHandler = Callable[[Job], dict[str, Any]]
_HANDLERS: dict[str, JobHandler] = {}
_discovered = False


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


def _handlers() -> dict[str, JobHandler]:
    """Every handler: each app's `jobs` module is imported the first time a job is queued or run (these are the
    only readers of the handlers), so a process that runs no job does not import them at start-up."""
    global _discovered
    if not _discovered:
        autodiscover_modules("jobs")
        _discovered = True
    return _HANDLERS


def enqueue_job(
    *, kind: str, acting_user=None, params: dict[str, Any] | None = None, upload: File | None = None
) -> Job:
    """Create a queued job and start it after commit. Raises KeyError for a kind nobody handles."""
    if kind not in _handlers():
        raise KeyError(f"no handler for job kind {kind!r}")
    from sipas.tasks import run_job_task

    job = Job(kind=kind, created_by=acting_user, params=params or {})
    if upload is not None:
        job.upload.save(upload.name, upload, save=False)
    job.save()
    transaction.on_commit(lambda: run_job_task.delay(job.pk))
    return job


def report_progress(job: Job, *, done: int, total: int | None = None) -> None:
    """Record how far a job has got; the UI polls it (visible once the caller's transaction, if any, commits)."""
    fields = {"progress_done": done}
    if total is not None:
        fields["progress_total"] = total
    Job.objects.filter(pk=job.pk).update(**fields)


def run_job(job_id: int) -> Job | None:
    """Run a queued (or interrupted) job once. A finished job, or an unknown id, is left alone."""
    claimed = Job.objects.filter(pk=job_id, state__in=[Job.State.QUEUED, Job.State.RUNNING]).update(
        state=Job.State.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return Job.objects.filter(pk=job_id).first()
    job = Job.objects.get(pk=job_id)
    handler = _handlers()[job.kind]
    try:
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
