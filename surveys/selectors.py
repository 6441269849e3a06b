"""Reads shared by the survey screens: campaigns a user may reach, and response counts per agency."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from agencies.models import Role
from agencies.scope import agencies_in_scope
from surveys.models import Campaign, CampaignAgency, Response


def managed_campaigns(user) -> QuerySet[Campaign]:
    """Campaigns an officer runs: those whose root agency lies in one of the officer's subtrees."""
    return Campaign.objects.filter(root__in=agencies_in_scope(user, [Role.OFFICER])).select_related(
        "root", "methodology"
    )


def get_managed_campaign(user, slug: str) -> Campaign:
    """The campaign with `slug` if `user` manages it; Http404 otherwise (existence is not revealed)."""
    campaign = managed_campaigns(user).filter(slug=slug).first()
    if campaign is None:
        raise Http404("No campaign in scope")
    return campaign


def campaigns_for_agencies(user, roles: Iterable[str]) -> QuerySet[Campaign]:
    """Campaigns that survey at least one agency `user` reaches through `roles` (staff, enumerators, leaders)."""
    agencies = agencies_in_scope(user, roles)
    return Campaign.objects.filter(participants__agency__in=agencies).distinct().select_related("root", "methodology")


def participants_in_scope(user, campaign: Campaign, roles: Iterable[str]) -> QuerySet[CampaignAgency]:
    return campaign.participants.filter(agency__in=agencies_in_scope(user, roles)).select_related("agency")


def response_counts(campaign: Campaign, *, agency_ids: Iterable[int] | None = None) -> dict[int, dict[str, int]]:
    """Per agency id: responses stored, how many are flagged, how many excluded. One GROUP BY query."""
    queryset = Response.objects.filter(campaign=campaign)
    if agency_ids is not None:
        queryset = queryset.filter(agency_id__in=list(agency_ids))
    rows = queryset.values("agency_id").annotate(
        total=Count("id", distinct=True),
        flagged=Count("id", filter=Q(flags__isnull=False), distinct=True),
        excluded=Count("id", filter=Q(excluded=True), distinct=True),
    )
    return {
        row["agency_id"]: {"total": row["total"], "flagged": row["flagged"], "excluded": row["excluded"]}
        for row in rows
    }


def progress_rows(campaign: Campaign, participants: QuerySet[CampaignAgency]) -> list[dict]:
    """One row per surveyed agency: counts against the minimum sample and, where the dossier volume is
    known, the response rate (responses / results returned). Two queries whatever the number of agencies."""
    participants = list(participants.select_related("agency").order_by("agency__path"))
    counts = response_counts(campaign, agency_ids=[p.agency_id for p in participants])
    rows = []
    for participant in participants:
        count = counts.get(participant.agency_id, {"total": 0, "flagged": 0, "excluded": 0})
        counted = count["total"] - count["excluded"]
        rows.append(
            {
                "participant": participant,
                "agency": participant.agency,
                **count,
                "counted": counted,
                "enough": counted >= participant.min_sample,
                "share_of_minimum": (100.0 * counted / participant.min_sample) if participant.min_sample else None,
                "response_rate": (100.0 * count["total"] / participant.dossier_volume)
                if participant.dossier_volume
                else None,
            }
        )
    return rows


def led_participations(user, *, limit: int = 20) -> QuerySet[CampaignAgency]:
    """The (campaign, agency) pairs where `user` leads a surveyed agency, newest campaigns first; one query."""
    return (
        CampaignAgency.objects.filter(agency__in=agencies_in_scope(user, [Role.MANAGER]))
        .select_related("campaign", "agency")
        .order_by("-campaign__period_start", "agency__path")[:limit]
    )
