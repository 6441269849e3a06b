"""Campaigns: creation, surveyed agencies and their minimum samples, and the one state machine."""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from agencies.selectors import subtree
from sipas.audit import record_audit
from surveys.models import Campaign, CampaignAgency, CampaignState, Channel, Level, Methodology
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
            year=year,
            name=name,
            slug=slug,
            root=root,
            methodology=methodology,
            period_start=period_start,
            period_end=period_end,
            channels=list(channels),
            level_samples=level_samples or {},
            created_by=acting_user,
            **options,
        )
        kinds = set(agency_kinds or (level_samples or {}).keys())
        # Agencies active at some time during the period: a 2024 campaign still surveys the districts
        # dissolved on 1 July 2025, and none created after it.
        agencies = subtree(root, include_root=False).filter(
            Q(active_from__isnull=True) | Q(active_from__lte=period_end),
            Q(active_to__isnull=True) | Q(active_to__gte=period_start),
        )
        if kinds:
            agencies = agencies.filter(kind__in=kinds)
        set_participants(campaign=campaign, agencies=agencies)
        record_audit(actor=acting_user, action="campaign.created", target=campaign, slug=slug)
    return campaign


def set_participants(*, campaign: Campaign, agencies: Iterable[Agency], volumes: dict[str, int] | None = None) -> int:
    """Add the agencies to the campaign (existing ones keep their tallies) and recompute minimum samples."""
    volumes = volumes or {}
    existing = {p.agency_id: p for p in campaign.participants.all()}
    new, changed = [], []
    for agency in agencies:
        participant = existing.get(agency.pk) or CampaignAgency(campaign=campaign, agency=agency)
        if agency.code in volumes:
            participant.dossier_volume = volumes[agency.code]
        participant.min_sample = minimum_sample(campaign, agency.kind, participant.dossier_volume)
        (changed if participant.pk else new).append(participant)
    with transaction.atomic():
        CampaignAgency.objects.bulk_create(new)
        CampaignAgency.objects.bulk_update(changed, ["dossier_volume", "min_sample"])
    return len(new)


SAMPLE_SETTINGS = ("sample_mode", "level_samples", "margin_of_error")
VOLUME_STATES = (CampaignState.DRAFT, CampaignState.OPEN, CampaignState.CLOSED)


def update_campaign(*, campaign: Campaign, acting_user=None, **changes) -> Campaign:
    """Change a draft campaign's settings; minimum samples are recomputed when the sample settings change.
    Audited with the names of the fields changed. Raises CampaignStateError unless the campaign is a draft."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.state != CampaignState.DRAFT:
            raise CampaignStateError(_("Only a draft campaign can be edited."))
        if (
            changes.get("period_start")
            and changes.get("period_end")
            and changes["period_end"] < changes["period_start"]
        ):
            raise ValueError(_("The survey cannot end before it starts."))
        changed = sorted(field for field, value in changes.items() if getattr(campaign, field) != value)
        for field, value in changes.items():
            setattr(campaign, field, value)
        campaign.save()
        if set(changed) & set(SAMPLE_SETTINGS):
            set_participants(
                campaign=campaign, agencies=[p.agency for p in campaign.participants.select_related("agency")]
            )
        record_audit(actor=acting_user, action="campaign.updated", target=campaign, fields=changed)
    return campaign


def set_dossier_volumes(*, campaign: Campaign, volumes: dict[str, int | None], acting_user=None) -> int:
    """Record each surveyed agency's dossier volume N (None: unknown) and recompute the minimum samples.
    Returns how many volumes changed. Raises CampaignStateError once the index is computed."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.state not in VOLUME_STATES:
            raise CampaignStateError(_("Dossier volumes cannot change once the index is computed."))
        participants = list(campaign.participants.select_related("agency"))
        changed = sorted(
            p.agency.code
            for p in participants
            if p.agency.code in volumes and p.dossier_volume != volumes[p.agency.code]
        )
        set_participants(campaign=campaign, agencies=[p.agency for p in participants], volumes=volumes)
        record_audit(actor=acting_user, action="campaign.volumes", target=campaign, agencies=changed)
    return len(changed)


def minimum_sample(campaign: Campaign, agency_kind: str, volume: int | None) -> int:
    if campaign.sample_mode == SampleMode.VOLUME and volume is not None:
        return sample_size(volume, campaign.margin_of_error)
    return int(campaign.level_samples.get(agency_kind, 0))


