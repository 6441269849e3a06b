"""reports 0008_plain_counts on a database that holds runs made by the old code: the database is migrated back,
runs are stored through the historical models as the old code stored them (counts as lists named by the run in
`json` columns at 0007; counts as objects at 0006), then migrated forward: every result's counts are the same
mapping by name, in jsonb, and the tally triggers, their functions and the tally table are gone."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from reports.models import AgencyResult

BEFORE_LISTS = [("reports", "0006_response_changed_on_json_answers")]
LISTS = [("reports", "0007_result_counts_as_lists")]
PLAIN = [("reports", "0008_plain_counts")]

TRIGGERS = {"response_write_lock", "response_deleted", "response_changed", "responses_truncated"}
FUNCTIONS = {
    "sipas_response_write_lock",
    "sipas_response_deleted",
    "sipas_response_changed",
    "sipas_responses_truncated",
}

NAMES = ["n", "a:TC1", "p:TC1", "s:TC1", "k:NC:NC1"]
FIRST = {"n": 3, "a:TC1": 2, "p:TC1": 1, "s:TC1": 7, "k:NC:NC1": 0}
SECOND = {"n": 1, "a:TC1": 1, "p:TC1": 1, "s:TC1": 5, "k:NC:NC1": 1}
FIGURES = {"n": 3, "sipas": 62.5, "criteria": {"TC1": 50.0}, "intervals": {"sipas": [40.1, 80.25]}}


@pytest.fixture
def old_database(tree, make_index_campaign):
    """The campaign and agencies are stored with today's models first (their tables are not changed by the way
    back); pending foreign-key checks are run now, as PostgreSQL refuses to alter a table that has them."""
    campaign = make_index_campaign("old-runs")
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    yield campaign, executor
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())  # back to today's schema for the rest of the test


def migrate(executor: MigrationExecutor, target):
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor.loader.build_graph()
    executor.migrate(target)
    return executor.loader.project_state(target).apps


def column_types() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'reports_agencyresult'::regclass AND attname IN ('figures', 'counts', 'count_values')"
        )
        return dict(cursor.fetchall())


def tally_machinery() -> tuple[set[str], set[str], bool]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'surveys_response'::regclass")
        triggers = {name for (name,) in cursor.fetchall()} & TRIGGERS
        cursor.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'sipas\\_%%'")
        functions = {name for (name,) in cursor.fetchall()} & FUNCTIONS
        cursor.execute("SELECT to_regclass('reports_counttally') IS NOT NULL")
        return triggers, functions, cursor.fetchone()[0]


def store_run(apps, campaign, number: int, results: dict, **run_fields):
    IndexRun = apps.get_model("reports", "IndexRun")
    AgencyResult = apps.get_model("reports", "AgencyResult")
    run = IndexRun.objects.create(
        campaign_id=campaign.pk, number=number, scoring="share-positive", checksum="0" * 64,
        responses_counted=4, responses_excluded=0, **run_fields,
    )  # fmt: skip
    for i, (agency, counts) in enumerate(results.items()):
        AgencyResult.objects.create(
            run=run, agency_id=agency.pk, level="commune", n=i, excluded=0, sipas=None, rank=None,
            enough_sample=True, figures=FIGURES, **counts,
        )  # fmt: skip
    return run


def test_runs_stored_as_lists_get_their_counts_as_mappings(old_database, tree):
    campaign, executor = old_database
    old_apps = migrate(executor, LISTS)
    assert column_types() == {"figures": "json", "count_values": "json"}
    assert tally_machinery() == (TRIGGERS, FUNCTIONS, True)
    lists = {
        tree["06001"]: {"count_values": [FIRST[name] for name in NAMES]},
        tree["06004"]: {"count_values": [SECOND[name] for name in NAMES]},
        tree["20.SNV"]: {"count_values": []},  # an agency without responses
    }
    run = store_run(old_apps, campaign, 1, lists, count_names=NAMES)

    migrate(executor, PLAIN)

    stored = {r.agency_id: r.counts for r in AgencyResult.objects.filter(run_id=run.pk)}
    assert stored == {tree["06001"].pk: FIRST, tree["06004"].pk: SECOND, tree["20.SNV"].pk: {"n": 0}}
    assert all(r.figures == FIGURES for r in AgencyResult.objects.filter(run_id=run.pk))
    assert column_types() == {"figures": "jsonb", "counts": "jsonb"}
    assert tally_machinery() == (set(), set(), False)


def test_runs_stored_as_objects_before_lists_get_the_same_mappings(old_database, tree):
    campaign, executor = old_database
    old_apps = migrate(executor, BEFORE_LISTS)
    objects = {tree["06001"]: {"counts": FIRST}, tree["20.SNV"]: {"counts": {"n": 0}}}
    run = store_run(old_apps, campaign, 1, objects)

    migrate(executor, PLAIN)

    stored = {r.agency_id: r.counts for r in AgencyResult.objects.filter(run_id=run.pk)}
    assert stored == {tree["06001"].pk: FIRST, tree["20.SNV"].pk: {"n": 0}}


def test_the_way_back_gives_the_lists_again(old_database, tree):
    campaign, executor = old_database
    old_apps = migrate(executor, LISTS)
    values = [FIRST[name] for name in NAMES]
    run = store_run(old_apps, campaign, 1, {tree["06001"]: {"count_values": values}, tree["20.SNV"]: {"count_values": []}}, count_names=NAMES)  # fmt: skip
    migrate(executor, PLAIN)

    migrate(executor, LISTS)

    with connection.cursor() as cursor:  # read as text and decoded here, json and jsonb alike
        cursor.execute("SELECT count_names::text FROM reports_indexrun WHERE id = %s", [run.pk])
        names = json.loads(cursor.fetchone()[0])
        cursor.execute("SELECT agency_id, count_values::text FROM reports_agencyresult WHERE run_id = %s", [run.pk])
        stored = {agency_id: json.loads(text) for agency_id, text in cursor.fetchall()}
    assert names[0] == "n" and sorted(names) == sorted(NAMES)
    assert dict(zip(names, stored[tree["06001"].pk], strict=True)) == FIRST
    assert stored[tree["20.SNV"].pk] == []
    assert column_types() == {"figures": "json", "count_values": "json"}
    assert tally_machinery() == (TRIGGERS, FUNCTIONS, True)
