"""Tallies (reports/models/tallies.py): a computation reads a campaign's counts from its tally plus the
responses stored since, and the result always equals the full aggregation over every response.

PostgreSQL only (SQLite keeps no tallies), and transactional: a tally is closed only by a computation that runs
outside any transaction, as the command and the worker do."""

from __future__ import annotations

import json
import os
import random
import threading
import uuid

import pytest
from django.db import connection, connections, transaction

from reports.models import CountTally, IndexRun
from reports.services.aggregate import aggregate_counts, plan_for
from reports.services.compute import compute_campaign_index
from reports.services.tallies import closable_upto, read_inputs, store_tally
from reports.tasks import refresh_tallies_task
from surveys.models import Campaign, Response

from .conftest import INDEX_ANSWERED_AT

SCALED = [
    "TC1",
    "TC2",
    "TC3",
    "TC4",
    "TT1",
    "TT2",
    "CC1",
    "KQ1",
    "GY1",
    "HL_TC",
    "HL_TT",
    "HL_CC",
    "HL_KQ",
    "HL_GY",
    "HL",
]


@pytest.fixture
def pg(migration_data_restored, transactional_db):
    if connection.vendor != "postgresql":
        if os.environ.get("CI"):
            pytest.fail("CI runs on PostgreSQL: tally tests may not be skipped there")
        pytest.skip("tallies are kept on PostgreSQL only (set DATABASE_URL)")


@pytest.fixture
def campaign(pg, tree, make_index_campaign):
    return make_index_campaign("tally")


def random_answers(rng: random.Random) -> dict:
    answers = {code: rng.randint(1, 5) for code in SCALED if rng.random() < 0.85}
    if rng.random() < 0.7:
        answers["NC"] = sorted(rng.sample([f"NC{i}" for i in range(1, 10)], rng.randint(1, 3)))
    if rng.random() < 0.8:
        answers["DL"] = rng.choice(["1", "2", "3", "4"])
    return answers or {"HL": 3}


def add(campaign, agencies, rng: random.Random, count: int) -> list[int]:
    created = Response.objects.bulk_create(
        Response(
            campaign=campaign,
            agency=rng.choice(agencies),
            client_id=uuid.uuid4(),
            channel="paper",
            answers=random_answers(rng),
            submitted_at=INDEX_ANSWERED_AT,
        )
        for _ in range(count)
    )
    return [response.pk for response in created]


def surveyed(tree) -> list:
    return [tree["20.SNV"], tree["20.STP"], tree["06001"], tree["06004"]]


def assert_run_equals_full_aggregation(run, campaign) -> None:
    full = aggregate_counts(campaign, plan_for(campaign))
    stored = {result.agency_id: result.counts for result in run.agency_results.all()}
    assert set(stored) == {p.agency_id for p in campaign.participants.all()}
    for agency_id, counts in stored.items():
        assert counts == full.get(agency_id, {"n": 0}), agency_id
    excluded = Response.objects.filter(campaign=campaign, excluded=True).count()
    assert run.responses_excluded == excluded
    assert run.responses_counted == Response.objects.filter(campaign=campaign).count() - excluded


def tally_of(campaign) -> CountTally | None:
    return CountTally.objects.filter(campaign=campaign).first()


def test_first_computation_closes_a_tally_the_next_one_builds_on(campaign, tree):
    rng = random.Random(1)
    ids = add(campaign, surveyed(tree), rng, 30)
    run = compute_campaign_index(campaign=campaign)
    assert_run_equals_full_aggregation(run, campaign)
    tally = tally_of(campaign)
    assert (tally.upto, tally.rows, tally.id_sum, tally.id_max) == (max(ids), 30, sum(ids), max(ids))
    more = add(campaign, surveyed(tree), rng, 7)
    run = compute_campaign_index(campaign=campaign)
    assert_run_equals_full_aggregation(run, campaign)
    tally = tally_of(campaign)
    assert (tally.upto, tally.rows) == (max(more), 37)
    assert CountTally.objects.filter(campaign=campaign).count() == 1


def test_computation_reads_the_tally_rather_than_the_responses_it_holds(campaign, tree):
    add(campaign, surveyed(tree), random.Random(2), 12)
    compute_campaign_index(campaign=campaign)
    tally = tally_of(campaign)
    agency_id = str(tree["06001"].pk)
    agencies = dict(tally.agencies)
    agencies[agency_id] = [value + 1000 for value in agencies.get(agency_id, [0] * len(tally.names))]
    CountTally.objects.filter(pk=tally.pk).update(agencies=agencies)  # a tally that lies, to see it is read
    run = compute_campaign_index(campaign=campaign)
    assert run.agency_results.get(agency=tree["06001"]).n >= 1000


