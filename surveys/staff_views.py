"""One-stop-shop screens (Bộ phận Một cửa) at /staff/: the campaigns that survey the user's agencies, each
agency's survey links with its posters, counter cards and QR codes, its response count, and single-use
invitations for one dossier (mã hồ sơ) with their printed slip.

Staff and leaders reach their own agency; officers every agency of their subtree. Everything outside that
scope, including a campaign that surveys none of the user's agencies, is a 404.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.models import Agency, Role, ServicePoint
from agencies.scope import agencies_in_scope
from surveys import posters
from surveys.models import Campaign, CampaignAgency, CampaignState, SurveyLink
from surveys.selectors import (
    campaigns_for_agencies,
    get_managed_campaign,
    managed_campaigns,
    participants_in_scope,
    response_counts,
)
from surveys.services.links import DOSSIER_CODE_MAX, InvitationError, create_invitation, ensure_reusable_links, link_url

STAFF_ROLES = (Role.STAFF, Role.OFFICER, Role.MANAGER)
# InvitationError.field → the input of InvitationForm it concerns (anything else: the form as a whole).
INVITATION_ERROR_FIELDS = {
    "dossier_code": "dossier_code",
    "agency_code": "agency",
    "service_point_code": "service_point",
}


class InvitationForm(forms.Form):
    """A dossier code for one single-use invitation; the agency and service point choices are those the
    user reaches in the campaign (a staff member's only agency comes preselected)."""

    agency = forms.ChoiceField(label=gettext_lazy("Agency"))
    service_point = forms.ChoiceField(label=gettext_lazy("Service point"), required=False)
    dossier_code = forms.CharField(
        label=gettext_lazy("Dossier code (mã hồ sơ)"),
        max_length=DOSSIER_CODE_MAX,
        help_text=gettext_lazy(
            "Only a keyed hash of the code is stored. The same code always gives the same invitation."
        ),
    )

    def __init__(self, *args, rows: list[AgencyLinks], action: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [(row.agency.code, f"{row.agency.name} ({row.agency.code})") for row in rows]
        points = [(str(p.pk), f"{p.name} — {row.agency.name}") for row in rows for p in row.service_points]
        self.fields["service_point"].choices = [("", _("None (the agency itself)")), *points]
        if len(rows) == 1:
            self.initial["agency"] = rows[0].agency.code
        if not points:
            self.fields["service_point"].widget = forms.HiddenInput()
        self.agencies = {row.agency.code: row.agency for row in rows}
        self.points = {str(p.pk): p for row in rows for p in row.service_points}
        self.helper = FormHelper()
        self.helper.form_action = action
        self.helper.add_input(Submit("create", _("Create the invitation")))

    def clean(self):
        cleaned = super().clean()
        for name, problems in list(self.errors.items()):
            if self.fields.get(name) and self.fields[name].widget.is_hidden:  # shown nowhere else
                self.add_error(None, problems)
        cleaned["agency"] = self.agencies.get(cleaned.get("agency"))
        cleaned["service_point"] = self.points.get(cleaned.get("service_point") or "")
        return cleaned


@dataclass
class AgencyLinks:
    """One surveyed agency on the staff page: its reusable links (agency first, then its service points)."""

    participant: CampaignAgency
    links: list[SurveyLink] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def agency(self) -> Agency:
        return self.participant.agency

    @property
    def service_points(self) -> list[ServicePoint]:
        return [link.service_point for link in self.links if link.service_point_id]

    @property
    def entries(self) -> list[tuple[SurveyLink, str]]:
        return [(link, link_url(link)) for link in self.links]

    @property
    def counted(self) -> int:
        return self.counts["total"] - self.counts["excluded"]


def _campaign_in_reach(user, slug: str) -> Campaign:
    campaign = campaigns_for_agencies(user, STAFF_ROLES).filter(slug=slug).first()
    if campaign is None:
        raise Http404("No campaign surveys an agency of this user")
    return campaign


def _agency_rows(user, campaign: Campaign) -> list[AgencyLinks]:
    """The agencies the user reaches in the campaign, each with its reusable links and response counts; a
    fixed number of queries whatever the number of agencies. Links missing so far (a campaign opened without
    them, a service point added later) are created once, idempotently."""
    rows = [AgencyLinks(p) for p in participants_in_scope(user, campaign, STAFF_ROLES).order_by("agency__path")]
    by_agency = {row.agency.pk: row for row in rows}
    links = _reusable_links(campaign, by_agency)
    wanted = {(agency_id, None) for agency_id in by_agency} | set(
        ServicePoint.objects.filter(agency_id__in=by_agency, is_active=True).order_by().values_list("agency_id", "pk")
    )
    if wanted - {(link.agency_id, link.service_point_id) for link in links}:
        with suppress(IntegrityError):  # another request created them at the same moment
            ensure_reusable_links(campaign=campaign)
        links = _reusable_links(campaign, by_agency)
    for link in links:
        by_agency[link.agency_id].links.append(link)
    counts = response_counts(campaign, agency_ids=by_agency)
    for row in rows:
        row.links.sort(
            key=lambda link: (link.service_point_id is not None, link.service_point and link.service_point.code)
        )
        row.counts = counts.get(row.agency.pk, {"total": 0, "flagged": 0, "excluded": 0})
    return rows


def _reusable_links(campaign: Campaign, by_agency: dict[int, AgencyLinks]) -> list[SurveyLink]:
    links = SurveyLink.objects.filter(campaign=campaign, single_use=False, agency_id__in=by_agency).select_related(
        "service_point"
    )
    return [link for link in links if link.service_point is None or link.service_point.is_active]


def _scoped_link(user, campaign: Campaign, token: str, *, single_use: bool) -> SurveyLink:
    link = (
        SurveyLink.objects.filter(
            campaign=campaign, token=token, single_use=single_use, agency__in=agencies_in_scope(user, STAFF_ROLES)
        )
        .select_related("campaign", "agency", "service_point")
        .first()
    )
    if link is None:
        raise Http404("No link in scope")
    return link


def _pdf_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _campaign_page(
    request, campaign: Campaign, rows: list[AgencyLinks], form: InvitationForm | None = None, status: int = 200
):
    accepting = campaign.state in (CampaignState.DRAFT, CampaignState.OPEN)
    if form is None and accepting and rows:
        form = InvitationForm(rows=rows, action=_invitation_action(campaign))
    context = {
        "campaign": campaign,
        "rows": rows,
        "form": form,
        "can_print_all": managed_campaigns(request.user).filter(pk=campaign.pk).exists(),
    }
    return render(request, "surveys/staff/campaign_detail.html", context, status=status)


def _invitation_action(campaign: Campaign) -> str:
    return reverse("staff:invitation-create", args=[campaign.slug])


@login_required
@require_GET
def campaign_list(request):
    campaigns = campaigns_for_agencies(request.user, STAFF_ROLES)
    return render(request, "surveys/staff/campaign_list.html", {"campaigns": campaigns})


@login_required
@require_GET
def campaign_detail(request, slug: str):
    campaign = _campaign_in_reach(request.user, slug)
    return _campaign_page(request, campaign, _agency_rows(request.user, campaign))


@login_required
@require_POST
def invitation_create(request, slug: str):
    campaign = _campaign_in_reach(request.user, slug)
    rows = _agency_rows(request.user, campaign)
    form = InvitationForm(request.POST, rows=rows, action=_invitation_action(campaign))
    if form.is_valid():
        try:
            link, created = create_invitation(
                campaign=campaign,
                agency=form.cleaned_data["agency"],
                service_point=form.cleaned_data["service_point"],
                dossier_code=form.cleaned_data["dossier_code"],
                acting_user=request.user,
            )
        except InvitationError as error:
            form.add_error(INVITATION_ERROR_FIELDS.get(error.field), str(error))
        else:
            if created:
                messages.success(request, _("Invitation created. Print its slip and staple it to the result."))
            else:
                messages.info(request, _("This dossier already has an invitation: here it is again."))
            return redirect("staff:invitation", slug=campaign.slug, token=link.token)
    return _campaign_page(request, campaign, rows, form, status=400)


@login_required
@require_GET
def invitation_detail(request, slug: str, token: str):
    campaign = _campaign_in_reach(request.user, slug)
    link = _scoped_link(request.user, campaign, token, single_use=True)
    return render(
        request, "surveys/staff/invitation_detail.html", {"campaign": campaign, "link": link, "url": link_url(link)}
    )


@login_required
@require_GET
def poster_pdf(request, slug: str, token: str, size: str):
    campaign = _campaign_in_reach(request.user, slug)
    link = _scoped_link(request.user, campaign, token, single_use=False)
    kind = "poster" if size == "a4" else "card"
    point = link.service_point.code if link.service_point_id else ""
    filename = posters.pdf_filename("sipas", campaign.slug, link.agency.code, point, kind, size)
    return _pdf_response(posters.render_poster_pdf(link, size), filename)


@login_required
@require_GET
def invitation_slip_pdf(request, slug: str, token: str):
    campaign = _campaign_in_reach(request.user, slug)
    link = _scoped_link(request.user, campaign, token, single_use=True)
    filename = posters.pdf_filename("sipas", campaign.slug, link.agency.code, "slip", link.token[:6])
    return _pdf_response(posters.render_invitation_slip_pdf(link), filename)


@login_required
@require_http_methods(["GET", "POST"])
def campaign_posters_pdf(request, slug: str):
    """The A4 posters and the A6 counter cards of every agency of a campaign, for the officers who manage it: a
    job each (a province of a thousand agencies takes minutes), prepared once and kept until the campaign's
    agencies change. GET shows them; POST asks for one and follows its job."""
    campaign = get_managed_campaign(request.user, slug)
    if request.method == "POST":
        try:
            job = posters.enqueue_campaign_posters(
                campaign=campaign, size=request.POST.get("size", ""), acting_user=request.user
            )
        except ValueError:
            messages.error(request, _("Choose posters or counter cards."))
            return redirect("staff:campaign-posters", slug=campaign.slug)
        return redirect("job-status", job_id=job.pk)
    jobs = posters.poster_jobs(campaign)
    sizes = [(size, label, jobs.get(size)) for size, label in POSTER_CHOICES]
    return render(request, "surveys/posters/campaign_jobs.html", {"campaign": campaign, "sizes": sizes})


POSTER_CHOICES = [
    ("a4", gettext_lazy("A4 posters of every agency")),
    ("a6", gettext_lazy("A6 counter cards of every agency")),
]