def transition_campaign(*, campaign: Campaign, to_state: str, acting_user=None, note: str = "") -> Campaign:
    """Move the campaign to `to_state` if the state machine allows it; audited. Raises CampaignStateError."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if to_state not in CampaignState.values:
            raise CampaignStateError(_("Unknown campaign state %(state)s.") % {"state": to_state})
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
        if to_state == CampaignState.OPEN:
            from surveys.services.links import ensure_reusable_links  # links depend on campaigns, not back

            ensure_reusable_links(campaign=campaign)
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
    # The campaign's state first: once computed it takes nothing, whatever the channel (a client told "channel
    # not allowed" would try another channel instead of stopping).
    if campaign.state in (CampaignState.COMPUTED, CampaignState.APPRAISED, CampaignState.PUBLISHED):
        return "closed"
    if campaign.state == CampaignState.DRAFT:
        return "not_started"
    if channel not in campaign.channels:
        return "channel"
    if channel in ENTRY_CHANNELS:
        return None  # open or closed
    if today < campaign.period_start:
        return "not_started"
    if campaign.state != CampaignState.OPEN or today > campaign.period_end:
        return "closed"
    return None


# --- a version per level, targets and grading bands per level ------------------------------------------------------

LEVEL_VERSION_FIELDS = {level: f"{level}_methodology" for level in Level.values}


def set_level_settings(
    *,
    campaign: Campaign,
    versions: dict[str, Methodology | None],
    grading: dict[str, dict] | None = None,
    acting_user=None,
) -> Campaign:
    """Give each level the version its agencies answer (None: the campaign's default version) and, optionally, its
    target and grading bands ({"commune": {"target": 90, "bands": [{"min": 95, "label": ..., "label_en": ...}]}}).
    Only a draft campaign changes its versions: the questions asked must not change under fieldwork. Audited.
    Raises CampaignStateError, or ValueError for an unknown level or malformed bands."""
    unknown = (set(versions) | set(grading or {})) - set(Level.values)
    if unknown:
        raise ValueError(_("Unknown levels: %(levels)s") % {"levels": ", ".join(sorted(unknown))})
    for settings in (grading or {}).values():
        _check_grading(settings)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if campaign.state != CampaignState.DRAFT and any(
            (v.pk if v else None) != getattr(campaign, f"{LEVEL_VERSION_FIELDS[level]}_id")
            for level, v in versions.items()
        ):
            raise CampaignStateError(_("The version of a level can change only while the campaign is a draft."))
        if campaign.state == CampaignState.PUBLISHED and grading is not None:
            raise CampaignStateError(_("The results are published: targets and bands can no longer change."))
        for level, version in versions.items():
            setattr(campaign, LEVEL_VERSION_FIELDS[level], version)
        if grading is not None:
            campaign.level_grading = {
                level: {"target": s.get("target"), "bands": s.get("bands") or []}
                for level, s in grading.items()
                if s.get("target") is not None or s.get("bands")
            }
        campaign.save()
        record_audit(
            actor=acting_user,
            action="campaign.levels",
            target=campaign,
            versions={level: v.code if v else None for level, v in versions.items()},
            grading=campaign.level_grading,
        )
    return campaign


def _check_grading(settings: dict) -> None:
    target = settings.get("target")
    if target is not None and not 0 <= target <= 100:
        raise ValueError(_("A target is a percentage from 0 to 100."))
    bounds = [band.get("min") for band in settings.get("bands") or []]
    if any(not isinstance(b, (int, float)) or not 0 <= b <= 100 for b in bounds) or bounds != sorted(
        bounds, reverse=True
    ):
        raise ValueError(_("Grading bands start at a number from 0 to 100, the best band first."))


def methodology_for(campaign: Campaign, agency: Agency) -> Methodology:
    """The version `agency` answers in `campaign` (its level's own, else the campaign's default)."""
    pk = campaign.methodology_id_for_kind(agency.kind)
    return campaign.methodology if pk == campaign.methodology_id else Methodology.objects.get(pk=pk)


def level_versions(campaign: Campaign) -> dict[str, Methodology]:
    """The version of each level of the campaign, whether it has agencies of that level or not (one query)."""
    ids = {level: campaign.methodology_id_for_level(level) for level in Level.values}
    versions = Methodology.objects.in_bulk(set(ids.values()))
    return {level: versions[pk] for level, pk in ids.items()}
