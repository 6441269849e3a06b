"""`python manage.py compute_index CAMPAIGN`: computes now, prints the run id and a short summary; errors a person
can act on."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from reports.models import IndexRun
from surveys.models import CampaignState


def compute_index(slug: str, language: str = "en") -> list[str]:
    out = io.StringIO()
    with translation.override(language):
        call_command("compute_index", slug, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def summary_campaign(tree, make_index_campaign, add_index_responses):
    """06001: S(TC) 2/3, HL 2/3; 06004: S(TC) 1/1, HL 0/1, plus 1 excluded; departments without responses.
    Campaign pooled: S(TC) 3/4 = 75.00, HL 2/4 = 50.00; 4 agencies, 2 ranked."""
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5, "HL": 5}, {"HL_TC": 5, "HL": 4}, {"HL_TC": 1, "HL": 1})
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5, "HL": 2})
    add_index_responses(campaign, tree["06004"], {"HL_TC": 1}, excluded=True, decision_rule="too_fast")
    return campaign


def test_compute_index_prints_the_run_id_first(summary_campaign):
    lines = compute_index(summary_campaign.slug)

    run = IndexRun.objects.get(campaign=summary_campaign)
    assert lines[0] == f"run {run.pk}"


def test_compute_index_prints_a_summary_line(summary_campaign):
    lines = compute_index(summary_campaign.slug)

    assert lines[1:] == [
        "Campaign sipas-2026, run #1: 4 responses counted, 1 excluded; 4 agencies, 2 ranked; "
        "SIPAS 75.00, overall satisfaction 50.00."
    ]


def test_compute_index_prints_figures_with_a_decimal_comma_in_vietnamese(summary_campaign):
    line = compute_index(summary_campaign.slug, "vi")[1]

    assert "SIPAS 75,00" in line and "50,00." in line


def test_compute_index_moves_a_closed_campaign_to_computed(summary_campaign):
    compute_index(summary_campaign.slug)

    summary_campaign.refresh_from_db()
    assert summary_campaign.state == CampaignState.COMPUTED


def test_compute_index_again_prints_the_new_run(summary_campaign):
    compute_index(summary_campaign.slug)
    lines = compute_index(summary_campaign.slug)

    second = IndexRun.objects.get(campaign=summary_campaign, number=2)
    assert lines[0] == f"run {second.pk}"
    assert "run #2" in lines[1]


def test_compute_index_of_a_campaign_without_responses_shows_no_data_as_a_dash(make_index_campaign):
    campaign = make_index_campaign("empty")

    lines = compute_index(campaign.slug)

    assert lines[1].endswith("SIPAS —, overall satisfaction —.")
    assert "0 responses counted" in lines[1]


def test_compute_index_of_an_unknown_campaign_is_an_error(db):
    with pytest.raises(CommandError, match="no-such-campaign"):
        compute_index("no-such-campaign")


@pytest.mark.parametrize("state", [CampaignState.DRAFT, CampaignState.PUBLISHED])
def test_compute_index_of_a_draft_or_published_campaign_is_an_error(make_index_campaign, state):
    campaign = make_index_campaign(state=state)

    with pytest.raises(CommandError):
        compute_index(campaign.slug)

    assert not IndexRun.objects.exists()
