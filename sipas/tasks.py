from celery import shared_task

from sipas.jobs import resend_jobs, run_job


@shared_task(name="sipas.run_job")
def run_job_task(job_id: int) -> str:
    """Thin task: load the job row by id and run it (safe to deliver twice)."""
    job = run_job(job_id)
    return job.state if job else "missing"


@shared_task(name="sipas.resend_jobs")
def resend_jobs_task() -> dict[str, int]:
    """Send again the queued jobs the broker never took; expire the ones nobody ran (sipas.jobs.resend_jobs)."""
    return resend_jobs()
