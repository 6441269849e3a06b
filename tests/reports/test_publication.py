"""Appraisal (thẩm định) and publication of a run, and agency action plans: a published run never changes."""

from __future__ import annotations

import datetime

import pytest

from reports.models import ActionPlan, Appraisal, IndexRun
from reports.services.compute import ComputeError, compute_campaign_index
from reports.services.publication import (
    PublicationError,
    appraise_run,
    publish_run,
    record_action_plan,
    update_action_plan,
)
from sipas.models import AuditEntry
from surveys.models import CampaignState


@pytest.fixture
def computed_run(tree, make_index_campaign, add_index_responses) -> IndexRun:
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5, "TC1": 2}, {"HL_TC": 1, "TC1": 2})
    return compute_campaign_index(campaign=campaign)


def states(run: IndexRun) -> tuple[str, str]:
    run.refresh_from_db()
    run.campaign.refresh_from_db()
    return run.state, run.campaign.state


# --- appraisal ---------------------------------------------------------------------------------------------------


def test_approval_marks_run_and_campaign_appraised(computed_run, actors):
    appraisal = appraise_run(run=computed_run, approved=True, note="  Số liệu hợp lệ. ", acting_user=actors.officer_a)

    assert states(computed_run) == (IndexRun.State.APPRAISED, CampaignState.APPRAISED)
    assert (appraisal.approved, appraisal.note, appraisal.appraised_by) == (True, "Số liệu hợp lệ.", actors.officer_a)


def test_rejection_marks_the_run_rejected_and_leaves_the_campaign_computed(computed_run, actors):
    appraise_run(run=computed_run, approved=False, note="Thiếu phiếu của xã.", acting_user=actors.officer_a)

    assert states(computed_run) == (IndexRun.State.REJECTED, CampaignState.COMPUTED)


def test_appraisal_is_audited(computed_run, actors):
    appraise_run(run=computed_run, approved=False, note="Thiếu phiếu.", acting_user=actors.officer_a)

    entry = AuditEntry.objects.get(action="index.appraised")
    assert (entry.actor, entry.target_id) == (actors.officer_a, str(computed_run.pk))
    assert entry.data == {"approved": False, "note": "Thiếu phiếu."}


@pytest.mark.parametrize("note", ["", "   "])
def test_appraisal_requires_a_note(computed_run, actors, note):
    with pytest.raises(PublicationError):
        appraise_run(run=computed_run, approved=True, note=note, acting_user=actors.officer_a)

    assert not Appraisal.objects.exists()
    assert states(computed_run) == (IndexRun.State.COMPUTED, CampaignState.COMPUTED)


def test_rejected_run_cannot_be_appraised_again(computed_run, actors):
    appraise_run(run=computed_run, approved=False, note="Thiếu phiếu.", acting_user=actors.officer_a)

    with pytest.raises(PublicationError):
        appraise_run(run=computed_run, approved=True, note="Đạt.", acting_user=actors.officer_a)

    assert Appraisal.objects.count() == 1


def test_only_the_latest_run_can_be_appraised(computed_run, actors):
    newer = compute_campaign_index(campaign=computed_run.campaign)

    with pytest.raises(PublicationError):
        appraise_run(run=computed_run, approved=True, note="Đạt.", acting_user=actors.officer_a)

    appraise_run(run=newer, approved=True, note="Đạt.", acting_user=actors.officer_a)
    assert states(newer) == (IndexRun.State.APPRAISED, CampaignState.APPRAISED)


def test_interim_run_of_an_open_campaign_cannot_be_appraised(tree, actors, make_index_campaign, add_index_responses):
    campaign = make_index_campaign(state=CampaignState.OPEN)
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    interim = compute_campaign_index(campaign=campaign)

    with pytest.raises(PublicationError):
        appraise_run(run=interim, approved=True, note="Đạt.", acting_user=actors.officer_a)

    assert states(interim) == (IndexRun.State.COMPUTED, CampaignState.OPEN)


def test_a_new_computation_after_a_rejection_can_be_appraised(computed_run, actors):
    appraise_run(run=computed_run, approved=False, note="Thiếu phiếu.", acting_user=actors.officer_a)
    second = compute_campaign_index(campaign=computed_run.campaign)

    appraise_run(run=second, approved=True, note="Đạt.", acting_user=actors.officer_a)

    assert states(second) == (IndexRun.State.APPRAISED, CampaignState.APPRAISED)


# --- publication -------------------------------------------------------------------------------------------------


def test_run_cannot_be_published_before_approval(computed_run, actors):
    with pytest.raises(PublicationError):
        publish_run(run=computed_run, acting_user=actors.officer_a)

    assert states(computed_run) == (IndexRun.State.COMPUTED, CampaignState.COMPUTED)


def test_rejected_run_cannot_be_published(computed_run, actors):
    appraise_run(run=computed_run, approved=False, note="Thiếu phiếu.", acting_user=actors.officer_a)

    with pytest.raises(PublicationError):
        publish_run(run=computed_run, acting_user=actors.officer_a)

    assert states(computed_run) == (IndexRun.State.REJECTED, CampaignState.COMPUTED)


def test_approved_run_is_published_with_who_and_when(computed_run, actors):
    appraise_run(run=computed_run, approved=True, note="Đạt.", acting_user=actors.officer_a)

    published = publish_run(run=computed_run, acting_user=actors.officer_a)

    assert states(computed_run) == (IndexRun.State.PUBLISHED, CampaignState.PUBLISHED)
    assert published.published_by == actors.officer_a
    assert published.published_at is not None


