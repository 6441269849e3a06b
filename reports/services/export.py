"""The JSON export contract (sipas-methodology.md, "Export contract"), shared by `export_report --format json`
and GET /api/v1/campaigns/<slug>/results/."""

from __future__ import annotations

from reports.models import IndexRun
from reports.selectors import agency_results

FIGURE_KEYS = ("n", "excluded", "sipas", "hl", "factors", "criteria", "expectations", "facts")


def export_payload(run: IndexRun) -> dict:
    """Every figure of a run at full precision (null for no data), in the contract's shape."""
    campaign = run.campaign
    methodology = campaign.methodology
    agencies = [
        {
            "code": result.agency.code,
            "name": result.agency.name,
            "level": result.level,
            "n": result.n,
            "excluded": result.excluded,
            "sipas": result.figures["sipas"],
            "hl": result.figures["hl"],
            "factors": result.figures["factors"],
            "criteria": result.figures["criteria"],
            "expectations": result.figures["expectations"],
            "facts": result.figures["facts"],
            "rank": result.rank,
            "enough_sample": result.enough_sample,
        }
        for result in agency_results(run)
    ]
    groups = [
        {"level": group.key, **{key: _group_value(group.figures, key) for key in FIGURE_KEYS}}
        for group in run.group_results.order_by("key")
    ]
    return {
        "campaign": {
            "slug": campaign.slug,
            "name": campaign.name,
            "year": campaign.year,
            "period_start": campaign.period_start.isoformat(),
            "period_end": campaign.period_end.isoformat(),
            "state": campaign.state,
        },
        "methodology": {"code": methodology.code, "name": methodology.name, "scoring": methodology.scoring},
        "run": {"id": run.pk, "computed_at": run.computed_at.isoformat(), "checksum": run.checksum},
        "agencies": agencies,
        "groups": groups,
    }


def _group_value(figures: dict, key: str):
    return figures.get(key, 0 if key == "excluded" else None)
