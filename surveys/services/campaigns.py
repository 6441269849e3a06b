"""Campaigns: creation, surveyed agencies and their minimum samples, and the one state machine."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.selectors import subtree
from sipas.audit import record_audit
from surveys.models import Campaign, CampaignAgency, CampaignState, Channel, Methodology
from surveys.models.campaigns import SampleMode

# Allowed moves of the state machine. Reopening a closed campaign is allowed (e.g. the period was extended);
# nothing moves back once computed, except that a new computation may follow an appraisal that rejected it.
TRANSITIONS: dict[str, set[str]] = {
    CampaignState.DRAFT: {CampaignState.OPEN},
    CampaignState.OPEN: {CampaignState.CLOSED},
    CampaignState.CLOSED: {CampaignState.OPEN, CampaignState.COMPUTED},
    CampaignState.COMPUTED: {CampaignState.COMPUTED, CampaignState.APPRAISED},
    CampaignState.APPRAISED: {CampaignState.COMPUTED, CampaignState.PUBLISHED},
    CampaignState.PUBLISHED: set(),
}
ONLINE_CHANNELS = {Channel.QR, Channel.WEB, Channel.KIOSK, Channel.API}
ENTRY_CHANNELS = {Channel.PAPER, Channel.POST, Channel.ENUMERATOR, Channel.PHONE}


class CampaignStateError(Exception):
    pass


def sample_size(volume: int, margin_of_error: float = 0.05) -> int:
    """Minimum sample from the dossier volume N: n = N / (1 + N·e²), rounded up."""
    if volume <= 0:
        return 0
    return math.ceil(volume / (1 + volume * margin_of_error**2))


def create_campaign(
    *,
    year: int,
    name: str,
    slug: str,
    root: Agency,
    methodology: Methodology,
    period_start: datetime.date,
    period_end: datetime.date,
    channels: Iterable[str] = (Channel.QR, Channel.WEB, Channel.PAPER),
    level_samples: dict[str, int] | None = None,
    agency_kinds: Iterable[str] | None = None,
    acting_user=None,
    **options,
) -> Campaign:
    """Create a draft campaign over the agencies of `root`'s subtree whose kind is in `agency_kinds`
    (default: every kind with a sample in `level_samples`, else every non-root agency). Raises ValueError
    for a bad period, an unknown channel or a slug in use."""
    if period_end < period_start:
        raise ValueError(_("The survey cannot end before it starts."))
    unknown = set(channels) - set(Channel.values)
    if unknown:
        raise ValueError(_("Unknown channels: %(channels)s") % {"channels": ", ".join(sorted(unknown))})
    with transaction.atomic():
        if Campaign.objects.filter(slug=slug).exists():
            raise ValueError(_("The short name %(slug)s is already used by another campaign.") % {"slug": slug})
        campaign = Campaign.objects.create(
            year=year, name=name, slug=slug, root=root, methodology=methodology, period_start=period_start,
            period_end=period_end, channels=list(channels), level_samples=level_samples or {},
            created_by=acting_user, **options,
        )  # fmt: skip
        kinds = set(agency_kinds or (level_samples or {}).keys())
        agencies = subtree(root, include_root=False).filter(active_to__isnull=True)
        if kinds:
            agencies = agencies.filter(kind__in=kinds)
        set_participants(campaign=campaign, agencies=agencies)
        record_audit(actor=acting_user, action="campaign.created", target=campaign, slug=slug)
    return campaign


def set_participants(*, campaign: Campaign, agencies: Iterable[Agency], volumes: dict[str, int] | None = None) -> int:
    """Add the agencies to the campaign (existing ones keep their tallies) and recompute minimum samples."""
    volumes = volumes or {}
    existing = {p.agency_id: p for p in campaign.participants.all()}
    new = []
    for agency in agencies:
        participant = existing.get(agency.pk) or CampaignAgency(campaign=campaign, agency=agency)
        if agency.code in volumes:
            participant.dossier_volume = volumes[agency.code]
        participant.min_sample = minimum_sample(campaign, agency.kind, participant.dossier_volume)
        if participant.pk:
            participant.save(update_fields=["dossier_volume", "min_sample"])
        else:
            new.append(participant)
    CampaignAgency.objects.bulk_create(new)
    return len(new)


def minimum_sample(campaign: Campaign, agency_kind: str, volume: int | None) -> int:
    if campaign.sample_mode == SampleMode.VOLUME and volume is not None:
        return sample_size(volume, campaign.margin_of_error)
    return int(campaign.level_samples.get(agency_kind, 0))


def transition_campaign(*, campaign: Campaign, to_state: str, acting_user=None, note: str = "") -> Campaign:
    """Move the campaign to `to_state` if the state machine allows it; audited. Raises CampaignStateError."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if to_state not in TRANSITIONS.get(campaign.state, set()):
            raise CampaignStateError(
                _("A campaign cannot go from %(from)s to %(to)s.")
                % {"from": CampaignState(campaign.state).label, "to": CampaignState(to_state).label}
            )
        if to_state == CampaignState.OPEN and not campaign.participants.exists():
            raise CampaignStateError(_("Add at least one surveyed agency before opening the campaign."))
        previous = campaign.state
        campaign.state = to_state
        campaign.save(update_fields=["state", "updated_at"])
        record_audit(
            actor=acting_user, action="campaign.state", target=campaign, previous=previous, state=to_state, note=note
        )
    return campaign


def close_expired_campaigns(*, today: datetime.date | None = None) -> list[str]:
    """Close every open campaign whose period has ended (run daily by Celery beat). Returns their slugs."""
    today = today or timezone.localdate()
    closed = []
    for campaign in Campaign.objects.filter(state=CampaignState.OPEN, period_end__lt=today):
        transition_campaign(campaign=campaign, to_state=CampaignState.CLOSED, note="period ended")
        closed.append(campaign.slug)
    return closed


def accepts(campaign: Campaign, channel: str, *, today: datetime.date | None = None) -> str | None:
    """Why the campaign does not accept a response through `channel` now, or None if it does.

    Online channels need an open campaign inside its period. Paper, mailed, phone and enumerator forms
    collected during the period may still be entered after it ends, until the campaign is computed."""
    today = today or timezone.localdate()
    if channel not in campaign.channels:
        return "channel"
    if channel in ENTRY_CHANNELS:
        return None if campaign.state in (CampaignState.OPEN, CampaignState.CLOSED) else "closed"
    if campaign.state == CampaignState.DRAFT or today < campaign.period_start:
        return "not_started"
    if campaign.state != CampaignState.OPEN or today > campaign.period_end:
        return "closed"
    return None
