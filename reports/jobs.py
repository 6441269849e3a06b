"""Index computation as a job on a Celery worker, with its progress in the job row."""

from __future__ import annotations

from reports.services.compute import ComputeError, compute_campaign_index
from sipas.jobs import JobFailed, enqueue_job, job_handler
from sipas.models import Job
from surveys.models import Campaign

COMPUTE = "reports.compute_index"


@job_handler(COMPUTE)
def run_compute(job: Job) -> dict:
    campaign = Campaign.objects.select_related("methodology", "root").get(pk=job.params["campaign_id"])
    try:
        run = compute_campaign_index(campaign=campaign, acting_user=job.created_by, job=job)
    except ComputeError as exc:
        raise JobFailed([{"message": str(exc)}]) from exc
    return {"run_id": run.pk, "run_number": run.number, "responses_counted": run.responses_counted}


def enqueue_compute(*, campaign: Campaign, acting_user=None) -> Job:
    return enqueue_job(kind=COMPUTE, acting_user=acting_user, params={"campaign_id": campaign.pk})
