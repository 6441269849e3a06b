"""How a run's results and a campaign's tally are stored (reports.models.fields): on PostgreSQL as `json`, the
text as written, and read back whole to the same values, floats to their last bit and keys in their order."""

from __future__ import annotations

import importlib
import json
import os

import pytest
from django.db import connection

from reports.models import AgencyResult, IndexRun
from reports.models.fields import IntegerJSONDecoder
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


def test_stored_figures_are_the_computed_ones_to_the_last_bit_and_in_order(run, tree):
    stored = run.agency_results.get(agency=tree["06001"])
    computed = figures(stored.counts, plan_for(run.campaign), run.scoring)  # no previous campaign: no change

    assert repr(stored.figures) == repr(computed)


def test_results_read_through_values_are_decoded_too(run, tree):
    stored = run.agency_results.get(agency=tree["06001"])

    values = AgencyResult.objects.filter(pk=stored.pk).values("figures", "count_values").get()

    assert values == {"figures": stored.figures, "count_values": stored.count_values}
    assert isinstance(values["count_values"], list)
    assert dict(zip(run.count_names, values["count_values"], strict=True)) == stored.counts


def test_counts_are_stored_once_by_name_per_run_and_as_numbers_per_agency(run, tree):
    stored = {result.agency_id: result for result in run.agency_results.all()}
    with_responses = stored[tree["06001"].pk]
    without = [result for agency_id, result in stored.items() if agency_id != tree["06001"].pk]

    assert run.count_names[0] == "n" and len(run.count_names) == len(set(run.count_names))
    assert len(with_responses.count_values) == len(run.count_names)
    assert with_responses.counts["n"] == len(ANSWERS) and with_responses.counts["a:TC3"] == 1
    assert without and all(result.count_values == [] and result.counts == {"n": 0} for result in without)


def test_integer_decoder_reads_what_json_reads():
    text = '{"7": [0, 12, 18446744073709551616], "8": []}'  # 2**64 is beyond orjson: json reads it

    assert json.loads(text, cls=IntegerJSONDecoder) == json.loads(text)
    with pytest.raises(json.JSONDecodeError):
        json.loads('{"7": [1,', cls=IntegerJSONDecoder)


@pytest.mark.postgres
def test_postgres_keeps_results_and_tallies_as_json_compressed_by_lz4(db):
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI runs on PostgreSQL: storage tests may not be skipped there")
        pytest.skip("PostgreSQL only (set DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
        lz4 = cursor.fetchone()[0]
        cursor.execute(
            "SELECT attrelid::regclass::text, attname, format_type(atttypid, atttypmod), attcompression "
            "FROM pg_attribute WHERE (attrelid, attname) IN (('reports_agencyresult'::regclass, 'figures'), "
            "('reports_agencyresult'::regclass, 'count_values'), ('reports_counttally'::regclass, 'agencies')) "
            "ORDER BY 1, 2"
        )
        columns = cursor.fetchall()

    compression = "l" if lz4 else ""
    assert columns == [
        ("reports_agencyresult", "count_values", "json", compression),
        ("reports_agencyresult", "figures", "json", compression),
        ("reports_counttally", "agencies", "json", compression),
    ]


def test_the_migration_turns_counts_by_name_into_lists_and_back(run, tree):
    from django.apps import apps

    migration = importlib.import_module("reports.migrations.0007_result_counts_as_lists")
    by_name = {result.agency_id: result.counts for result in run.agency_results.all()}
    for result in run.agency_results.all():  # as a run computed before the migration stored them
        AgencyResult.objects.filter(pk=result.pk).update(count_values=by_name[result.agency_id])
    IndexRun.objects.filter(pk=run.pk).update(count_names=[])

    migration.to_lists(apps, None)

    run.refresh_from_db()
    # the names in the order the stored objects gave them (PostgreSQL kept jsonb's order for what Django wrote)
    assert sorted(run.count_names) == sorted(by_name[tree["06001"].pk])
    assert {result.agency_id: result.counts for result in run.agency_results.all()} == by_name
    without = [r.count_values for r in run.agency_results.exclude(agency=tree["06001"])]
    assert without == [[]] * (len(by_name) - 1)  # {"n": 0}, an agency without responses, became []

    migration.to_objects(apps, None)

    assert {r.agency_id: r.count_values for r in AgencyResult.objects.filter(run=run)} == by_name
