"""Computations queued from the screens: one at a time per campaign, and leaders find their agency page."""

import datetime

import pytest

from agencies.models import AgencyKind, Role
from agencies.services import grant_membership
from reports.jobs import enqueue_compute
from sipas.models import Job
from surveys.models import CampaignState, Methodology
from surveys.services.campaigns import create_campaign


@pytest.fixture
def closed_campaign(tree):
    campaign = create_campaign(
        year=2026,
        name="Đợt khảo sát",
        slug="jobs-campaign",
        root=tree["20"],
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        level_samples={AgencyKind.DEPARTMENT: 1, AgencyKind.COMMUNE: 1},
    )
    campaign.state = CampaignState.CLOSED
    campaign.save()
    return campaign


def test_a_second_compute_request_while_one_is_queued_reuses_it(closed_campaign, actors):
    first = enqueue_compute(campaign=closed_campaign, acting_user=actors.officer_a)  # not run: no commit here
    second = enqueue_compute(campaign=closed_campaign, acting_user=actors.officer_a)

    assert second.pk == first.pk
    assert Job.objects.filter(kind="reports.compute_index").count() == 1


def test_a_finished_computation_does_not_block_the_next(closed_campaign, actors, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = enqueue_compute(campaign=closed_campaign, acting_user=actors.officer_a)
    second = enqueue_compute(campaign=closed_campaign, acting_user=actors.officer_a)

    assert second.pk != first.pk


def test_compute_job_page_leads_back_to_the_campaign_index(client, closed_campaign, actors):
    job = enqueue_compute(campaign=closed_campaign, acting_user=actors.officer_a)
    client.force_login(actors.officer_a)

    html = client.get(f"/jobs/{job.pk}/").content.decode()

    assert f'href="/index/{closed_campaign.slug}/"' in html


def test_leader_workspace_links_to_their_agency_results(client, closed_campaign, actors):
    client.force_login(actors.manager)

    html = client.get("/workspace/").content.decode()

    assert f'href="/index/{closed_campaign.slug}/agency/20.STP/"' in html


def test_leader_workspace_lists_only_campaigns_that_survey_their_agency(client, tree, actors):
    create_campaign(
        year=2026,
        name="Chỉ cấp xã",
        slug="communes-only",
        root=tree["20"],
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        level_samples={AgencyKind.COMMUNE: 1},
    )
    # The leader of 20.STP (a department, not surveyed here) also leads commune 06001 (surveyed).
    grant_membership(user=actors.manager, agency=tree["06001"], role=Role.MANAGER)
    client.force_login(actors.manager)

    html = client.get("/workspace/").content.decode()

    assert 'href="/index/communes-only/agency/06001/"' in html
    assert 'href="/index/communes-only/agency/20.STP/"' not in html
