"""Reads of runs and results shared by the commands, the API and the screens."""

from __future__ import annotations

from django.db.models import F, QuerySet

from reports.models import AgencyResult, IndexRun
from surveys.models import Campaign


def latest_run(campaign: Campaign) -> IndexRun | None:
    return campaign.runs.order_by("-number").first()


def published_run(campaign: Campaign) -> IndexRun | None:
    return campaign.runs.filter(state=IndexRun.State.PUBLISHED).first()


def agency_results(run: IndexRun) -> QuerySet[AgencyResult]:
    # Unranked agencies last (PostgreSQL sorts NULL first in descending and last in ascending order by default).
    return run.agency_results.select_related("agency").order_by("level", F("rank").asc(nulls_last=True), "agency__path")
