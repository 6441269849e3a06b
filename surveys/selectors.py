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
    """Per agency id: responses stored, how many are flagged, how many excluded. One GROUP BY query; joining
    the flags visits every response counted, so keep it to a few agencies (a staff member's), not a whole
    campaign of a million responses (there, progress_rows without flagged counts)."""
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


def _progress_counts(campaign: Campaign) -> dict[int, dict[str, int]]:
    """Per agency id: responses stored and excluded. Two GROUP BY queries that indexes serve alone (index-only
    scans): response_campaign_agency_idx for every response, the partial response_excluded_idx for the few
    excluded ones, so counting a million responses reads a small index rather than the table."""
    responses = Response.objects.filter(campaign=campaign).order_by()
    counts = {
        agency_id: {"total": total, "excluded": 0}
        for agency_id, total in responses.values_list("agency_id").annotate(n=Count("*"))
    }
    for agency_id, excluded in responses.filter(excluded=True).values_list("agency_id").annotate(n=Count("*")):
        counts.setdefault(agency_id, {"total": 0, "excluded": 0})["excluded"] = excluded
    return counts


def progress_rows(
    campaign: Campaign, participants: QuerySet[CampaignAgency], *, with_flagged: bool = True
) -> list[dict]:
    """One row per surveyed agency: counts against the minimum sample and, where the dossier volume is
    known, the response rate (responses / results returned). A fixed number of queries whatever the number
    of agencies. Without `with_flagged` the rows carry no flagged count and every count comes from indexes
    alone: what a page over a whole campaign of a million responses can afford (flagged responses count
    until an officer decides, so progress does not depend on them)."""
    participants = list(participants.select_related("agency").order_by("agency__path"))
    if with_flagged:
        counts = response_counts(campaign, agency_ids=[p.agency_id for p in participants])
    else:
        # Every response belongs to a surveyed agency (the composite key): no agency filter to apply.
        counts = _progress_counts(campaign)
    empty = {"total": 0, "flagged": 0, "excluded": 0} if with_flagged else {"total": 0, "excluded": 0}
    rows = []
    for participant in participants:
        count = counts.get(participant.agency_id, empty)
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
