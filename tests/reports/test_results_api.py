"""GET /api/v1/campaigns/<slug>/results/: the export contract's figures, public once published; before that only
for the officers who manage the campaign (anyone else: 404, the campaign is not revealed)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.services.compute import compute_campaign_index
from reports.services.export import export_payload


@pytest.fixture
def results_campaign(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5, "HL": 5}, {"HL_TC": 1, "HL": 5})  # SIPAS 50
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5})  # SIPAS 100
    return campaign


def results_url(slug: str) -> str:
    return reverse("campaign-results", kwargs={"slug": slug})


def get_results(client, slug: str, user=None):
    if user is not None:
        client.force_login(user)
    return client.get(results_url(slug))


# --- before publication ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "staff", "officer_b", "manager", "enumerator"])
def test_unpublished_results_are_hidden_from_everyone_but_the_managing_officers(client, actors, results_campaign, who):
    compute_campaign_index(campaign=results_campaign)

    response = get_results(client, results_campaign.slug, getattr(actors, who) if who else None)

    assert response.status_code == 404
    assert b"sipas" not in response.content.lower()


def test_managing_officer_sees_the_latest_run_with_its_state(client, actors, results_campaign):
    compute_campaign_index(campaign=results_campaign)
    latest = compute_campaign_index(campaign=results_campaign)

    response = get_results(client, results_campaign.slug, actors.officer_a)

    assert response.status_code == 200
    body = response.json()
    assert body["run"]["id"] == latest.pk
    assert body["run"]["state"] == "computed"


def test_managing_officer_gets_404_before_any_computation(client, actors, results_campaign):
    assert get_results(client, results_campaign.slug, actors.officer_a).status_code == 404


def test_unknown_campaign_is_404(client, actors, db):
    assert get_results(client, "no-such-campaign").status_code == 404
    assert get_results(client, "no-such-campaign", actors.officer_a).status_code == 404


# --- after publication -------------------------------------------------------------------------------------------


@pytest.fixture
def published_results_run(results_campaign, actors, publish_index_run):
    return publish_index_run(compute_campaign_index(campaign=results_campaign), actors.officer_a)


def test_published_results_are_public(client, published_results_run):
    response = get_results(client, published_results_run.campaign.slug)

    assert response.status_code == 200
    body = response.json()
    assert body["run"]["id"] == published_results_run.pk
    assert body["run"]["state"] == "published"
    sipas = {a["code"]: a["sipas"] for a in body["agencies"]}
    assert (sipas["06001"], sipas["06004"], sipas["20.SNV"]) == (50.0, 100.0, None)


@pytest.mark.parametrize("who", ["officer_b", "staff"])
def test_published_results_are_the_same_for_any_signed_in_user(client, actors, published_results_run, who):
    response = get_results(client, published_results_run.campaign.slug, getattr(actors, who))

    assert response.status_code == 200
    assert response.json()["run"]["id"] == published_results_run.pk


def test_api_gives_the_same_figures_as_the_json_export(client, published_results_run, tmp_path):
    path = tmp_path / "results.json"
    call_command("export_report", published_results_run.campaign.slug, "--format", "json", "--out", str(path))

    body = get_results(client, published_results_run.campaign.slug).json()

    assert body["run"].pop("state") == "published"
    assert body == json.loads(path.read_text(encoding="utf-8"))


def test_api_payload_is_the_export_payload_of_the_run(client, published_results_run):
    body = get_results(client, published_results_run.campaign.slug).json()

    expected = json.loads(json.dumps(export_payload(published_results_run)))
    expected["run"]["state"] = "published"
    assert body == expected


def test_public_results_take_a_fixed_number_of_queries(client, published_results_run, django_assert_num_queries):
    # the campaign, its published run, the agencies' results with their agencies, the groups' results
    with django_assert_num_queries(4):
        assert get_results(client, published_results_run.campaign.slug).status_code == 200
