"""The presenter (reports.presentation): the rows every page and document renders equal the run's stored figures,
come in ranking order, read in the active language, and cost a fixed number of queries.

Data: a closed campaign of province 20 of the `tree` fixture (departments 20.SNV, 20.STP; communes 06001, 06004)
filled with synthetic responses and computed."""

from __future__ import annotations

import pytest
from django.utils import translation

from reports.models import IndexRun
from reports.presentation import CAMPAIGN, Figure, present_agency, present_run
from reports.services.compute import compute_campaign_index
from reports.services.figures import wilson
from surveys.demo import synthetic_responses
from surveys.models import Campaign


@pytest.fixture
def run(make_index_campaign) -> IndexRun:
    campaign = make_index_campaign("presenter-2026", level_samples={"department": 10, "commune": 10})
    campaign.target_percent, campaign.thresholds = 70.0, [50.0]
    campaign.save(update_fields=["target_percent", "thresholds"])
    synthetic_responses(campaign=campaign, count=90, seed=7)
    return compute_campaign_index(campaign=Campaign.objects.get(pk=campaign.pk))


def fresh(run: IndexRun) -> IndexRun:
    return IndexRun.objects.select_related("campaign__methodology").get(pk=run.pk)


def test_agency_rows_equal_the_stored_results(run):
    presentation = present_run(fresh(run))

    rows = {row.code: row for row in presentation.agencies}
    results = list(run.agency_results.select_related("agency"))
    assert set(rows) == {r.agency.code for r in results}
    for result in results:
        row, figures = rows[result.agency.code], result.figures
        assert (row.level, row.rank, row.n, row.excluded, row.enough_sample) == (
            result.level, result.rank, result.n, result.excluded, result.enough_sample,
        )  # fmt: skip
        assert row.sipas == Figure(result.sipas, figures["intervals"]["sipas"])
        assert row.hl == Figure(figures["hl"], figures["intervals"]["hl"])
        assert row.minimum == 10
        assert row.meets_target == (result.sipas >= 70.0 if result.sipas is not None else None)


def test_an_agencys_figures_equal_its_stored_figures(run):
    presentation = present_run(fresh(run))

    for row in presentation.agencies:
        stored = run.agency_results.get(agency_id=row.agency_id).figures
        figures = presentation.figures(row)
        assert {f.code: (f.evaluation.value, f.satisfaction.value) for f in figures.factors} == {
            code: (values["evaluation"], values["satisfaction"]) for code, values in stored["factors"].items()
        }
        assert {c.code: c.index.value for c in figures.criteria} == stored["criteria"]
        assert {c.code: c.index.bounds for c in figures.criteria} == stored["intervals"]["criteria"]
        for fact in figures.facts:
            assert {o.code: o.share.value for o in fact.options} == {
                code: (stored["facts"].get(fact.code) or {}).get(code) for code in (o.code for o in fact.options)
            }
        assert {e.code: e.share.value for e in figures.expectations} == stored["expectations"]


def test_group_rows_equal_the_stored_groups(run):
    presentation = present_run(fresh(run))

    stored = {g.key: g.figures for g in run.group_results.all()}
    assert [g.key for g in presentation.groups] == [CAMPAIGN, "department", "commune"]
    for group in presentation.groups:
        figures = stored[group.key]
        assert (group.n, group.agencies, group.ranked) == (figures["n"], figures["agencies"], figures["ranked"])
        assert group.sipas == Figure(figures["sipas"], figures["intervals"]["sipas"])
        assert [(t.mark, t.agencies, t.is_target) for t in group.thresholds] == [
            (50.0, figures["thresholds"]["50"], False), (70.0, figures["thresholds"]["70"], True),
        ]  # fmt: skip
    drivers = presentation.group_drivers(CAMPAIGN)
    assert {d.code: (d.r, d.pairs) for d in drivers} == {
        code: (d["r"], d["pairs"]) for code, d in stored[CAMPAIGN]["drivers"].items()
    }
    assert [d.r for d in drivers if d.r is not None] == sorted((d.r for d in drivers if d.r is not None), reverse=True)


def test_agencies_come_ranked_then_unranked_by_sipas_then_without_data(run):
    run.agency_results.filter(agency__code="06001").update(rank=None, enough_sample=False)
    run.agency_results.filter(agency__code="06004").update(rank=None, sipas=None)

    level = next(level for level in present_run(fresh(run)).levels if level.key == "commune")

    assert [(row.code, row.status) for row in level.agencies] == [("06001", "not_enough"), ("06004", "no_data")]


def test_tied_ranks_are_marked(run):
    run.agency_results.filter(level="department").update(rank=1)

    level = next(level for level in present_run(fresh(run)).levels if level.key == "department")

    assert [row.tied for row in level.agencies] == [True, True]
    assert sorted(level.leaders) == sorted(row.name for row in level.agencies)


def test_one_agency_shows_the_answers_behind_each_share(run):
    result = run.agency_results.get(agency__code="20.STP")
    counts = result.counts

    presentation = present_agency(fresh(run), "20.STP")

    assert presentation.row.sipas.value == result.sipas
    assert presentation.level.key == result.level
    criterion = presentation.figures.criteria[0]
    assert criterion.answered == counts[f"a:{criterion.code}"]
    fact = presentation.figures.facts[0]
    option = fact.options[0]
    assert option.share.bounds == wilson(counts.get(f"k:{fact.code}:{option.code}", 0), counts[f"a:{fact.code}"])
    assert present_agency(fresh(run), "NO-SUCH-AGENCY") is None


def test_the_weakest_criteria_are_the_lowest_with_data(run):
    figures = present_agency(fresh(run), "20.STP").figures

    weakest = figures.weakest(3)

    values = sorted(c.index.value for c in figures.criteria if c.index.value is not None)
    assert [c.index.value for c in weakest] == values[:3]


def test_rows_read_in_the_active_language():
    figure = Figure(85.5, (80.123, 90.0))

    with translation.override("vi"):
        assert (figure.text, figure.interval_text) == ("85,50", "80,12 – 90,00")
    with translation.override("en"):
        assert (figure.text, figure.interval_text) == ("85.50", "80.12 – 90.00")
    assert (Figure(None).text, Figure(None).interval_text) == ("—", "—")


def test_a_whole_runs_rows_take_six_queries_whatever_the_number_of_agencies(run, django_assert_num_queries):
    run = fresh(run)

    # Its agency results (each with its minimum sample and only what a ranking shows of its figures), its groups,
    # the questionnaires (versions, factors, questions), then the agencies' whole figures for the documents.
    with django_assert_num_queries(6):
        presentation = present_run(run)
        for group in presentation.groups:
            presentation.group_figures(group.key)
        for row in presentation.agencies:
            presentation.figures(row)
