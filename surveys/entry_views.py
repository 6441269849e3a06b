"""The enumerator's screens (điều tra viên): /entry/ lists the campaigns and agencies they enter forms for;
/entry/<slug>/<agency_code>/ enters paper and mailed forms one after the other from the keyboard, and keeps
the agency's paper-form tally and back-checks (phúc tra).

Enumerators reach their own agency, officers their subtree; anyone else gets a 404 on every method."""

from __future__ import annotations

from collections import defaultdict
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from agencies.models import Membership, Role
from agencies.scope import agencies_in_scope, get_agency_in_scope
from surveys.entry_forms import FORM_FIELDS, BackCheckForm, PaperFormEntry, PaperTallyForm
from surveys.forms import localized_option
from surveys.models import Campaign, CampaignAgency, CampaignState, Channel, Response
from surveys.selectors import campaigns_for_agencies
from surveys.services.answers import validate_answers
from surveys.services.campaigns import ENTRY_CHANNELS, accepts
from surveys.services.paper import (
    enter_paper_form,
    entered_today,
    paper_tallies,
    record_back_check,
    record_paper_tally,
)
from surveys.services.responses import SubmissionRejected, question_set

ENTRY_ROLES = (Role.ENUMERATOR, Role.OFFICER)


@login_required
def entry_home(request):
    """The campaigns that survey the user's agencies, each with the agencies the user enters forms for."""
    user = request.user
    if not user.is_superuser and not Membership.objects.filter(user=user, role__in=ENTRY_ROLES).exists():
        raise Http404("Enumerators and officers only")
    campaigns = list(campaigns_for_agencies(user, ENTRY_ROLES))
    participants = _participants_by_campaign(user, campaigns)
    tallies = paper_tallies(p for group in participants.values() for p in group)
    for group in participants.values():
        for participant in group:
            participant.tally = tallies[participant.pk]
    rows = [{"campaign": c, "participants": participants[c.pk], "accepts_entry": _entry_open(c)} for c in campaigns]
    return render(request, "surveys/entry/index.html", {"rows": rows})


def _participants_by_campaign(user, campaigns: list[Campaign]) -> dict[int, list[CampaignAgency]]:
    # selectors.participants_in_scope in one query for all campaigns rather than one per campaign.
    queryset = (
        CampaignAgency.objects.filter(campaign__in=campaigns, agency__in=agencies_in_scope(user, ENTRY_ROLES))
        .select_related("agency")
        .order_by("campaign_id", "agency__path")
    )
    grouped: dict[int, list[CampaignAgency]] = defaultdict(list)
    for participant in queryset:
        grouped[participant.campaign_id].append(participant)
    return grouped


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def agency_entry(request, slug: str, agency_code: str):
    """Enter one paper form (entry_action=response, the default), or record the tally or a back-check."""
    agency = get_agency_in_scope(request.user, agency_code, ENTRY_ROLES)
    participant = get_object_or_404(
        CampaignAgency.objects.select_related("campaign__methodology"), campaign__slug=slug, agency=agency
    )
    participant.agency = agency
    page = EntryPage(request, participant)
    if request.method == "POST":
        action = request.POST.get("entry_action", "response")
        handler = {"tally": page.save_tally, "back_check": page.save_back_check}.get(action, page.save_form)
        redirect_to = handler()
        if redirect_to:
            return redirect(redirect_to)
    return page.render()


