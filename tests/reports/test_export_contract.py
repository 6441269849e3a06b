"""`export_report CAMPAIGN --format json --out PATH` writes the JSON export contract of the methodology file
("Export contract") exactly: its keys, JSON numbers at full precision, null for no data."""

from __future__ import annotations

import json

import pytest
from django.core.management import CommandError, call_command

from reports.models import IndexRun
from reports.services.compute import compute_campaign_index

TOP_KEYS = {"campaign", "methodology", "run", "agencies", "groups"}
RUN_KEYS = {"id", "computed_at", "checksum"}
AGENCY_KEYS = {
    "code", "name", "level", "n", "excluded", "sipas", "hl", "factors", "criteria", "expectations", "facts", "rank",
    "enough_sample",
}  # fmt: skip
GROUP_KEYS = {"level", "n", "excluded", "sipas", "hl", "factors", "criteria", "expectations", "facts"}
FACTORS = {"TC", "TT", "CC", "KQ", "GY"}
CRITERIA = {
    "TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1", "CC2", "CC3", "CC4", "CC5", "CC6",
    "KQ1", "KQ2", "KQ3", "GY1", "GY2", "GY3", "GY4",
}  # fmt: skip
EXPECTATIONS = {f"NC{i}" for i in range(1, 10)}
REPORTED_FACTS = {
    "DL": {"1", "2", "3", "4"},
    "TH": {"1", "2", "3"},
    "XL": {"1", "2"},
    "PH": {"1", "2"},
    "TN": {"1", "2"},
}


@pytest.fixture
def exported_campaign(tree, make_index_campaign, add_index_responses):
    """06001: 3 counted (S(TC) 2/3, SIPAS 66.67) and 1 excluded; 06004 below its minimum of 2; departments empty."""
    campaign = make_index_campaign(level_samples={"department": 2, "commune": 2})
    add_index_responses(
        campaign,
        tree["06001"],
        {"HL_TC": 5, "TC1": 5, "HL": 4, "DL": "1", "NC": ["NC3", "NC5"]},
        {"HL_TC": 4, "TC1": 2, "HL": 2, "DL": "2", "NC": ["NC3"]},
        {"HL_TC": 1, "TC1": 4, "HL": 5, "DL": "1", "TH": "3", "XL": "2"},
    )
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, excluded=True, decision_rule="too_fast")
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5})
    return campaign


def export(slug: str, path) -> dict:
    call_command("export_report", slug, "--format", "json", "--out", str(path))
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def exported(exported_campaign, tmp_path) -> tuple[IndexRun, dict]:
    run = compute_campaign_index(campaign=exported_campaign)
    return run, export(exported_campaign.slug, tmp_path / "results.json")


def agency(payload: dict, code: str) -> dict:
    return next(a for a in payload["agencies"] if a["code"] == code)


# --- keys --------------------------------------------------------------------------------------------------------


def test_top_level_has_exactly_the_contract_keys(exported):
    _run, payload = exported
    assert set(payload) == TOP_KEYS


def test_run_names_its_id_time_and_checksum(exported):
    run, payload = exported
    assert set(payload["run"]) == RUN_KEYS
    assert (payload["run"]["id"], payload["run"]["checksum"]) == (run.pk, run.checksum)
    assert payload["run"]["computed_at"] == run.computed_at.isoformat()


def test_campaign_and_methodology_are_identified(exported, exported_campaign):
    _run, payload = exported
    assert payload["campaign"]["slug"] == exported_campaign.slug
    assert (payload["methodology"]["code"], payload["methodology"]["scoring"]) == ("SIPAS-2017", "share-positive")


def test_every_surveyed_agency_is_listed_once_with_exactly_the_contract_keys(exported):
    _run, payload = exported
    assert sorted(a["code"] for a in payload["agencies"]) == ["06001", "06004", "20.SNV", "20.STP"]
    for entry in payload["agencies"]:
        assert set(entry) == AGENCY_KEYS, entry["code"]


def test_factors_give_evaluation_and_satisfaction_per_factor(exported):
    _run, payload = exported
    for entry in payload["agencies"]:
        assert set(entry["factors"]) == FACTORS
        for figures in entry["factors"].values():
            assert set(figures) == {"evaluation", "satisfaction"}


def test_criteria_and_expectations_are_keyed_by_question_code(exported):
    _run, payload = exported
    for entry in payload["agencies"]:
        assert set(entry["criteria"]) == CRITERIA
        assert set(entry["expectations"]) == EXPECTATIONS


def test_facts_give_a_share_per_option_of_each_reported_fact(exported):
    _run, payload = exported
    for entry in payload["agencies"]:
        for code, options in REPORTED_FACTS.items():
            assert set(entry["facts"][code]) == options, code


def test_groups_cover_each_level_and_the_whole_campaign_with_the_same_figures(exported):
    _run, payload = exported
    assert sorted(g["level"] for g in payload["groups"]) == ["campaign", "commune", "department"]
    for group in payload["groups"]:
        assert set(group) == GROUP_KEYS, group["level"]
        assert set(group["factors"]) == FACTORS
        assert set(group["criteria"]) == CRITERIA
        assert set(group["expectations"]) == EXPECTATIONS


# --- values ------------------------------------------------------------------------------------------------------