def test_exclusions_on_both_sides_of_the_tally_end_are_left_out(campaign, tree):
    rng = random.Random(3)
    old = add(campaign, surveyed(tree), rng, 25)
    compute_campaign_index(campaign=campaign)
    new = add(campaign, surveyed(tree), rng, 10)
    Response.objects.filter(pk__in=old[:4] + new[:3]).update(excluded=True, decision_rule="straight_lined")
    Response.objects.filter(pk__in=old[4:5]).update(excluded=True, decision_rule="")
    assert tally_of(campaign) is not None  # a decision does not change what a tally holds
    run = compute_campaign_index(campaign=campaign)
    assert_run_equals_full_aggregation(run, campaign)
    assert run.excluded_by_rule == {"manual": 1, "straight_lined": 7}
    Response.objects.filter(pk__in=[old[0], new[0]]).update(excluded=False, decision_rule="")
    run = compute_campaign_index(campaign=campaign)
    assert_run_equals_full_aggregation(run, campaign)
    assert run.responses_excluded == 6


def test_checksum_is_the_same_from_a_tally_as_from_the_responses(campaign, tree):
    add(campaign, surveyed(tree), random.Random(4), 15)
    Response.objects.filter(pk__in=Response.objects.filter(campaign=campaign).values("pk")[:2]).update(
        excluded=True, decision_rule="too_fast"
    )
    cold = compute_campaign_index(campaign=campaign)  # no tally yet: every response is aggregated
    assert tally_of(campaign) is not None
    warm = compute_campaign_index(campaign=campaign)  # from the tally
    assert cold.checksum == warm.checksum
    add(campaign, surveyed(tree), random.Random(5), 1)
    assert compute_campaign_index(campaign=campaign).checksum != warm.checksum


@pytest.mark.parametrize("change", ["answers", "agency", "delete"])
def test_changing_or_deleting_a_tallied_response_drops_the_tally(campaign, tree, change):
    ids = add(campaign, surveyed(tree), random.Random(6), 20)
    compute_campaign_index(campaign=campaign)
    assert tally_of(campaign) is not None
    target = Response.objects.filter(pk=ids[3])
    if change == "answers":
        target.update(answers={"HL": 1, "TC1": 1})
    elif change == "agency":
        target.update(agency=tree["06004"] if target.get().agency_id != tree["06004"].pk else tree["06001"])
    else:
        target.delete()
    assert tally_of(campaign) is None
    run = compute_campaign_index(campaign=campaign)
    assert_run_equals_full_aggregation(run, campaign)
    assert tally_of(campaign) is not None


def test_tally_of_another_aggregation_is_ignored(campaign, tree):
    add(campaign, surveyed(tree), random.Random(7), 9)
    plan = plan_for(campaign)
    CountTally.objects.create(
        campaign=campaign, plan_key="0" * 64, upto=10**12, rows=10**6, id_sum=0, id_max=10**12, names=["n"],
        agencies={str(tree["06001"].pk): [10**6]},
    )  # fmt: skip
    run = compute_campaign_index(campaign=campaign)
    assert_run_equals_full_aggregation(run, campaign)
    assert plan_for(campaign) == plan
    assert CountTally.objects.filter(campaign=campaign).count() == 2  # its own, beside the foreign one


def test_no_tally_is_closed_over_an_insert_still_in_flight(campaign, tree):
    """A response inserted by a transaction that has not committed yet may have a smaller id than responses
    committed after it: no tally may end above it until it commits."""
    rng = random.Random(8)
    add(campaign, surveyed(tree), rng, 5)
    inserted, release, failure = threading.Event(), threading.Event(), []

    def slow_writer():
        try:
            with transaction.atomic():
                add(campaign, surveyed(tree), random.Random(9), 3)
                inserted.set()
                release.wait(30)
        except Exception as exc:  # pragma: no cover - reported below
            failure.append(exc)
        finally:
            connections.close_all()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    try:
        assert inserted.wait(30)
        run = compute_campaign_index(campaign=campaign)
        assert tally_of(campaign) is None  # the writer holds the insert lock: nothing closed
        assert run.responses_counted == 5  # its uncommitted rows are not seen
        assert_run_equals_full_aggregation(run, campaign)
    finally:
        release.set()
        writer.join(30)
    assert not failure
    run = compute_campaign_index(campaign=campaign)
    assert run.responses_counted == 8
    assert tally_of(campaign).rows == 8
    assert_run_equals_full_aggregation(run, campaign)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_random_histories_always_equal_the_full_aggregation(campaign, tree, seed):
    rng = random.Random(seed)
    agencies = surveyed(tree)
    ids: list[int] = []
    for _step in range(8):
        ids += add(campaign, agencies, rng, rng.randint(0, 12))
        if ids and rng.random() < 0.6:
            chosen = rng.sample(ids, min(len(ids), rng.randint(1, 4)))
            Response.objects.filter(pk__in=chosen).update(
                excluded=rng.random() < 0.7, decision_rule=rng.choice(["", "too_fast", "burst"])
            )
        if ids and rng.random() < 0.15:
            Response.objects.filter(pk=ids.pop(rng.randrange(len(ids)))).delete()
        run = compute_campaign_index(campaign=campaign)
        assert_run_equals_full_aggregation(run, campaign)


