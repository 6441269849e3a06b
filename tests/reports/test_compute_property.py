"""The database computation equals a plain Python computation of the methodology's definitions, on random
campaigns (hypothesis). The reference below reads raw answers; it shares no code with reports.services."""

from __future__ import annotations

import datetime
import math
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agencies.models import AgencyKind
from reports.models import IndexRun
from reports.services.compute import compute_campaign_index
from surveys.models import CampaignState, Methodology, Response
from surveys.services.campaigns import create_campaign

FACTORS = {
    "TC": ["TC1", "TC2", "TC3", "TC4"],
    "TT": ["TT1", "TT2", "TT3", "TT4", "TT5"],
    "CC": ["CC1", "CC2", "CC3", "CC4", "CC5", "CC6"],
    "KQ": ["KQ1", "KQ2", "KQ3"],
    "GY": ["GY1", "GY2", "GY3", "GY4"],
}
SCALED = [c for codes in FACTORS.values() for c in codes] + [f"HL_{f}" for f in FACTORS] + ["HL"]
NC_OPTIONS = [f"NC{i}" for i in range(1, 10)]
DL_OPTIONS = ["1", "2", "3", "4"]

scale = st.one_of(st.none(), st.integers(min_value=1, max_value=5))
answer_sets = st.fixed_dictionaries(
    {
        **{code: scale for code in SCALED},
        "DL": st.one_of(st.none(), st.sampled_from(DL_OPTIONS)),
        "NC": st.one_of(st.none(), st.lists(st.sampled_from(NC_OPTIONS), min_size=1, max_size=3, unique=True)),
    }
).map(lambda d: {k: (sorted(v) if isinstance(v, list) else v) for k, v in d.items() if v is not None})
# Responses as (agency index 0..2, answers, excluded)
responses = st.lists(st.tuples(st.integers(0, 2), answer_sets, st.booleans()), min_size=0, max_size=25)


def reference(answer_sets: list[dict], scoring: str) -> dict:
    """The definitions, literally, over one agency's (or a pool's) answers."""

    def index(code):
        values = [a[code] for a in answer_sets if code in a]
        if not values:
            return None
        if scoring == "mean-score":
            return (sum(values) / len(values) - 1) / 4 * 100
        return 100 * sum(1 for v in values if v >= 4) / len(values)

    def mean(values):
        values = [v for v in values if v is not None]
        return sum(values) / len(values) if values else None

    criteria = {c: index(c) for codes in FACTORS.values() for c in codes}
    factors = {
        f: {"evaluation": mean(criteria[c] for c in codes), "satisfaction": index(f"HL_{f}")}
        for f, codes in FACTORS.items()
    }
    with_nc = [a for a in answer_sets if "NC" in a]
    with_dl = [a for a in answer_sets if "DL" in a]
    return {
        "n": len(answer_sets),
        "sipas": mean(f["satisfaction"] for f in factors.values()),
        "hl": index("HL"),
        "criteria": criteria,
        "factors": factors,
        "expectations": {
            k: (100 * sum(k in a["NC"] for a in with_nc) / len(with_nc) if with_nc else None) for k in NC_OPTIONS
        },
        "dl": {o: (100 * sum(a["DL"] == o for a in with_dl) / len(with_dl) if with_dl else None) for o in DL_OPTIONS},
    }


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_same(result: dict, expected: dict) -> None:
    assert result["n"] == expected["n"]
    assert close(result["sipas"], expected["sipas"])
    assert close(result["hl"], expected["hl"])
    for code, value in expected["criteria"].items():
        assert close(result["criteria"][code], value), code
    for code, value in expected["factors"].items():
        assert close(result["factors"][code]["evaluation"], value["evaluation"]), code
        assert close(result["factors"][code]["satisfaction"], value["satisfaction"]), code
    for code, value in expected["expectations"].items():
        assert close(result["expectations"][code], value), code
    for option, value in expected["dl"].items():
        assert close(result["facts"]["DL"][option], value), option


@pytest.fixture
def closed_campaign(tree):
    campaign = create_campaign(
        year=2026, name="Property", slug="property", root=tree["20"],
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31),
        level_samples={AgencyKind.DEPARTMENT: 1, AgencyKind.COMMUNE: 1},
    )  # fmt: skip
    campaign.state = CampaignState.CLOSED
    campaign.save()
    return campaign


@pytest.mark.parametrize("scoring", ["share-positive", "mean-score"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(rows=responses)
def test_database_computation_matches_the_definitions(closed_campaign, tree, rows, scoring):
    Methodology.objects.filter(pk=closed_campaign.methodology_id).update(scoring=scoring)
    closed_campaign.refresh_from_db()
    IndexRun.objects.filter(campaign=closed_campaign).delete()
    Response.objects.filter(campaign=closed_campaign).delete()
    closed_campaign.state = CampaignState.CLOSED
    closed_campaign.save()
    agencies = [tree["20.SNV"], tree["06001"], tree["06004"]]
    Response.objects.bulk_create(
        Response(
            campaign=closed_campaign,
            agency=agencies[i],
            client_id=uuid.uuid4(),
            channel="paper",
            answers=answers,
            submitted_at=datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC),
            excluded=excluded,
        )
        for i, answers, excluded in rows
    )

    run = compute_campaign_index(campaign=closed_campaign)

    counted = [(i, a) for i, a, excluded in rows if not excluded]
    for i, agency in enumerate(agencies):
        result = run.agency_results.get(agency=agency)
        assert_same(result.figures, reference([a for j, a in counted if j == i], scoring))
        assert result.excluded == sum(1 for j, _a, e in rows if j == i and e)
    pooled = run.group_results.get(key="campaign").figures
    assert_same(pooled, reference([a for _i, a in counted], scoring))
    communes = run.group_results.get(key="commune").figures
    assert_same(communes, reference([a for i, a in counted if i in (1, 2)], scoring))
