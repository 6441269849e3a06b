"""Index computation and the rendering of a run's documents as jobs on a Celery worker, with their progress in
the job row.

A document is kept per run: asking again for the same document of a run in the same state (and, for a DOCX,
with the same province template) returns the job already queued, running or done, so nothing is rendered twice;
a run that is appraised or published since, or a template uploaded since, gives a new document, since its text
differs. Who may download a job's file is decided by job_in_scope (used by sipas.views)."""

from __future__ import annotations

import tempfile
import zipfile

from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from reports.services.compute import ComputeError, compute_campaign_index
from sipas.jobs import JobFailed, abandon_if_lost, enqueue_job, is_lost, job_handler, report_progress
from sipas.models import Job
from surveys import posters  # noqa: F401  (registers the posters job with sipas.jobs)
from surveys.models import Campaign

COMPUTE = "reports.compute_index"
RENDER = "reports.render_report"
# Each document of a run and the formats it comes in.
DOCUMENTS = {
    "report": ("pdf", "docx"),
    "decision": ("pdf", "docx"),
    "cards": ("pdf", "docx", "zip"),  # every agency's card in one file, or a ZIP of one DOCX per agency
    "card": ("pdf", "docx"),  # one agency's card (params agency_id)
    "workbook": ("xlsx",),
    "responses": ("xlsx",),  # the anonymised raw responses
}
FORMATS = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "zip": "application/zip",
}


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


# --- Documents ----------------------------------------------------------------------------------------------


def document_params(*, run, document: str, fmt: str, agency_id: int | None = None) -> dict:
    """What identifies a document of a run: the run and its state, the document, its format, the agency of a
    card, and for a DOCX the province template it is filled from. Raises ValueError for a document or format
    that does not exist, or a card without an agency."""
    from reports.rendering.docx import KIND_OF, province_template

    if fmt not in DOCUMENTS.get(document, ()):
        raise ValueError(f"{document} {fmt}")
    if (document == "card") != (agency_id is not None):
        raise ValueError("a card names one agency, and only a card does")
    params = {"run_id": run.pk, "campaign_id": run.campaign_id, "document": document, "format": fmt,
              "state": run.state}  # fmt: skip
    if agency_id is not None:
        if not run.agency_results.filter(agency_id=agency_id).exists():
            raise ValueError("the run has no result for this agency")
        params["agency_id"] = agency_id
    if fmt in ("docx", "zip"):
        template = province_template(run, KIND_OF[document])
        params["template"] = f"{template.pk}:{template.uploaded_at.isoformat()}" if template else "default"
    return params


def enqueue_document(*, run, document: str, fmt: str, agency_id: int | None = None, acting_user=None) -> Job:
    """Queue the rendering of a run's document, or return the job that renders or rendered it already (a failed
    one, or a running one whose worker died, is tried again). Raises ValueError as document_params does."""
    from reports.models import IndexRun

    with transaction.atomic():
        run = IndexRun.objects.select_for_update().get(pk=run.pk)  # two requests at once queue one job
        params = document_params(run=run, document=document, fmt=fmt, agency_id=agency_id)
        for job in Job.objects.filter(kind=RENDER, params=params).exclude(state=Job.State.FAILED).order_by("-pk"):
            if not (is_lost(job) and abandon_if_lost(job)):
                return job
        return enqueue_job(kind=RENDER, acting_user=acting_user, params=params)


def enqueue_render(*, run, fmt: str, acting_user=None) -> Job:
    """The report as a PDF ("pdf") or the workbook ("xlsx"); raises ValueError for another format."""
    documents = {"pdf": "report", "xlsx": "workbook"}
    if fmt not in documents:
        raise ValueError(fmt)
    return enqueue_document(run=run, document=documents[fmt], fmt=fmt, acting_user=acting_user)


def document_jobs(run) -> dict[tuple, Job]:
    """The latest job of each document of the run in its current state, by (document, format, agency_id)."""
    jobs = {}
    for job in Job.objects.filter(kind=RENDER, params__run_id=run.pk, params__state=run.state).order_by("pk"):
        jobs[(job.params.get("document"), job.params.get("format"), job.params.get("agency_id"))] = job
    return jobs