def test_agency_figures_are_json_numbers_at_full_precision(exported):
    _run, payload = exported
    entry = agency(payload, "06001")
    assert entry["sipas"] == 200 / 3  # 66.66666666666667, not 66.67
    assert entry["hl"] == 200 / 3
    assert entry["criteria"]["TC1"] == 200 / 3
    assert entry["factors"]["TC"] == {"evaluation": 200 / 3, "satisfaction": 200 / 3}
    assert entry["expectations"]["NC3"] == 100.0 and entry["expectations"]["NC5"] == 50.0
    assert entry["facts"]["DL"] == {"1": 200 / 3, "2": 100 / 3, "3": 0.0, "4": 0.0}


def test_counts_rank_and_sample_flag_of_an_agency(exported):
    _run, payload = exported
    entry = agency(payload, "06001")
    assert (entry["n"], entry["excluded"], entry["rank"], entry["enough_sample"]) == (3, 1, 1, True)
    assert (entry["level"], entry["name"]) == ("commune", "Xã Đoàn Kết")


def test_agency_under_its_minimum_sample_has_figures_but_null_rank(exported):
    _run, payload = exported
    entry = agency(payload, "06004")
    assert (entry["sipas"], entry["rank"], entry["enough_sample"]) == (100.0, None, False)


def test_no_data_is_null_never_zero(exported):
    _run, payload = exported
    entry = agency(payload, "20.SNV")
    assert (entry["n"], entry["sipas"], entry["hl"], entry["rank"]) == (0, None, None, None)
    assert set(entry["criteria"].values()) == {None}
    assert set(entry["expectations"].values()) == {None}
    assert {v for options in entry["facts"].values() for v in options.values()} == {None}
    assert agency(payload, "06001")["criteria"]["TC2"] is None
    assert agency(payload, "06001")["facts"]["TH"] == {"1": 0.0, "2": 0.0, "3": 100.0}  # 1 answer: "3"


def test_group_figures_are_pooled_and_count_exclusions(exported):
    _run, payload = exported
    groups = {g["level"]: g for g in payload["groups"]}
    # communes pooled: S(TC) 06001 2/3 + 06004 1/1 -> 3/4 = 75
    assert (groups["commune"]["n"], groups["commune"]["excluded"], groups["commune"]["sipas"]) == (4, 1, 75.0)
    assert (groups["campaign"]["n"], groups["campaign"]["sipas"]) == (4, 75.0)
    assert (groups["department"]["n"], groups["department"]["sipas"]) == (0, None)


def test_file_is_utf8_json_with_names_unescaped(exported_campaign, tmp_path):
    compute_campaign_index(campaign=exported_campaign)
    path = tmp_path / "results.json"

    call_command("export_report", exported_campaign.slug, "--format", "json", "--out", str(path))

    text = path.read_bytes().decode("utf-8")
    assert "Xã Đoàn Kết" in text
    assert json.loads(text)["agencies"]


# --- which run ---------------------------------------------------------------------------------------------------


def test_export_uses_the_latest_run_when_none_is_published(exported_campaign, tmp_path):
    compute_campaign_index(campaign=exported_campaign)
    latest = compute_campaign_index(campaign=exported_campaign)

    assert export(exported_campaign.slug, tmp_path / "r.json")["run"]["id"] == latest.pk


def test_export_uses_the_published_run_over_a_later_one(exported_campaign, tmp_path):
    first = compute_campaign_index(campaign=exported_campaign)
    compute_campaign_index(campaign=exported_campaign)
    IndexRun.objects.filter(pk=first.pk).update(state=IndexRun.State.PUBLISHED)

    assert export(exported_campaign.slug, tmp_path / "r.json")["run"]["id"] == first.pk


def test_export_of_a_published_campaign_uses_its_published_run(exported_campaign, tmp_path, actors, publish_index_run):
    run = publish_index_run(compute_campaign_index(campaign=exported_campaign), actors.officer_a)

    payload = export(exported_campaign.slug, tmp_path / "r.json")

    assert (payload["run"]["id"], payload["campaign"]["state"]) == (run.pk, "published")


def test_export_of_a_chosen_run_number(exported_campaign, tmp_path):
    first = compute_campaign_index(campaign=exported_campaign)
    compute_campaign_index(campaign=exported_campaign)
    path = tmp_path / "r.json"

    call_command("export_report", exported_campaign.slug, "--format", "json", "--out", str(path), "--run", "1")

    assert json.loads(path.read_text())["run"]["id"] == first.pk


# --- errors ------------------------------------------------------------------------------------------------------


def test_export_of_an_unknown_campaign_is_an_error(db, tmp_path):
    with pytest.raises(CommandError, match="no-such-campaign"):
        call_command("export_report", "no-such-campaign", "--format", "json", "--out", str(tmp_path / "r.json"))

    assert not (tmp_path / "r.json").exists()


def test_export_of_a_campaign_without_a_run_is_an_error(exported_campaign, tmp_path):
    with pytest.raises(CommandError, match="compute_index"):
        call_command("export_report", exported_campaign.slug, "--format", "json", "--out", str(tmp_path / "r.json"))

    assert not (tmp_path / "r.json").exists()


def test_export_to_a_missing_folder_is_an_error(exported_campaign, tmp_path):
    compute_campaign_index(campaign=exported_campaign)
    path = tmp_path / "missing" / "r.json"

    with pytest.raises(CommandError, match="missing"):
        call_command("export_report", exported_campaign.slug, "--format", "json", "--out", str(path))

    assert not path.parent.exists()


def test_export_of_an_unknown_run_number_is_an_error(exported_campaign, tmp_path):
    compute_campaign_index(campaign=exported_campaign)

    with pytest.raises(CommandError):
        call_command(
            "export_report", exported_campaign.slug, "--format", "json", "--out", str(tmp_path / "r.json"), "--run", "7"
        )
