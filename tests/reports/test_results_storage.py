"""How a run's results are stored: figures and counts as jsonb (Django's JSONField), the counts a plain mapping by
name, read back to the values the computation made."""

from __future__ import annotations

import pytest
from django.db import connection

from reports.models import AgencyResult
from reports.services.aggregate import plan_for
from reports.services.compute import compute_campaign_index
from reports.services.figures import figures

ANSWERS = [
    {"TC1": 5, "TC2": 4, "TC3": 2, "HL_TC": 4, "HL_KQ": 5, "HL": 5, "NC": ["NC1", "NC3"], "DL": "1"},
    {"TC1": 3, "TC2": 4, "HL_TC": 2, "HL": 4, "NC": ["NC3"], "DL": "2"},
    {"TC1": 4, "HL_TC": 5, "HL": 2, "DL": "1"},
]


@pytest.fixture
def run(db, tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], *ANSWERS)
    return compute_campaign_index(campaign=campaign)


def test_stored_figures_are_the_figures_of_the_stored_counts(run, tree):
    stored = run.agency_results.get(agency=tree["06001"])

    assert stored.figures == figures(stored.counts, plan_for(run.campaign), run.scoring)  # no previous campaign


def test_counts_are_stored_as_a_mapping_by_name(run, tree):
    stored = {result.agency_id: result.counts for result in AgencyResult.objects.filter(run=run)}
    counts = stored.pop(tree["06001"].pk)

    assert counts["n"] == len(ANSWERS)
    assert (counts["a:TC3"], counts["p:TC3"]) == (1, 0)
    assert (counts["a:NC"], counts["k:NC:NC3"], counts["k:NC:NC2"]) == (2, 2, 0)
    assert (counts["a:DL"], counts["k:DL:1"]) == (3, 2)
    assert stored and all(value == {"n": 0} for value in stored.values())  # agencies without responses


def test_a_stored_count_can_be_queried_by_name(run, tree):
    assert list(AgencyResult.objects.filter(run=run, counts__n=3).values_list("agency", flat=True)) == [
        tree["06001"].pk
    ]


def test_results_are_jsonb_columns(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid IN ('reports_agencyresult'::regclass, 'reports_groupresult'::regclass, "
            "'reports_indexrun'::regclass) AND atttypid IN ('json'::regtype, 'jsonb'::regtype) ORDER BY 1, 2"
        )
        columns = cursor.fetchall()

    assert columns == [
        ("reports_agencyresult", "counts", "jsonb"),
        ("reports_agencyresult", "figures", "jsonb"),
        ("reports_groupresult", "counts", "jsonb"),
        ("reports_groupresult", "figures", "jsonb"),
        ("reports_indexrun", "excluded_by_rule", "jsonb"),
        ("reports_indexrun", "summary", "jsonb"),
    ]
