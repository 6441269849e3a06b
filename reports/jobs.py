"""Index computation as a job on a Celery worker, with its progress in the job row."""

from __future__ import annotations

from reports.services.compute import ComputeError, compute_campaign_index
from sipas.jobs import JobFailed, abandon_if_lost, enqueue_job, is_lost, job_handler
from sipas.models import Job
from surveys.models import Campaign

COMPUTE = "reports.compute_index"
RENDER = "reports.render_report"
FORMATS = {"pdf": "application/pdf", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@job_handler(COMPUTE)
def run_compute(job: Job) -> dict:
    campaign = Campaign.objects.select_related("methodology", "root").get(pk=job.params["campaign_id"])
    try:
        run = compute_campaign_index(campaign=campaign, acting_user=job.created_by, job=job)
    except ComputeError as exc:
        raise JobFailed([{"message": str(exc)}]) from exc
    return {"run_id": run.pk, "run_number": run.number, "responses_counted": run.responses_counted}


def _queued_or_running(campaign: Campaign):
    return Job.objects.filter(
        kind=COMPUTE, params__campaign_id=campaign.pk, state__in=[Job.State.QUEUED, Job.State.RUNNING]
    )


def pending_computations(campaign: Campaign) -> list[Job]:
    """The campaign's computations that are queued or running, but for a running one whose worker died (no
    sign of life, sipas.jobs): nobody need wait for that one."""
    return [job for job in _queued_or_running(campaign) if not is_lost(job)]


def enqueue_compute(*, campaign: Campaign, acting_user=None) -> Job:
    """Queue a computation of the campaign, unless one is already queued or running: that one is returned,
    so a double click computes once. A running one whose worker died is recorded as failed, and a new one
    queued."""
    for job in _queued_or_running(campaign):
        if not (is_lost(job) and abandon_if_lost(job)):  # a lost job that wrote a sign of life since is waited for
            return job
    return enqueue_job(kind=COMPUTE, acting_user=acting_user, params={"campaign_id": campaign.pk})


@job_handler(RENDER)
def run_render(job: Job) -> dict:
    """Render a run's report (PDF or workbook) into the job's output file, for the officer to download."""
    from django.core.files.base import ContentFile

    from reports import rendering
    from reports.models import IndexRun

    run = IndexRun.objects.select_related("campaign__methodology").get(pk=job.params["run_id"])
    fmt = job.params["format"]
    content = rendering.render_pdf(run) if fmt == "pdf" else rendering.render_xlsx(run)
    name = f"sipas-{run.campaign.slug}-run{run.number}.{fmt}"
    job.output.save(name, ContentFile(content), save=False)
    Job.objects.filter(pk=job.pk).update(output=job.output.name)
    return {"file": name, "bytes": len(content)}


def enqueue_render(*, run, fmt: str, acting_user=None) -> Job:
    """Queue the rendering of a run's report; raises ValueError for an unknown format."""
    if fmt not in FORMATS:
        raise ValueError(fmt)
    return enqueue_job(kind=RENDER, acting_user=acting_user, params={"run_id": run.pk, "format": fmt})
