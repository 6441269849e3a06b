"""Printed material for the one-stop shop (Bộ phận Một cửa): an A4 poster and an A6 counter card per reusable
link (agency or service point), one PDF with the A4 posters of every agency of a campaign, and an A7 slip with
the single-use QR code of one dossier, to staple to the result.

Rendered by WeasyPrint from templates/surveys/posters/. Printed text is always in the portal's default
language (Vietnamese), whatever language the staff member's screen uses: citizens read the poster, not staff.
The fonts are DejaVu Sans (it carries every Vietnamese glyph) with sans-serif as fallback.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from agencies.models import Agency
from sipas.jobs import abandon_if_lost, enqueue_job, is_lost, job_handler, report_progress
from sipas.models import Job
from surveys.models import Campaign, SurveyLink
from surveys.services.links import ensure_reusable_links, link_url, qr_svg

POSTER_SIZES = ("a4", "a6")


@dataclass(frozen=True)
class Sheet:
    """What one printed page shows: who is rated, in which campaign, the QR code and the address to type."""

    agency_name: str
    service_point_name: str
    campaign_name: str
    qr: str  # inline SVG, scalable (viewBox, no fixed size)
    address: str  # the link without its scheme, as people type it


def render_poster_pdf(link: SurveyLink, size: str = "a4") -> bytes:
    """A one-page poster ("a4") or counter card ("a6") for a reusable link. Raises ValueError for an unknown
    size or a single-use link (an invitation is printed as a slip, see render_invitation_slip_pdf)."""
    if size not in POSTER_SIZES:
        raise ValueError(f"unknown poster size {size!r}")
    if link.single_use:
        raise ValueError("a single-use invitation is printed as a slip, not a poster")
    return _pdf("surveys/posters/posters.html", size=size, sheets=[sheet_for(link)], title=link.agency.name)


def render_campaign_posters_pdf(
    campaign: Campaign, agencies: Iterable[Agency] | None = None, *, size: str = "a4"
) -> bytes:
    """One A4 poster ("a4") or A6 counter card ("a6") per surveyed agency of the campaign (or of `agencies`
    among them), one page each, in agency tree order, as a single PDF. Creates the missing reusable links first
    (idempotent). Raises ValueError for an unknown size."""
    if size not in POSTER_SIZES:
        raise ValueError(f"unknown poster size {size!r}")
    wanted = None if agencies is None else {agency.pk for agency in agencies}
    links = [
        link
        for link in ensure_reusable_links(campaign=campaign)
        if link.service_point_id is None and (wanted is None or link.agency_id in wanted)
    ]
    for link in links:
        link.campaign = campaign  # already loaded: no query per page
    return _pdf(
        "surveys/posters/posters.html", size=size, sheets=[sheet_for(link) for link in links], title=campaign.name
    )


# --- Every agency's posters as a job (a province of a thousand agencies takes minutes) ----------------------

POSTERS = "surveys.render_posters"


def enqueue_campaign_posters(*, campaign: Campaign, size: str, acting_user=None):
    """Queue the posters ("a4") or counter cards ("a6") of every agency of the campaign, or return the job
    already queued, running or done for the same agencies (a new agency in the campaign gives a new file).
    Raises ValueError for an unknown size."""
    if size not in POSTER_SIZES:
        raise ValueError(f"unknown poster size {size!r}")
    with transaction.atomic():
        Campaign.objects.select_for_update().get(pk=campaign.pk)  # two requests at once queue one job
        agencies = sorted(campaign.participants.values_list("agency_id", flat=True))
        params = {"campaign_id": campaign.pk, "size": size, "agencies": len(agencies), "last": agencies[-1:]}
        for job in Job.objects.filter(kind=POSTERS, params=params).exclude(state=Job.State.FAILED).order_by("-pk"):
            if not (is_lost(job) and abandon_if_lost(job)):
                return job
        return enqueue_job(kind=POSTERS, acting_user=acting_user, params=params)


def poster_jobs(campaign: Campaign) -> dict:
    """The latest posters job of each size of the campaign."""
    jobs = {}
    for job in Job.objects.filter(kind=POSTERS, params__campaign_id=campaign.pk).order_by("pk"):
        jobs[job.params.get("size")] = job
    return jobs


@job_handler(POSTERS)
def run_posters(job: Job) -> dict:
    """Render the posters or counter cards of every agency of the campaign into the job's file."""
    campaign = Campaign.objects.get(pk=job.params["campaign_id"])
    size = job.params["size"]
    report_progress(job, done=0, total=1)
    content = render_campaign_posters_pdf(campaign, size=size)
    name = pdf_filename("sipas", campaign.slug, "posters" if size == "a4" else "counter-cards", size)
    job.output.save(name, ContentFile(content), save=False)
    Job.objects.filter(pk=job.pk).update(output=job.output.name)
    report_progress(job, done=1, total=1)
    return {"file": name, "bytes": len(content)}


def render_invitation_slip_pdf(link: SurveyLink) -> bytes:
    """An A7 slip with the QR code of one single-use invitation. Raises ValueError for a reusable link."""
    if not link.single_use:
        raise ValueError("only a single-use invitation is printed as a slip")
    return _pdf("surveys/posters/slip.html", size="a7", sheets=[sheet_for(link)], title=link.agency.name)


def sheet_for(link: SurveyLink) -> Sheet:
    url = link_url(link)
    return Sheet(
        agency_name=link.agency.name,
        service_point_name=link.service_point.name if link.service_point_id else "",
        campaign_name=link.campaign.name,
        qr=scalable_svg(qr_svg(url + "?c=qr")),
        address=re.sub(r"^https?://", "", url),
    )


def scalable_svg(svg: str) -> str:
    """segno writes width and height in pixels; a viewBox instead lets the stylesheet give the code any size
    while it stays a crisp vector in the PDF."""
    match = re.match(r'<svg([^>]*?) width="(\d+)" height="(\d+)"', svg)
    if match is None:
        return svg
    attributes, width, height = match.groups()
    return f'<svg{attributes} viewBox="0 0 {width} {height}" preserveAspectRatio="xMidYMid meet"' + svg[match.end() :]


def pdf_filename(*parts: str) -> str:
    """An ASCII file name for Content-Disposition: letters, digits, dots, dashes and underscores only."""
    name = "-".join(re.sub(r"[^A-Za-z0-9._]+", "-", part).strip("-.") for part in parts if part)
    return f"{name or 'sipas'}.pdf"


def _pdf(template: str, *, size: str, sheets: list[Sheet], title: str) -> bytes:
    from weasyprint import HTML  # imported on use: loading pango costs a second at start-up

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            template, {"sheets": sheets, "size": size, "title": title, "language": settings.LANGUAGE_CODE}
        )
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()