def test_beat_refresh_brings_the_tally_up_to_date_without_computing(campaign, tree, make_index_campaign):
    draft = make_index_campaign("tally-draft", state="draft")
    ids = add(campaign, surveyed(tree), random.Random(14), 11)
    add(draft, surveyed(tree), random.Random(15), 2)
    assert refresh_tallies_task() == ["tally"]  # a draft campaign is left alone
    tally = tally_of(campaign)
    assert (tally.upto, tally.rows) == (max(ids) + 2, 11)  # closed up to the last response stored anywhere
    assert not IndexRun.objects.exists() and tally_of(draft) is None
    add(campaign, surveyed(tree), random.Random(16), 4)
    refresh_tallies_task()
    assert tally_of(campaign).rows == 15
    run = compute_campaign_index(campaign=campaign)
    assert_run_equals_full_aggregation(run, campaign)


@pytest.mark.parametrize("change", ["delete", "answers"])
def test_a_response_changed_between_the_read_and_the_store_keeps_the_tally_out(campaign, tree, change):
    ids = add(campaign, surveyed(tree), random.Random(17), 6)
    plan = plan_for(campaign)
    close_upto = closable_upto()
    with transaction.atomic():
        inputs = read_inputs(campaign, plan, close_upto=close_upto)
    assert inputs.tally is not None and inputs.tally.rows == 6
    target = Response.objects.filter(pk=ids[0])
    target.delete() if change == "delete" else target.update(answers={"HL": 1})
    with transaction.atomic():
        store_tally(inputs, Campaign.objects.select_for_update().get(pk=campaign.pk))
    assert tally_of(campaign) is None
    assert_run_equals_full_aggregation(compute_campaign_index(campaign=campaign), campaign)


def test_an_exclusion_decision_does_not_move_the_epoch(campaign, tree):
    ids = add(campaign, surveyed(tree), random.Random(18), 4)
    Response.objects.filter(pk=ids[0]).update(excluded=True, decision_rule="burst")
    assert Campaign.objects.get(pk=campaign.pk).tally_epoch == 0
    Response.objects.filter(pk=ids[0]).delete()
    assert Campaign.objects.get(pk=campaign.pk).tally_epoch == 1


def rewrite_answers(response_id: int, text: str) -> None:
    """UPDATE a response's answers to `text` exactly (json keeps text as written; Django writes jsonb's text)."""
    with connection.cursor() as cursor:
        cursor.execute("UPDATE surveys_response SET answers = %s::json WHERE id = %s", [text, response_id])


@pytest.mark.parametrize("spelling", ["django", "compact", "keys reversed"])
def test_answers_written_again_unchanged_keep_the_tally(campaign, tree, spelling):
    """Answers are `json` text (surveys 0008); the trigger compares them as values, as it did on jsonb."""
    ids = add(campaign, surveyed(tree), random.Random(19), 5)
    compute_campaign_index(campaign=campaign)
    answers = Response.objects.get(pk=ids[0]).answers
    if spelling == "django":
        Response.objects.filter(pk=ids[0]).update(answers=answers)
    elif spelling == "compact":
        rewrite_answers(ids[0], json.dumps(answers, separators=(",", ":")))
    else:
        rewrite_answers(ids[0], json.dumps(dict(reversed(answers.items())), indent=1))
    assert tally_of(campaign) is not None
    assert Campaign.objects.get(pk=campaign.pk).tally_epoch == 0


@pytest.mark.parametrize("spelling", ["django", "compact"])
def test_answers_changed_in_any_spelling_drop_the_tally(campaign, tree, spelling):
    ids = add(campaign, surveyed(tree), random.Random(20), 5)
    compute_campaign_index(campaign=campaign)
    answers = {**Response.objects.get(pk=ids[0]).answers, "HL": 1, "TC1": 2}
    if spelling == "django":
        Response.objects.filter(pk=ids[0]).update(answers=answers)
    else:
        rewrite_answers(ids[0], json.dumps(answers, separators=(",", ":")))
    assert tally_of(campaign) is None
    assert Campaign.objects.get(pk=campaign.pk).tally_epoch == 1
    assert_run_equals_full_aggregation(compute_campaign_index(campaign=campaign), campaign)
