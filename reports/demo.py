"""Last year's campaign for the demo: computed, appraised and published, so the public pages and the
changes against the previous campaign have something to show."""

from __future__ import annotations

import datetime

from django.utils import timezone

from agencies.models import Agency
from reports.models import IndexRun
from reports.services.compute import compute_campaign_index
from reports.services.publication import appraise_run, publish_run
from surveys.demo import DEMO_SAMPLES, synthetic_responses
from surveys.models import Campaign, CampaignState, Channel, Methodology
from surveys.services.campaigns import create_campaign, transition_campaign


def ensure_published_demo_campaign(
    *, province: Agency, slug: str, responses: int, seed: int, acting_user=None
) -> Campaign:
    """Create (once) last year's campaign over the province, with synthetic responses, and publish it."""
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is not None:
        return campaign
    year = timezone.localdate().year - 1
    campaign = create_campaign(
        year=year,
        name=f"Khảo sát SIPAS {year} — {province.name}",
        slug=slug,
        root=province,
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(year, 3, 1),
        period_end=datetime.date(year, 10, 31),
        channels=[Channel.QR, Channel.WEB, Channel.PAPER],
        level_samples=DEMO_SAMPLES,
        target_percent=90.0,
        thresholds=[80.0, 90.0],
        acting_user=acting_user,
    )
    campaign = transition_campaign(campaign=campaign, to_state=CampaignState.OPEN, acting_user=acting_user)
    synthetic_responses(campaign=campaign, count=responses, seed=seed + 1000)
    campaign = transition_campaign(campaign=campaign, to_state=CampaignState.CLOSED, acting_user=acting_user)
    # Computed by the seed command itself (no officer): `acting_user` appraises it, which separate appraisal
    # duties (SEPARATE_APPRAISAL_DUTIES) would refuse to the officer who computed it.
    run = compute_campaign_index(campaign=campaign)
    appraise_run(run=run, approved=True, note="Số liệu minh họa (demo).", acting_user=acting_user)
    publish_run(run=IndexRun.objects.get(pk=run.pk), acting_user=acting_user)
    return campaign