class EntryPage:
    """The three forms of the agency's entry page; a POST fills one of them, the others stay blank."""

    def __init__(self, request, participant: CampaignAgency):
        self.request = request
        self.participant = participant
        self.campaign = participant.campaign
        self.agency = participant.agency
        self.questions = question_set(self.campaign, self.agency)
        self.channels = entry_channels(self.campaign)
        self.refusal = refusal_message(self.campaign, self.channels)
        self.url = reverse("entry:agency", args=[self.campaign.slug, self.agency.code])
        self.entry_form: PaperFormEntry | None = None
        self.errors: dict[str, str] = {}
        self.tally_form: PaperTallyForm | None = None
        self.back_check_form: BackCheckForm | None = None
        self.status = 200

    def save_form(self) -> str | None:
        form = self.entry_form = PaperFormEntry(self.request.POST, questions=self.questions, channels=self.channels)
        self.status = 400
        if self.refusal:
            self.status = 409
            return None
        if not form.is_valid():
            _clean, self.errors = validate_answers(self.questions, form.raw_answers(), strict_skips=True)
            return None
        data = form.cleaned_data
        try:
            response, created = enter_paper_form(
                campaign=self.campaign, agency=self.agency, answers=form.raw_answers(), client_id=data["client_id"],
                channel=data["channel"], respondent_type=data["respondent_type"], form_date=data["submitted_at"],
                serial=data["serial"], entered_by=self.request.user, questions=self.questions,
            )  # fmt: skip
        except SubmissionRejected as rejected:
            if rejected.reason != "invalid":
                self.refusal, self.status = refusal_message(self.campaign, self.channels, rejected.reason), 409
                return None
            self.errors = dict(rejected.errors)
            for field in FORM_FIELDS:
                if field in self.errors:
                    form.add_error(field, self.errors.pop(field))
            return None
        count = entered_today(campaign=self.campaign, agency=self.agency, user=self.request.user)
        values = {"count": count, "agency": self.agency.name}
        if created:
            text = ngettext(
                "Form saved. You have entered %(count)s form for %(agency)s today.",
                "Form saved. You have entered %(count)s forms for %(agency)s today.",
                count,
            )
        else:
            text = ngettext(
                "This form had already been saved, so it was not stored twice. You have entered %(count)s form "
                "for %(agency)s today.",
                "This form had already been saved, so it was not stored twice. You have entered %(count)s forms "
                "for %(agency)s today.",
                count,
            )
        messages.success(self.request, text % values)
        batch = {"channel": response.channel, "date": data["submitted_at"].isoformat()}
        return f"{self.url}?{urlencode(batch)}"

    def save_tally(self) -> str | None:
        form = self.tally_form = PaperTallyForm(self.request.POST)
        self.status = 400
        if form.is_valid():
            try:
                record_paper_tally(
                    participant=self.participant, issued=form.cleaned_data["forms_issued"],
                    returned=form.cleaned_data["forms_returned"], acting_user=self.request.user,
                )  # fmt: skip
            except ValueError as error:
                form.add_error(None, str(error))
            else:
                messages.success(self.request, _("Paper-form tally saved."))
                return f"{self.url}#tally"
        return None

    def save_back_check(self) -> str | None:
        form = self.back_check_form = BackCheckForm(self.request.POST)
        self.status = 400
        if form.is_valid():
            try:
                record_back_check(
                    participant=self.participant, forms_checked=form.cleaned_data["forms_checked"],
                    forms_confirmed=form.cleaned_data["forms_confirmed"], note=form.cleaned_data["note"],
                    acting_user=self.request.user,
                )  # fmt: skip
            except ValueError as error:
                form.add_error(None, str(error))
            else:
                messages.success(self.request, _("Back-check recorded."))
                return f"{self.url}#back-checks"
        return None

    def render(self):
        participant = self.participant
        tally = paper_tallies([participant])[participant.pk]
        form = self.entry_form or PaperFormEntry(
            initial=PaperFormEntry.batch_initial(self.request.GET, self.channels),
            questions=self.questions,
            channels=self.channels,
        )
        focus = form.focus(self.errors)
        context = {
            "campaign": self.campaign,
            "agency": self.agency,
            "participant": participant,
            "refusal": self.refusal,
            "form": form,
            "sections": form.sections(self.errors, focus),
            "errors": self.errors,
            "scale": [
                {"code": o["code"], "label": localized_option(o)} for o in self.questions.scale
            ],  # agency's version
            "today_count": entered_today(campaign=self.campaign, agency=self.agency, user=self.request.user),
            "entered_count": Response.objects.filter(
                campaign=self.campaign, agency=self.agency, channel__in=ENTRY_CHANNELS
            ).count(),
            "tally": tally,
            "tally_form": self.tally_form
            or PaperTallyForm(initial={"forms_issued": tally.issued, "forms_returned": tally.returned}),
            "back_check_form": self.back_check_form or BackCheckForm(),
            "back_checks": participant.back_checks.select_related("checked_by"),
        }
        return render(self.request, "surveys/entry/agency.html", context, status=self.status)


def entry_channels(campaign: Campaign) -> list[str]:
    """The campaign's channels an enumerator may enter forms for, in the usual order."""
    return [channel for channel in Channel.values if channel in ENTRY_CHANNELS and channel in campaign.channels]


def _entry_open(campaign: Campaign) -> bool:
    return campaign.state in (CampaignState.OPEN, CampaignState.CLOSED) and bool(entry_channels(campaign))


def refusal_message(campaign: Campaign, channels: list[str], reason: str | None = None) -> str:
    """Why no form can be entered now (empty if they can), in words an enumerator can act on."""
    if reason is None:
        if not channels:
            reason = "channel"
        else:
            reason = accepts(campaign, channels[0]) or ""
    if not reason:
        return ""
    if reason == "channel":
        return _(
            "This campaign does not accept forms on paper, by post, by phone or through enumerators. Ask the "
            "officer who runs it to allow one of these channels."
        )
    if reason == "agency":
        return _("This agency is not surveyed in this campaign.")
    return _("Forms can be entered only while the campaign is open or closed; this campaign is “%(state)s”.") % {
        "state": CampaignState(campaign.state).label
    }
