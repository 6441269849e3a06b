from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from agencies.models import Role
from agencies.selectors import memberships_of
from sipas.models import Job
from surveys.selectors import led_participations


def home(request):
    return render(request, "home.html")


@login_required
def workspace(request):
    """Each role's area, one card per membership."""
    from surveys.entry_views import ENTRY_ROLES
    from surveys.staff_views import STAFF_ROLES

    memberships = list(memberships_of(request.user))
    roles = {m.role for m in memberships}
    results = [(p.campaign, p.agency) for p in led_participations(request.user)]
    everything = request.user.is_superuser
    return render(
        request,
        "workspace.html",
        {
            "memberships": memberships,
            "is_officer": Role.OFFICER in roles,
            # Each area is offered only to the roles it serves: a link that leads to a 404 is no link.
            "can_print_links": everything or bool(roles & set(STAFF_ROLES)),
            "can_enter_paper": everything or bool(roles & set(ENTRY_ROLES)),
            "agency_results": results,
        },
    )


# What a job's result holds, in words; keys without a label (internal ids) are not shown.
RESULT_LABELS = {
    "run_number": _("Run number"),
    "responses_counted": _("Responses counted"),
    "file": _("File"),
    "bytes": _("Size (bytes)"),
    "created": _("Agencies added"),
    "updated": _("Agencies updated"),
    "unchanged": _("Agencies unchanged"),
    "rows": _("Rows read"),
    "imported": _("Responses imported"),
    "flagged": _("Responses flagged"),
    "skipped": _("Rows already imported"),
}
KIND_TITLES = {
    "reports.compute_index": _("Computing the index"),
    "reports.render_report": _("Rendering a document"),
    "surveys.render_posters": _("Rendering posters"),
    "agencies.import_file": _("Importing an agency list"),
}


def _own_job(request, job_id: int) -> Job:
    """A job in the asker's scope (reports.jobs.job_in_scope: whoever started it, every officer who manages its
    campaign, an agency's leaders for its published card); 404 for everyone else, as for a job that does not
    exist."""
    from reports.jobs import job_in_scope

    job = get_object_or_404(Job, pk=job_id)
    if not job_in_scope(request.user, job):
        raise Http404("No job in scope")
    return job


@login_required
def job_download(request, job_id: int):
    """The file a finished job produced (a rendered report), as an attachment."""
    job = _own_job(request, job_id)
    if job.state != Job.State.DONE or not job.output:
        raise Http404("No file")
    return FileResponse(job.output.open("rb"), as_attachment=True, filename=job.output.name.rsplit("/", 1)[-1])


@login_required
def job_status(request, job_id: int):
    job = _own_job(request, job_id)
    if request.headers.get("Accept", "").startswith("application/json"):
        return JsonResponse(
            {
                "id": job.pk,
                "state": job.state,
                "progress_done": job.progress_done,
                "progress_total": job.progress_total,
                "result": job.result,
                "errors": job.errors,
                "download": reverse("job-download", args=[job.pk]) if job.output else None,
            }
        )
    campaign = None
    if "campaign_id" in job.params and job.kind.startswith("reports."):  # lead back to the campaign's index
        from surveys.selectors import managed_campaigns

        campaign = managed_campaigns(request.user).filter(pk=job.params["campaign_id"]).first()
    result = [(label, job.result[key]) for key, label in RESULT_LABELS.items() if key in job.result]
    waiting_for_queue = job.state == Job.State.QUEUED and job.sent_at is None
    return render(
        request,
        "job_status.html",
        {
            "job": job,
            "campaign": campaign,
            "result": result,
            "title": KIND_TITLES.get(job.kind, _("Job")),
            "waiting_for_queue": waiting_for_queue,
        },
    )


def healthz(request):
    """Liveness for the proxy and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