def test_publication_is_audited_with_the_checksum(computed_run, actors):
    appraise_run(run=computed_run, approved=True, note="Đạt.", acting_user=actors.officer_a)
    publish_run(run=computed_run, acting_user=actors.officer_a)

    entry = AuditEntry.objects.get(action="index.published")
    assert (entry.actor, entry.target_id, entry.data) == (
        actors.officer_a,
        str(computed_run.pk),
        {"checksum": computed_run.checksum},
    )


def test_published_run_cannot_be_appraised_or_published_again(computed_run, actors, publish_index_run):
    publish_index_run(computed_run, actors.officer_a)
    published_at = IndexRun.objects.get(pk=computed_run.pk).published_at

    with pytest.raises(PublicationError):
        appraise_run(run=computed_run, approved=False, note="Xem lại.", acting_user=actors.officer_a)
    with pytest.raises(PublicationError):
        publish_run(run=computed_run, acting_user=actors.officer_a)

    assert states(computed_run) == (IndexRun.State.PUBLISHED, CampaignState.PUBLISHED)
    assert IndexRun.objects.get(pk=computed_run.pk).published_at == published_at
    assert Appraisal.objects.count() == 1


def test_published_campaign_cannot_be_computed_again(computed_run, actors, publish_index_run):
    publish_index_run(computed_run, actors.officer_a)
    campaign = computed_run.campaign
    campaign.refresh_from_db()

    with pytest.raises(ComputeError):
        compute_campaign_index(campaign=campaign)

    assert campaign.runs.count() == 1


def test_published_figures_stay_as_published(computed_run, actors, publish_index_run):
    before = list(computed_run.agency_results.order_by("agency_id").values_list("agency_id", "sipas", "figures"))

    publish_index_run(computed_run, actors.officer_a)

    after = list(computed_run.agency_results.order_by("agency_id").values_list("agency_id", "sipas", "figures"))
    assert after == before


def test_appraised_run_superseded_by_a_newer_computation_cannot_be_published(computed_run, actors):
    appraise_run(run=computed_run, approved=True, note="Đạt.", acting_user=actors.officer_a)
    compute_campaign_index(campaign=computed_run.campaign)  # the campaign goes back to "computed": run #2 is due

    with pytest.raises(PublicationError):
        publish_run(run=computed_run, acting_user=actors.officer_a)

    assert not IndexRun.objects.filter(state=IndexRun.State.PUBLISHED).exists()


# --- action plans ------------------------------------------------------------------------------------------------


def test_leader_records_an_action_plan_for_a_criterion(computed_run, tree, actors):
    plan = record_action_plan(
        campaign=computed_run.campaign, agency=tree["06001"], criterion="TC1", action="  Thêm 20 ghế chờ. ",
        owner=" Chánh Văn phòng ", due=datetime.date(2026, 12, 31), acting_user=actors.manager,
    )  # fmt: skip

    plan.refresh_from_db()
    assert (plan.criterion, plan.action, plan.owner, plan.status) == (
        "TC1",
        "Thêm 20 ghế chờ.",
        "Chánh Văn phòng",
        ActionPlan.Status.PLANNED,
    )
    entry = AuditEntry.objects.get(action="action_plan.created")
    assert (entry.actor, entry.target_id, entry.data) == (actors.manager, str(plan.pk), {"criterion": "TC1"})


@pytest.mark.parametrize("code", ["ZZ9", "HL_TC", "HL", "DL"])
def test_action_plan_for_anything_but_a_criterion_is_rejected(computed_run, tree, actors, code):
    with pytest.raises(ValueError, match=code):
        record_action_plan(
            campaign=computed_run.campaign, agency=tree["06001"], criterion=code, action="Làm gì đó.",
            owner="Ai đó", due=datetime.date(2026, 12, 31), acting_user=actors.manager,
        )  # fmt: skip

    assert not ActionPlan.objects.exists()


@pytest.mark.parametrize(("action", "owner"), [("  ", "Chánh Văn phòng"), ("Thêm ghế.", " ")])
def test_action_plan_needs_what_and_who(computed_run, tree, actors, action, owner):
    with pytest.raises(ValueError):
        record_action_plan(
            campaign=computed_run.campaign, agency=tree["06001"], criterion="TC1", action=action, owner=owner,
            due=datetime.date(2026, 12, 31), acting_user=actors.manager,
        )  # fmt: skip

    assert not ActionPlan.objects.exists()


def test_action_plan_follow_up_is_recorded_and_audited(computed_run, tree, actors):
    plan = record_action_plan(
        campaign=computed_run.campaign, agency=tree["06001"], criterion="TC1", action="Thêm ghế.",
        owner="Văn phòng", due=datetime.date(2026, 12, 31), acting_user=actors.manager,
    )  # fmt: skip

    update_action_plan(plan=plan, status="done", follow_up=" Đã lắp 20 ghế. ", acting_user=actors.manager)

    plan.refresh_from_db()
    assert (plan.status, plan.follow_up) == (ActionPlan.Status.DONE, "Đã lắp 20 ghế.")
    assert AuditEntry.objects.get(action="action_plan.updated").data == {"status": "done"}


def test_action_plan_with_an_unknown_status_is_rejected(computed_run, tree, actors):
    plan = record_action_plan(
        campaign=computed_run.campaign, agency=tree["06001"], criterion="TC1", action="Thêm ghế.",
        owner="Văn phòng", due=datetime.date(2026, 12, 31), acting_user=actors.manager,
    )  # fmt: skip

    with pytest.raises(ValueError):
        update_action_plan(plan=plan, status="forgotten", follow_up="", acting_user=actors.manager)

    plan.refresh_from_db()
    assert plan.status == ActionPlan.Status.PLANNED
