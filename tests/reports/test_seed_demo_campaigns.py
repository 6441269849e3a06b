"""seed_demo's campaigns: last year's published, this year's open with an interim run."""

import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from reports.models import IndexRun
from surveys.models import Campaign, CampaignState


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    out = io.StringIO()
    call_command("seed_demo", "--responses", "400", "--seed", "3", stdout=out)
    return out.getvalue()


def test_last_years_campaign_is_published_with_figures(seeded):
    previous = Campaign.objects.get(slug=f"demo-{timezone.localdate().year - 1}")
    run = previous.runs.get()

    assert previous.state == CampaignState.PUBLISHED
    assert run.state == IndexRun.State.PUBLISHED
    assert run.responses_counted == 400
    assert run.group_results.get(key="campaign").figures["sipas"] is not None


def test_this_years_campaign_is_open_with_an_interim_run_compared_to_last_year(seeded):
    current = Campaign.objects.get(slug="demo")
    run = current.runs.get()

    assert current.state == CampaignState.OPEN
    assert run.summary["interim"] is True
    changed = [r for r in run.agency_results.all() if "change" in r.figures]
    assert changed, "no agency carries a change against last year's published campaign"
    assert changed[0].figures["change"]["previous_campaign"] == f"demo-{timezone.localdate().year - 1}"


def test_running_seed_demo_again_only_tops_up_to_the_number_asked(seeded, settings):
    call_command("seed_demo", "--responses", "400", stdout=io.StringIO())
    assert Campaign.objects.get(slug="demo").responses.count() == 400

    call_command("seed_demo", "--responses", "450", stdout=io.StringIO())
    assert Campaign.objects.get(slug="demo").responses.count() == 450
    assert Campaign.objects.get(slug=f"demo-{timezone.localdate().year - 1}").responses.count() == 400
