"""Agency work that runs as a job on a Celery worker."""

from __future__ import annotations

from agencies.importers import AgencyFileInvalid
from agencies.models import Role
from agencies.scope import agencies_in_scope
from agencies.services import import_agency_file
from sipas.jobs import JobFailed, job_handler
from sipas.models import Job

IMPORT_FILE = "agencies.import_file"


@job_handler(IMPORT_FILE)
def run_agency_file_import(job: Job) -> dict:
    with job.upload.open("rb") as handle:
        try:
            report = import_agency_file(
                source=handle,
                name=job.params.get("filename", job.upload.name),
                acting_user=job.created_by,
                scope=_officer_scope(job),
            )
        except AgencyFileInvalid as invalid:
            raise JobFailed([e.as_dict() for e in invalid.errors]) from invalid
    return report.as_dict()


def _officer_scope(job: Job):
    """The agencies the uploading officer manages; a job without a user (admin tooling) is unrestricted."""
    if job.created_by is None or job.created_by.is_superuser:
        return None
    return agencies_in_scope(job.created_by, [Role.OFFICER])