def file_name(run, document: str, fmt: str, agency_code: str = "") -> str:
    from surveys.posters import pdf_filename

    return pdf_filename("sipas", run.campaign.slug, f"run{run.number}", document, agency_code).removesuffix(".pdf") + (
        f".{fmt}"
    )


@job_handler(RENDER)
def run_render(job: Job) -> dict:
    """Render a run's document into the job's output file, for the officers to download."""
    from reports import rendering
    from reports.models import IndexRun
    from reports.rendering.docx import TemplateError

    run = IndexRun.objects.select_related("campaign__methodology", "campaign__root").get(pk=job.params["run_id"])
    params = job.params
    document = params.get("document") or ("report" if params["format"] == "pdf" else "workbook")
    fmt, agency_id = params["format"], params.get("agency_id")
    code = run.agency_results.filter(agency_id=agency_id).values_list("agency__code", flat=True).first() or ""
    name = file_name(run, document, fmt, code)
    report_progress(job, done=0, total=1)
    with tempfile.TemporaryFile() as out:
        try:
            if document == "responses":
                rows = rendering.render_responses_xlsx(
                    run, out, progress=lambda done, total: report_progress(job, done=done, total=total)
                )
            elif fmt == "zip":
                rows = _cards_zip(job, run, out)
            elif fmt == "docx":
                out.write(rendering.render_docx(run, document=document, agency_id=agency_id))
            elif fmt == "pdf":
                out.write(rendering.render_pdf(run, document=document, agency_id=agency_id))
            else:
                out.write(rendering.render_xlsx(run))
        except TemplateError as exc:
            raise JobFailed(
                [{"message": _("The province's template did not render: %(error)s") % {"error": exc}}]
            ) from exc
        size = out.tell()
        out.seek(0)
        job.output.save(name, File(out), save=False)
    Job.objects.filter(pk=job.pk).update(output=job.output.name)
    done = rows if document == "responses" or fmt == "zip" else 1
    report_progress(job, done=done, total=done)
    return {"file": name, "bytes": size}


def _cards_zip(job: Job, run, out) -> int:
    """One DOCX card per agency in a ZIP, from one reading of the run."""
    from django.conf import settings
    from django.utils import translation

    from reports.documents import context as documents
    from reports.rendering.docx import default_template, province_template, render_template
    from reports.rendering.pdf import frame
    from reports.rendering.report import load_report

    with translation.override(settings.LANGUAGE_CODE):
        uploaded = province_template(run, "card")
        if uploaded is not None:
            with uploaded.file.open("rb") as handle:
                template = handle.read()
        else:
            template = default_template("card", settings.LANGUAGE_CODE).read_bytes()
        report = load_report(run)
        rows = [(row, level) for level in report.presentation.levels for row in level.agencies]
        report_progress(job, done=0, total=len(rows))
        import io

        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for i, (row, level) in enumerate(rows, start=1):
                context = {"cards": [documents.card_context(report, row, level)], **frame()}
                archive.writestr(
                    file_name(run, "card", "docx", row.code), render_template(io.BytesIO(template), context)
                )
                if i % 20 == 0:
                    report_progress(job, done=i, total=len(rows))
    return len(rows)


# --- Who reaches a job --------------------------------------------------------------------------------------


def job_in_scope(user, job: Job) -> bool:
    """Whether `user` may follow a job and download its file: whoever started it; every officer who manages
    the campaign it belongs to (a computation, a document, the posters); and, for an agency's card of a
    published run, that agency's leaders. Nobody else (sipas.views answers 404)."""
    from agencies.models import Membership, Role
    from reports.models import IndexRun
    from surveys.selectors import managed_campaigns

    if user.is_superuser or (job.created_by_id is not None and job.created_by_id == user.pk):
        return True
    campaign_id = job.params.get("campaign_id")
    if campaign_id is None:
        return False
    if managed_campaigns(user).filter(pk=campaign_id).exists():
        return True
    agency_id = job.params.get("agency_id")
    return (
        job.kind == RENDER
        and job.params.get("document") == "card"
        and agency_id is not None
        and IndexRun.objects.filter(pk=job.params.get("run_id"), state=IndexRun.State.PUBLISHED).exists()
        and Membership.objects.filter(user=user, agency_id=agency_id, role=Role.MANAGER).exists()
    )
