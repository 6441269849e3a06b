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
from django.template.loader import render_to_string
from django.utils import translation

from agencies.models import Agency
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


def render_campaign_posters_pdf(campaign: Campaign, agencies: Iterable[Agency] | None = None) -> bytes:
    """One A4 poster per surveyed agency of the campaign (or of `agencies` among them), one page each, in
    agency tree order, as a single PDF. Creates the missing reusable links first (idempotent)."""
    wanted = None if agencies is None else {agency.pk for agency in agencies}
    links = [
        link
        for link in ensure_reusable_links(campaign=campaign)
        if link.service_point_id is None and (wanted is None or link.agency_id in wanted)
    ]
    for link in links:
        link.campaign = campaign  # already loaded: no query per page
    return _pdf(
        "surveys/posters/posters.html", size="a4", sheets=[sheet_for(link) for link in links], title=campaign.name
    )


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
