"""compute_campaign_index: immutable runs, the inputs' checksum, campaign states, changes against the previous
published campaign (also across the 2025 mergers), threshold counts, job idempotency and a fixed number of
queries whatever the number of responses."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from agencies.models import Agency, AgencyKind
from agencies.rows import AgencyRow
from agencies.services import sync_agencies
from reports.jobs import COMPUTE, enqueue_compute, pending_computations
from reports.models import AgencyResult, GroupResult, IndexRun
from reports.services.compute import ComputeError, compute_campaign_index
from sipas.jobs import run_job
from sipas.models import AuditEntry, Job
from surveys.models import CampaignState, Response


def frozen(run: IndexRun) -> dict:
    """Everything stored for a run, to compare before and after later computations."""
    run.refresh_from_db()
    return {
        "run": (run.number, run.state, run.checksum, run.responses_counted, run.responses_excluded, run.summary),
        "agencies": sorted(
            AgencyResult.objects.filter(run=run).values_list("agency_id", "n", "excluded", "sipas", "rank", "figures")
        ),
        "groups": sorted(GroupResult.objects.filter(run=run).values_list("key", "figures", "counts")),
    }


# --- runs are immutable, inputs are fingerprinted ----------------------------------------------------------------


def test_computing_again_creates_a_second_run(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})

    first = compute_campaign_index(campaign=campaign)
    second = compute_campaign_index(campaign=campaign)

    assert (first.number, second.number) == (1, 2)
    assert first.pk != second.pk
    assert campaign.runs.count() == 2


def test_earlier_run_is_left_unchanged_by_a_later_computation(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5, "HL": 5})
    first = compute_campaign_index(campaign=campaign)
    before = frozen(first)

    add_index_responses(campaign, tree["06001"], {"HL_TC": 1, "HL": 1}, {"HL_TC": 2})
    second = compute_campaign_index(campaign=campaign)

    assert frozen(first) == before
    assert first.agency_results.get(agency=tree["06001"]).sipas == 100.0
    assert second.agency_results.get(agency=tree["06001"]).sipas == pytest.approx(100 / 3)


def test_run_stores_a_result_for_every_surveyed_agency_and_every_group(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})

    run = compute_campaign_index(campaign=campaign)

    assert set(run.agency_results.values_list("agency__code", flat=True)) == {"20.SNV", "20.STP", "06001", "06004"}
    assert set(run.group_results.values_list("key", flat=True)) == {"department", "commune", "campaign"}


def test_checksum_is_equal_for_equal_inputs(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, {"HL_TC": 3})

    first = compute_campaign_index(campaign=campaign)
    second = compute_campaign_index(campaign=campaign)

    assert len(first.checksum) == 64
    assert first.checksum == second.checksum


def test_checksum_changes_when_a_response_is_added(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    first = compute_campaign_index(campaign=campaign)

    add_index_responses(campaign, tree["06004"], {"HL_TC": 5})

    assert compute_campaign_index(campaign=campaign).checksum != first.checksum


def test_checksum_does_not_depend_on_the_order_responses_are_stored_in(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, {"HL_TC": 3})
    first = compute_campaign_index(campaign=campaign)
    # The same rows written again in another physical order (updated rows move to the end of the table).
    first_response = campaign.responses.order_by("pk").first()
    Response.objects.filter(pk=first_response.pk).update(channel="web")
    Response.objects.filter(pk=first_response.pk).update(channel="paper")

    assert compute_campaign_index(campaign=campaign).checksum == first.checksum


def test_checksum_changes_when_the_answers_of_a_counted_response_change(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5, "HL": 4}, {"HL_TC": 3})
    first = compute_campaign_index(campaign=campaign)

    # Never done by the portal (answers are not edited once stored), but a run must not claim the same inputs.
    Response.objects.filter(pk=campaign.responses.order_by("pk").first().pk).update(answers={"HL_TC": 4, "HL": 5})

    assert compute_campaign_index(campaign=campaign).checksum != first.checksum


def test_checksum_changes_when_a_decision_changes(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, {"HL_TC": 4})
    first = compute_campaign_index(campaign=campaign)

    Response.objects.filter(pk=campaign.responses.order_by("pk").first().pk).update(
        excluded=True, decision_rule="too_fast"
    )
    excluded = compute_campaign_index(campaign=campaign)
    Response.objects.filter(campaign=campaign, excluded=True).update(decision_rule="straight_lined")
    other_rule = compute_campaign_index(campaign=campaign)

    assert len({first.checksum, excluded.checksum, other_rule.checksum}) == 3


def test_checksum_changes_when_a_minimum_sample_changes(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    first = compute_campaign_index(campaign=campaign)

    campaign.participants.filter(agency=tree["06001"]).update(min_sample=150)

    assert compute_campaign_index(campaign=campaign).checksum != first.checksum


# --- campaign states ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [CampaignState.DRAFT, CampaignState.PUBLISHED])
def test_draft_or_published_campaign_cannot_be_computed(tree, make_index_campaign, add_index_responses, state):
    campaign = make_index_campaign(state=state)
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})

    with pytest.raises(ComputeError):
        compute_campaign_index(campaign=campaign)

    assert not IndexRun.objects.exists()
    campaign.refresh_from_db()
    assert campaign.state == state


def test_open_campaign_gets_an_interim_run_and_stays_open(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign(state=CampaignState.OPEN)
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})

    run = compute_campaign_index(campaign=campaign)

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.OPEN
    assert run.summary["interim"] is True
    assert run.agency_results.get(agency=tree["06001"]).sipas == 100.0


def test_closed_campaign_becomes_computed(tree, actors, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})

    run = compute_campaign_index(campaign=campaign, acting_user=actors.officer_a)

    campaign.refresh_from_db()
    assert campaign.state == CampaignState.COMPUTED
    assert run.summary["interim"] is False
    assert run.computed_by == actors.officer_a


def test_computation_is_audited_with_the_acting_user(tree, actors, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})

    run = compute_campaign_index(campaign=campaign, acting_user=actors.officer_a)

    computed = AuditEntry.objects.get(action="index.computed")
    assert (computed.actor, computed.target_id) == (actors.officer_a, str(run.pk))
    assert computed.data == {"checksum": run.checksum, "counted": 1}
    state = AuditEntry.objects.get(action="campaign.state", target_id=str(campaign.pk))
    assert (state.data["previous"], state.data["state"]) == ("closed", "computed")


def test_computed_campaign_can_be_computed_again(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign(state=CampaignState.COMPUTED)
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})

    run = compute_campaign_index(campaign=campaign)

    campaign.refresh_from_db()
    assert (run.number, campaign.state) == (1, CampaignState.COMPUTED)


# --- change against the previous published campaign --------------------------------------------------------------


@pytest.fixture
def previous_and_current(tree, make_index_campaign, add_index_responses, publish_index_run):
    """2025 published: 06001 S(TC) 2/2 = 100 (rank 1), 06004 1/2 = 50 (rank 2).
    2026: 06001 1/2 = 50 (rank 2), 06004 2/2 = 100 (rank 1)."""
    previous = make_index_campaign("sipas-2025", year=2025)
    add_index_responses(previous, tree["06001"], {"HL_TC": 5, "TC1": 5}, {"HL_TC": 4, "TC1": 4})
    add_index_responses(previous, tree["06004"], {"HL_TC": 5}, {"HL_TC": 1})
    publish_index_run(compute_campaign_index(campaign=previous))
    current = make_index_campaign("sipas-2026", year=2026)
    add_index_responses(current, tree["06001"], {"HL_TC": 5, "TC1": 5}, {"HL_TC": 1, "TC1": 1})
    add_index_responses(current, tree["06004"], {"HL_TC": 5}, {"HL_TC": 4})
    return previous, compute_campaign_index(campaign=current)


def test_change_against_the_previous_campaign_for_the_same_agency(previous_and_current, tree):
    _previous, run = previous_and_current

    change = run.agency_results.get(agency=tree["06001"]).figures["change"]

    assert change["previous_campaign"] == "sipas-2025"
    assert change["basis"] == "same"
    assert (change["previous_sipas"], change["sipas_change"]) == (100.0, -50.0)
    assert change["criteria"]["TC1"] == -50.0  # 100 -> 50
    assert change["criteria"]["TC2"] is None


def test_rank_change_against_the_previous_campaign(previous_and_current, tree):
    _previous, run = previous_and_current

    fell = run.agency_results.get(agency=tree["06001"]).figures["change"]
    rose = run.agency_results.get(agency=tree["06004"]).figures["change"]

    assert (fell["previous_rank"], fell["rank_change"]) == (1, -1)
    assert (rose["previous_rank"], rose["rank_change"]) == (2, 1)


def test_change_without_data_on_either_side_is_null(previous_and_current, tree):
    _previous, run = previous_and_current

    change = run.agency_results.get(agency=tree["20.SNV"]).figures["change"]

    assert (change["previous_sipas"], change["sipas_change"], change["rank_change"], change["real"]) == (
        None,
        None,
        None,
        None,
    )


def test_no_change_without_a_previous_published_campaign(tree, make_index_campaign, add_index_responses):
    previous = make_index_campaign("sipas-2025", year=2025)
    add_index_responses(previous, tree["06001"], {"HL_TC": 5})
    compute_campaign_index(campaign=previous)  # computed, never published
    current = make_index_campaign("sipas-2026", year=2026)
    add_index_responses(current, tree["06001"], {"HL_TC": 5})

    run = compute_campaign_index(campaign=current)

    assert "change" not in run.agency_results.get(agency=tree["06001"]).figures


def test_large_change_is_flagged_real_and_small_one_not(
    tree, make_index_campaign, add_index_responses, publish_index_run
):
    previous = make_index_campaign("sipas-2025", year=2025)
    add_index_responses(previous, tree["06001"], *[{"HL_TC": 5}] * 45, *[{"HL_TC": 1}] * 5)  # 90 %
    add_index_responses(previous, tree["06004"], *[{"HL_TC": 5}] * 5, *[{"HL_TC": 1}] * 5)  # 50 %
    publish_index_run(compute_campaign_index(campaign=previous))
    current = make_index_campaign("sipas-2026", year=2026)
    add_index_responses(current, tree["06001"], *[{"HL_TC": 5}] * 20, *[{"HL_TC": 1}] * 30)  # 40 %
    add_index_responses(current, tree["06004"], *[{"HL_TC": 5}] * 6, *[{"HL_TC": 1}] * 4)  # 60 %

    run = compute_campaign_index(campaign=current)

    assert run.agency_results.get(agency=tree["06001"]).figures["change"]["real"] is True
    assert run.agency_results.get(agency=tree["06004"]).figures["change"]["real"] is False


@pytest.fixture
def merged_commune(tree) -> Agency:
    """On 1 July 2025 communes 06001 and 06004 merged into 06100 (their successor)."""
    ended = datetime.date(2025, 6, 30)
    sync_agencies(
        [
            AgencyRow("06100", "Phường Lương Văn Tri", AgencyKind.COMMUNE, "phường", "20",
                      active_from=datetime.date(2025, 7, 1)),
            AgencyRow("06001", "Xã Đoàn Kết", AgencyKind.COMMUNE, "xã", "20", active_to=ended, successor_code="06100"),
            AgencyRow("06004", "Phường Đông Kinh", AgencyKind.COMMUNE, "phường", "20", active_to=ended,
                      successor_code="06100"),
        ]
    )  # fmt: skip
    return Agency.objects.get(code="06100")


def test_merged_agency_is_compared_with_its_pooled_predecessors(
    tree, merged_commune, make_index_campaign, add_index_responses, publish_index_run
):
    # 2024: 06001 S(TC) 1/1 = 100, 06004 0/3 = 0 -> pooled predecessors 1/4 = 25 (not the mean 50)
    previous = make_index_campaign("sipas-2024", year=2024)
    add_index_responses(previous, tree["06001"], {"HL_TC": 5})
    add_index_responses(previous, tree["06004"], *[{"HL_TC": 1}] * 3)
    publish_index_run(compute_campaign_index(campaign=previous))
    current = make_index_campaign(
        "sipas-2025-h2", year=2025, period=(datetime.date(2025, 7, 1), datetime.date(2025, 12, 31))
    )
    add_index_responses(current, merged_commune, {"HL_TC": 5}, {"HL_TC": 4})  # 100

    run = compute_campaign_index(campaign=current)

    change = run.agency_results.get(agency=merged_commune).figures["change"]
    assert change["basis"] == "predecessors"
    assert change["previous_campaign"] == "sipas-2024"
    assert (change["previous_sipas"], change["sipas_change"]) == (25.0, 75.0)
    assert (change["previous_rank"], change["rank_change"]) == (None, None)


# --- thresholds ---------------------------------------------------------------------------------------------------


def test_threshold_counts_per_level_and_for_the_campaign(tree, make_index_campaign, add_index_responses):
    # SIPAS: 20.SNV 100, 20.STP 2/3 = 66.67, 06001 4/5 = 80 (meets 80 exactly), 06004 no data
    campaign = make_index_campaign(target_percent=90, thresholds=[50, 80])
    add_index_responses(campaign, tree["20.SNV"], {"HL_TC": 5})
    add_index_responses(campaign, tree["20.STP"], {"HL_TC": 5}, {"HL_TC": 5}, {"HL_TC": 1})
    add_index_responses(campaign, tree["06001"], *[{"HL_TC": 5}] * 4, {"HL_TC": 1})

    run = compute_campaign_index(campaign=campaign)

    thresholds = {g.key: g.figures["thresholds"] for g in run.group_results.all()}
    assert thresholds == {
        "campaign": {"50": 3, "80": 2, "90": 1},
        "department": {"50": 2, "80": 1, "90": 1},
        "commune": {"50": 1, "80": 1, "90": 0},
    }


def test_threshold_counts_leave_out_agencies_under_their_minimum_sample(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign(level_samples={"department": 1, "commune": 2}, thresholds=[50])
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, {"HL_TC": 5})  # 100, 2 responses: counted
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5})  # 100, under its minimum of 2: left out

    communes = compute_campaign_index(campaign=campaign).group_results.get(key="commune").figures

    assert communes["thresholds"] == {"50": 1}


def test_threshold_of_zero_counts_agencies_at_zero(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign(thresholds=[0])
    add_index_responses(campaign, tree["06001"], {"HL_TC": 1})  # SIPAS 0.0

    communes = compute_campaign_index(campaign=campaign).group_results.get(key="commune").figures

    assert communes["thresholds"] == {"0": 1}


def test_groups_report_agencies_ranked_and_the_sipas_range(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign(level_samples={"department": 1, "commune": 2})
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, {"HL_TC": 1})  # 50, ranked
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5})  # 100, under its minimum

    communes = compute_campaign_index(campaign=campaign).group_results.get(key="commune").figures

    assert (communes["agencies"], communes["ranked"]) == (2, 1)
    assert (communes["sipas_min"], communes["sipas_max"]) == (50.0, 100.0)


# --- jobs --------------------------------------------------------------------------------------------------------


def test_computing_for_the_same_job_twice_returns_its_one_run(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    job = Job.objects.create(kind=COMPUTE, params={"campaign_id": campaign.pk})

    first = compute_campaign_index(campaign=campaign, job=job)
    again = compute_campaign_index(campaign=campaign, job=job)

    assert again.pk == first.pk
    assert IndexRun.objects.count() == 1
    assert first.job == job


def test_job_interrupted_after_its_run_committed_finishes_without_a_second_run(
    tree, make_index_campaign, add_index_responses
):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    job = Job.objects.create(kind=COMPUTE, params={"campaign_id": campaign.pk})
    run = compute_campaign_index(campaign=campaign, job=job)
    Job.objects.filter(pk=job.pk).update(state=Job.State.RUNNING, attempts=1)  # the worker died before finishing

    finished = run_job(job.pk)

    assert finished.state == Job.State.DONE
    assert finished.result == {"run_id": run.pk, "run_number": 1, "responses_counted": 1}
    assert IndexRun.objects.count() == 1


def test_job_redelivered_after_its_run_was_published_returns_that_run(
    tree, make_index_campaign, add_index_responses, publish_index_run
):
    # The worker committed the run and died before marking the job done; by the time the task is delivered
    # again (the broker's visibility timeout), the run has been appraised and published.
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    job = Job.objects.create(kind=COMPUTE, params={"campaign_id": campaign.pk}, state=Job.State.RUNNING, attempts=1)
    run = compute_campaign_index(campaign=campaign, job=job)
    publish_index_run(run)

    finished = run_job(job.pk)

    assert (finished.state, finished.errors) == (Job.State.DONE, [])
    assert finished.result["run_id"] == run.pk
    assert IndexRun.objects.count() == 1


def test_enqueued_computation_runs_as_a_job_with_progress(
    tree, actors, make_index_campaign, add_index_responses, django_capture_on_commit_callbacks
):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, {"HL_TC": 1})

    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_compute(campaign=campaign, acting_user=actors.officer_a)

    job.refresh_from_db()
    run = IndexRun.objects.get(job=job)
    assert job.state == Job.State.DONE
    assert job.result == {"run_id": run.pk, "run_number": 1, "responses_counted": 2}
    assert (job.progress_done, job.progress_total) == (3, 3)
    assert run.computed_by == actors.officer_a


def test_enqueueing_a_computation_twice_while_it_is_pending_queues_it_once(
    tree, make_index_campaign, django_capture_on_commit_callbacks
):
    campaign = make_index_campaign()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = enqueue_compute(campaign=campaign)
        second = enqueue_compute(campaign=campaign)

    assert second.pk == first.pk
    assert (Job.objects.count(), len(callbacks)) == (1, 1)


def test_a_computation_whose_worker_died_does_not_hold_the_campaign(
    tree, make_index_campaign, add_index_responses, django_capture_on_commit_callbacks, settings
):
    # The worker was killed outright mid-run: its job stays "running" and the broker keeps the task for an
    # hour (visibility timeout). Silent for three heartbeats, the job is taken as lost.
    settings.JOB_HEARTBEAT_SECONDS = 30
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    silent_since = timezone.now() - datetime.timedelta(seconds=91)
    lost = Job.objects.create(
        kind=COMPUTE, params={"campaign_id": campaign.pk}, state=Job.State.RUNNING, heartbeat_at=silent_since
    )
    assert pending_computations(campaign) == []  # the dashboard no longer shows it as under way

    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_compute(campaign=campaign)

    job.refresh_from_db()
    lost.refresh_from_db()
    assert job.pk != lost.pk and job.state == Job.State.DONE
    assert lost.state == Job.State.FAILED and lost.errors
    assert list(IndexRun.objects.values_list("job_id", flat=True)) == [job.pk]
    assert run_job(lost.pk).state == Job.State.FAILED  # its task, given out again later, changes nothing
    assert IndexRun.objects.count() == 1


def test_a_computation_still_giving_signs_of_life_is_waited_for(tree, make_index_campaign, settings):
    settings.JOB_HEARTBEAT_SECONDS = 30
    campaign = make_index_campaign()
    running = Job.objects.create(
        kind=COMPUTE,
        params={"campaign_id": campaign.pk},
        state=Job.State.RUNNING,
        heartbeat_at=timezone.now() - datetime.timedelta(seconds=60),
    )

    assert enqueue_compute(campaign=campaign).pk == running.pk
    assert pending_computations(campaign) == [running]
    running.refresh_from_db()
    assert running.state == Job.State.RUNNING


def test_a_computation_can_be_enqueued_again_once_the_previous_one_finished(
    tree, make_index_campaign, add_index_responses, django_capture_on_commit_callbacks
):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue_compute(campaign=campaign)

    with django_capture_on_commit_callbacks(execute=True):
        second = enqueue_compute(campaign=campaign)

    assert second.pk != first.pk
    assert sorted(IndexRun.objects.values_list("number", flat=True)) == [1, 2]


def test_enqueued_computation_of_a_draft_campaign_fails_with_a_message(
    make_index_campaign, django_capture_on_commit_callbacks
):
    campaign = make_index_campaign(state=CampaignState.DRAFT)

    with django_capture_on_commit_callbacks(execute=True):
        job = enqueue_compute(campaign=campaign)

    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert len(job.errors) == 1 and job.errors[0]["message"]
    assert not IndexRun.objects.exists()


# --- the aggregation is a fixed number of queries ----------------------------------------------------------------


def queries_to_compute(campaign, django_assert_max_num_queries) -> int:
    with django_assert_max_num_queries(30) as captured:
        compute_campaign_index(campaign=campaign)
    return len(captured.captured_queries)


def test_computation_takes_the_same_number_of_queries_for_10_or_200_responses(
    tree, make_index_campaign, add_index_responses, django_assert_max_num_queries
):
    answers = {"TC1": 4, "TT2": 5, "HL_TC": 4, "HL_CC": 2, "HL": 4, "DL": "1", "NC": ["NC3"], "PA": "2"}
    small = make_index_campaign("small")
    add_index_responses(small, tree["06001"], *[answers] * 5)
    add_index_responses(small, tree["20.SNV"], *[answers] * 5)
    large = make_index_campaign("large")
    add_index_responses(large, tree["06001"], *[answers] * 100)
    add_index_responses(large, tree["20.SNV"], *[answers] * 100)

    assert queries_to_compute(small, django_assert_max_num_queries) == queries_to_compute(
        large, django_assert_max_num_queries
    )
    assert large.runs.get().responses_counted == 200
