"""The Home Affairs officer's campaign screens (Sở Nội vụ): the list, creation, the detail page with state
changes, progress and audit trail, editing a draft and dossier volumes (the review of flagged responses is in
surveys/officer_flags.py).

Scope: a campaign is reached through surveys.selectors.get_managed_campaign only (404 outside the officer's
subtree), and users without an officer role get a 404 on the list and the creation page too."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from agencies.models import AgencyKind, Role
from sipas.models import AuditEntry
from surveys.models import Campaign, CampaignAgency, CampaignState, Channel, FlagRule
from surveys.officer_forms import (
    CampaignCreateForm,
    CampaignEditForm,
    DossierVolumeForm,
    TransitionForm,
    format_thresholds,
)
from surveys.selectors import get_managed_campaign, managed_campaigns, progress_rows
from surveys.services.campaigns import (
    TRANSITIONS,
    VOLUME_STATES,
    CampaignStateError,
    create_campaign,
    transition_campaign,
)

# The moves of fieldwork. Computed, appraised and published follow an index run, so they belong to the index
# screens (a button that only changed the state would leave a "computed" campaign without a run).
OFFICER_TRANSITIONS = (CampaignState.OPEN, CampaignState.CLOSED)
CAMPAIGNS_PER_PAGE = 50
AGENCIES_PER_PAGE = 50
AUDIT_ENTRIES_SHOWN = 50


def _require_officer(user) -> None:
    if not user.is_superuser and not user.memberships.filter(role=Role.OFFICER).exists():
        raise Http404("Officers only")


def _agency_count() -> Coalesce:
    """A correlated COUNT of the surveyed agencies per campaign."""
    counted = (
        CampaignAgency.objects.filter(campaign=OuterRef("pk")).order_by().values("campaign").annotate(n=Count("pk"))
    )
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), Value(0))


@login_required
@require_GET
def campaign_list(request):
    """The campaigns an officer runs, with the agencies each surveys. Responses are counted on each campaign's
    own page: counting them here would read every response of every campaign listed (a million per province
    and year) on each view of the list."""
    _require_officer(request.user)
    campaigns = managed_campaigns(request.user).annotate(agency_count=_agency_count())
    page = Paginator(campaigns, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "surveys/officer/campaign_list.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request):
    _require_officer(request.user)
    form = CampaignCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = create_campaign(**form.service_kwargs(), acting_user=request.user)
        except ValueError as exc:  # a race the form could not see (e.g. the slug taken meanwhile)
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Campaign created as a draft. Check the agencies, then open it."))
            return redirect("officer:detail", slug=campaign.slug)
    return render(request, "surveys/officer/campaign_form.html", {"form": form, "campaign": None})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_detail(request, slug: str):
    campaign = get_managed_campaign(request.user, slug)
    if request.method == "POST":
        return _change_state(request, campaign)
    # Every agency's counts feed the totals per level; one page of agencies is shown (a province surveys a
    # thousand). Flagged responses count until an officer decides, so progress shows no flagged count: that
    # would join the flags to a million responses on every view (the flags tab counts them).
    rows = progress_rows(campaign, campaign.participants.all(), with_flagged=False)
    page = Paginator(rows, AGENCIES_PER_PAGE).get_page(request.GET.get("page"))
    for row in page:
        share = row["share_of_minimum"]
        row["bar_percent"] = None if share is None else min(100, round(share))
    audit = AuditEntry.objects.filter(target_type=Campaign._meta.label_lower, target_id=str(campaign.pk))
    entries = [(entry, _audit_summary(entry)) for entry in audit.select_related("actor")[:AUDIT_ENTRIES_SHOWN]]
    allowed = TRANSITIONS.get(campaign.state, set())
    context = {
        "campaign": campaign,
        "page": page,
        "totals": _totals_by_kind(rows),
        "transitions": [
            (state, _transition_label(campaign.state, state)) for state in OFFICER_TRANSITIONS if state in allowed
        ],
        "audit_entries": entries,
        "audit_limit": AUDIT_ENTRIES_SHOWN,
        "channels": [Channel(value).label for value in campaign.channels if value in Channel.values],
        "level_samples": [
            (AgencyKind(kind).label, campaign.level_samples[kind])
            for kind in AgencyKind.values
            if kind in campaign.level_samples
        ],
        "margin_percent": f"{campaign.margin_of_error * 100:g}",
        "thresholds": format_thresholds(campaign.thresholds),
        "tab": "overview",
    }
    return render(request, "surveys/officer/campaign_detail.html", context)


def _change_state(request, campaign: Campaign):
    form = TransitionForm(request.POST)
    if not form.is_valid() or form.cleaned_data["to_state"] not in OFFICER_TRANSITIONS:
        messages.error(request, _("This change of state is not available here."))
        return redirect("officer:detail", slug=campaign.slug)
    if _closes_early(campaign, form.cleaned_data["to_state"]) and not form.cleaned_data["confirmed"]:
        days = (campaign.period_end - timezone.localdate()).days
        context = {"campaign": campaign, "days_left": days, "tab": "overview"}
        return render(request, "surveys/officer/close_confirm.html", context)
    try:
        campaign = transition_campaign(
            campaign=campaign, to_state=form.cleaned_data["to_state"], acting_user=request.user
        )
    except CampaignStateError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Campaign state: %(state)s.") % {"state": campaign.get_state_display()})
    return redirect("officer:detail", slug=campaign.slug)


def _closes_early(campaign: Campaign, target: str) -> bool:
    """Closing an open campaign before its survey period ends turns away the citizens still to answer: asked
    for twice, with a warning."""
    return (
        target == CampaignState.CLOSED
        and campaign.state == CampaignState.OPEN
        and timezone.localdate() < campaign.period_end
    )


def _transition_label(current: str, target: str) -> str:
    if target == CampaignState.OPEN:
        return _("Reopen the campaign") if current == CampaignState.CLOSED else _("Open the campaign")
    if target == CampaignState.CLOSED:
        return _("Close the campaign")
    return str(CampaignState(target).label)


def _state_label(value) -> str:
    return str(CampaignState(value).label) if value in CampaignState.values else str(value)


def rule_label(value) -> str:
    if value == "manual":
        return _("one by one")
    return str(FlagRule(value).label) if value in FlagRule.values else str(value)


def _field_label(name: str) -> str:
    try:
        return str(Campaign._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        return name


def _audit_summary(entry: AuditEntry) -> str:
    """One readable line per audit entry of a campaign."""
    data = entry.data or {}
    if entry.action == "campaign.created":
        return _("Campaign created")
    if entry.action == "campaign.state":
        text = _("State changed from %(previous)s to %(state)s") % {
            "previous": _state_label(data.get("previous")),
            "state": _state_label(data.get("state")),
        }
        return f"{text} ({data['note']})" if data.get("note") else text
    if entry.action == "responses.decided":
        count, rule = int(data.get("count", 0)), rule_label(data.get("rule"))
        if data.get("include"):
            template = ngettext(
                "%(count)s flagged response included (%(rule)s)",
                "%(count)s flagged responses included (%(rule)s)",
                count,
            )
        else:
            template = ngettext(
                "%(count)s flagged response excluded (%(rule)s)",
                "%(count)s flagged responses excluded (%(rule)s)",
                count,
            )
        return template % {"count": count, "rule": rule}
    if entry.action == "campaign.updated":
        labels = [_field_label(field) for field in data.get("fields") or []]
        return _("Settings changed: %(fields)s") % {"fields": ", ".join(labels) or "—"}
    if entry.action == "campaign.volumes":
        count = len(data.get("agencies") or [])
        return ngettext(
            "Dossier volume changed for %(count)s agency", "Dossier volumes changed for %(count)s agencies", count
        ) % {"count": count}
    return entry.action


def _totals_by_kind(rows: list[dict]) -> list[dict]:
    """Sums per agency kind (in the order of AgencyKind), then one row for the whole campaign."""
    fields = ("min_sample", "total", "excluded", "counted")
    groups: dict[str, dict] = {}
    overall = {"label": _("All surveyed agencies"), "agencies": 0, "enough": 0, **dict.fromkeys(fields, 0)}
    for row in rows:
        kind = row["agency"].kind
        group = groups.setdefault(
            kind, {"label": row["agency"].get_kind_display(), "agencies": 0, "enough": 0, **dict.fromkeys(fields, 0)}
        )
        for target in (group, overall):
            target["agencies"] += 1
            target["enough"] += int(row["enough"])
            target["min_sample"] += row["participant"].min_sample
            for field in fields[1:]:
                target[field] += row[field]
    ordered = [groups[kind] for kind in AgencyKind.values if kind in groups]
    return [*ordered, overall] if rows else []


@login_required
@require_http_methods(["GET", "POST"])
def campaign_edit(request, slug: str):
    campaign = get_managed_campaign(request.user, slug)
    if campaign.state != CampaignState.DRAFT:
        messages.warning(request, _("Only a draft campaign can be edited."))
        return redirect("officer:detail", slug=campaign.slug)
    kinds = set(campaign.participants.order_by().values_list("agency__kind", flat=True).distinct())
    form = CampaignEditForm(request.POST or None, campaign=campaign, surveyed_kinds=kinds)
    if request.method == "POST" and form.is_valid():
        try:
            form.save(acting_user=request.user)
        except CampaignStateError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Campaign settings saved."))
        return redirect("officer:detail", slug=campaign.slug)
    return render(request, "surveys/officer/campaign_form.html", {"form": form, "campaign": campaign, "tab": "edit"})


@login_required
@require_http_methods(["GET", "POST"])
def campaign_agencies(request, slug: str):
    campaign = get_managed_campaign(request.user, slug)
    participants = list(campaign.participants.select_related("agency").order_by("agency__path"))
    editable = campaign.state in VOLUME_STATES
    form = DossierVolumeForm(
        request.POST if request.method == "POST" else None, campaign=campaign, participants=participants
    )
    if request.method == "POST":
        if not editable:
            messages.error(request, _("Dossier volumes cannot change once the index is computed."))
            return redirect("officer:agencies", slug=campaign.slug)
        if form.is_valid():
            try:
                changed = form.save(acting_user=request.user)
            except CampaignStateError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    ngettext(
                        "Dossier volume saved for %(count)s agency; minimum samples recomputed.",
                        "Dossier volumes saved for %(count)s agencies; minimum samples recomputed.",
                        changed,
                    )
                    % {"count": changed},
                )
            return redirect("officer:agencies", slug=campaign.slug)
    context = {"campaign": campaign, "form": form, "editable": editable, "tab": "agencies"}
    return render(request, "surveys/officer/campaign_agencies.html", context)
