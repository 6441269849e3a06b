"""The methodology's formulas ("Formulas", "Sample, fieldwork and ranking") on small hand-computed cases, through
the database computation (compute_campaign_index) and, for the statistics, the functions of figures.py and
ranking.py directly. Every expected number is worked out in a comment next to its data."""

from __future__ import annotations

import math

import pytest

from agencies.models import Agency, AgencyKind
from agencies.rows import AgencyRow
from agencies.services import sync_agencies
from reports.services.compute import compute_campaign_index
from reports.services.figures import Z95, difference_is_real, wilson
from reports.services.ranking import competition_ranks
from surveys.models import Methodology

CRITERIA = [
    *("TC1", "TC2", "TC3", "TC4"),
    *("TT1", "TT2", "TT3", "TT4", "TT5"),
    *("CC1", "CC2", "CC3", "CC4", "CC5", "CC6"),
    *("KQ1", "KQ2", "KQ3"),
    *("GY1", "GY2", "GY3", "GY4"),
]
FACTORS = ["TC", "TT", "CC", "KQ", "GY"]
NC = [f"NC{i}" for i in range(1, 10)]


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-12)


def agency_figures(run, agency) -> dict:
    return run.agency_results.get(agency=agency).figures


def group_figures(run, key: str) -> dict:
    return run.group_results.get(key=key).figures


# --- one agency, empty answers (commune 06001) -------------------------------------------------------------------
# Four responses; an absent code is an empty answer.
#   TC1: 5, 3, 4, 1   -> 2 positive / 4 answered = 50
#   TC2: 4, 4         -> 2 / 2 = 100
#   TC3: 2            -> 0 / 1 = 0   (answered, none positive: 0, not "no data")
#   TC4: —            -> null
#   E(TC) = mean(50, 100, 0) = 50    (37.5 if TC4 counted as 0)
#   HL_TC: 4, 2, 5    -> 2 / 3 = 66.67
#   HL_KQ: 5          -> 1 / 1 = 100; E(KQ) null (no KQ criterion answered)
#   SIPAS = mean(S(TC), S(KQ)) = (200/3 + 100) / 2 = 83.33   (33.33 if the 3 empty factors counted as 0)
#   HL: 5, 4, 2       -> 2 / 3 = 66.67
#   NC answered by R1, R2 only: NC1 1/2 = 50, NC3 2/2 = 100, others 0/2 = 0
#   DL answered by R1, R2, R3: "1" 2/3, "2" 1/3, "3" 0, "4" 0; TH never answered -> null
EMPTY_ANSWERS_CASE = [
    {"TC1": 5, "TC2": 4, "TC3": 2, "HL_TC": 4, "HL_KQ": 5, "HL": 5, "NC": ["NC1", "NC3"], "DL": "1"},
    {"TC1": 3, "TC2": 4, "HL_TC": 2, "HL": 4, "NC": ["NC3"], "DL": "2"},
    {"TC1": 4, "HL_TC": 5, "HL": 2, "DL": "1"},
    {"TC1": 1},
]


@pytest.fixture
def empty_answers_result(tree, make_index_campaign, add_index_responses) -> dict:
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], *EMPTY_ANSWERS_CASE)
    return agency_figures(compute_campaign_index(campaign=campaign), tree["06001"])


def test_n_counts_every_response_of_the_agency(empty_answers_result):
    assert empty_answers_result["n"] == 4


def test_criterion_evaluation_is_the_share_positive_among_those_who_answered(empty_answers_result):
    assert empty_answers_result["criteria"]["TC1"] == approx(50.0)
    assert empty_answers_result["criteria"]["TC2"] == approx(100.0)


def test_criterion_answered_only_negatively_is_zero_not_no_data(empty_answers_result):
    assert empty_answers_result["criteria"]["TC3"] == 0.0


def test_criterion_nobody_answered_is_null(empty_answers_result):
    assert empty_answers_result["criteria"]["TC4"] is None


def test_factor_evaluation_is_the_mean_over_criteria_with_answers_only(empty_answers_result):
    assert empty_answers_result["factors"]["TC"]["evaluation"] == approx(50.0)


def test_factor_satisfaction_is_the_share_positive_of_its_question(empty_answers_result):
    assert empty_answers_result["factors"]["TC"]["satisfaction"] == approx(200 / 3)


def test_factor_with_satisfaction_but_no_criterion_answered_has_null_evaluation(empty_answers_result):
    assert empty_answers_result["factors"]["KQ"] == {"evaluation": None, "satisfaction": approx(100.0)}


def test_factor_nobody_answered_is_null_in_both_figures(empty_answers_result):
    for code in ("TT", "CC", "GY"):
        assert empty_answers_result["factors"][code] == {"evaluation": None, "satisfaction": None}


def test_sipas_is_the_mean_over_the_factors_with_data(empty_answers_result):
    assert empty_answers_result["sipas"] == approx((200 / 3 + 100) / 2)


def test_overall_satisfaction_is_the_share_positive_of_hl(empty_answers_result):
    assert empty_answers_result["hl"] == approx(200 / 3)


def test_expectation_shares_are_over_the_respondents_who_answered_nc(empty_answers_result):
    expectations = empty_answers_result["expectations"]
    assert expectations["NC1"] == approx(50.0)
    assert expectations["NC3"] == approx(100.0)
    assert expectations["NC2"] == 0.0  # answered NC, did not choose NC2: 0, not null
    assert set(expectations) == set(NC)


def test_fact_shares_are_over_the_respondents_who_answered_the_fact(empty_answers_result):
    assert empty_answers_result["facts"]["DL"] == {
        "1": approx(200 / 3),
        "2": approx(100 / 3),
        "3": 0.0,
        "4": 0.0,
    }


def test_fact_nobody_answered_has_null_shares(empty_answers_result):
    assert empty_answers_result["facts"]["TH"] == {"1": None, "2": None, "3": None}


# --- skipped feedback follow-ups (commune 06004) -----------------------------------------------------------------
# PA = 2 skips GY2–GY4 and HL_GY (stored empty); only the PA = 1 respondent answers them.
#   GY1: 4, 2, 5 -> 2/3;  GY2: 4 -> 100;  GY3: 2 -> 0;  GY4: 5 -> 100
#   E(GY) = (200/3 + 100 + 0 + 100) / 4 = 200/3
#   S(GY) = HL_GY 5 -> 1/1 = 100   (33.33 if the two skipped respondents entered the denominator)
#   PA: "1" 1/3, "2" 2/3
SKIPPED_FOLLOW_UPS_CASE = [
    {"PA": "2", "GY1": 4, "HL": 4},
    {"PA": "2", "GY1": 2, "HL": 4},
    {"PA": "1", "GY1": 5, "GY2": 4, "GY3": 2, "GY4": 5, "HL_GY": 5, "HL": 4},
]


@pytest.fixture
def skipped_follow_ups_result(tree, make_index_campaign, add_index_responses) -> dict:
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06004"], *SKIPPED_FOLLOW_UPS_CASE)
    return agency_figures(compute_campaign_index(campaign=campaign), tree["06004"])


def test_skipped_follow_ups_leave_the_denominator_of_their_criteria(skipped_follow_ups_result):
    criteria = skipped_follow_ups_result["criteria"]
    assert criteria["GY1"] == approx(200 / 3)
    assert (criteria["GY2"], criteria["GY3"], criteria["GY4"]) == (approx(100.0), 0.0, approx(100.0))


def test_skipped_follow_ups_leave_the_denominator_of_the_factor(skipped_follow_ups_result):
    assert skipped_follow_ups_result["factors"]["GY"]["evaluation"] == approx(200 / 3)
    assert skipped_follow_ups_result["factors"]["GY"]["satisfaction"] == approx(100.0)
    assert skipped_follow_ups_result["sipas"] == approx(100.0)


def test_filter_answers_are_reported_as_shares(skipped_follow_ups_result):
    assert skipped_follow_ups_result["facts"]["PA"] == {"1": approx(100 / 3), "2": approx(200 / 3)}


# --- an agency with no responses ---------------------------------------------------------------------------------


def leaves(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    else:
        yield value


def test_agency_without_responses_has_every_figure_null_never_zero(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign(level_samples={"department": 0, "commune": 0})
    add_index_responses(campaign, tree["06001"], {"TC1": 5, "HL_TC": 5, "HL": 5, "NC": ["NC1"], "DL": "1"})

    result = compute_campaign_index(campaign=campaign).agency_results.get(agency=tree["06004"])

    figures = {key: result.figures[key] for key in ("sipas", "hl", "factors", "criteria", "expectations", "facts")}
    assert set(leaves(figures)) == {None}
    assert set(leaves(result.figures["intervals"])) == {None}
    assert len(figures["criteria"]) == 22
    assert (result.n, result.sipas) == (0, None)


def test_agency_without_responses_is_unranked_even_with_no_minimum_sample(
    tree, make_index_campaign, add_index_responses
):
    campaign = make_index_campaign(level_samples={"department": 0, "commune": 0})
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})

    run = compute_campaign_index(campaign=campaign)

    empty = run.agency_results.get(agency=tree["06004"])
    assert (empty.rank, empty.enough_sample) == (None, False)
    assert run.agency_results.get(agency=tree["06001"]).rank == 1


# --- excluded responses ------------------------------------------------------------------------------------------
# 06004: 2 counted (HL_TC 1 -> S(TC) = 0) and 3 excluded with every answer positive (would give 60 if counted);
# 06001: 1 excluded by a decision without a rule ("manual").


@pytest.fixture
def run_with_exclusions(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06004"], {"HL_TC": 1, "HL": 1}, {"HL_TC": 1, "HL": 1})
    add_index_responses(campaign, tree["06004"], *[{"HL_TC": 5, "HL": 5}] * 2, excluded=True, decision_rule="too_fast")
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5, "HL": 5}, excluded=True, decision_rule="straight_lined")
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, excluded=True)
    return compute_campaign_index(campaign=campaign)


def test_excluded_responses_do_not_count_in_the_figures(run_with_exclusions, tree):
    result = run_with_exclusions.agency_results.get(agency=tree["06004"])
    assert (result.n, result.sipas, result.figures["hl"]) == (2, 0.0, 0.0)


def test_excluded_responses_are_counted_per_agency(run_with_exclusions, tree):
    assert run_with_exclusions.agency_results.get(agency=tree["06004"]).excluded == 3
    only_excluded = run_with_exclusions.agency_results.get(agency=tree["06001"])
    assert (only_excluded.n, only_excluded.excluded, only_excluded.sipas) == (0, 1, None)


def test_run_counts_exclusions_by_rule(run_with_exclusions):
    assert run_with_exclusions.excluded_by_rule == {"too_fast": 2, "straight_lined": 1, "manual": 1}
    assert (run_with_exclusions.responses_counted, run_with_exclusions.responses_excluded) == (2, 4)


def test_groups_count_the_excluded_responses_of_their_agencies(run_with_exclusions):
    assert group_figures(run_with_exclusions, "commune")["excluded"] == 4
    assert group_figures(run_with_exclusions, "department")["excluded"] == 0
    assert group_figures(run_with_exclusions, "campaign")["n"] == 2


# --- rankings ----------------------------------------------------------------------------------------------------


def test_competition_ranks_share_a_rank_and_skip_the_next():
    assert competition_ranks([("a", 90.0), ("b", 80.0), ("c", 80.0), ("d", 70.0)]) == {"a": 1, "b": 2, "c": 2, "d": 4}


def test_values_equal_at_two_decimals_tie():
    ranks = competition_ranks([("x", 85.004), ("y", 84.996), ("z", 84.98)])
    assert ranks == {"x": 1, "y": 1, "z": 3}


def test_values_apart_at_two_decimals_do_not_tie():
    assert competition_ranks([("x", 85.01), ("y", 85.0)]) == {"x": 1, "y": 2}


@pytest.fixture
def four_communes(tree) -> dict:
    sync_agencies(
        [
            AgencyRow("06007", "Xã Hoàng Đồng", AgencyKind.COMMUNE, "xã", "20"),
            AgencyRow("06010", "Xã Mai Pha", AgencyKind.COMMUNE, "xã", "20"),
        ]
    )
    return {code: Agency.objects.get(code=code) for code in ("06001", "06004", "06007", "06010")}


def test_ties_share_a_rank_within_a_level(four_communes, make_index_campaign, add_index_responses):
    # SIPAS = S(TC): 06001 1/1 = 100; 06004 1/2 = 50; 06007 1/2 = 50; 06010 0/1 = 0 -> ranks 1, 2, 2, 4
    campaign = make_index_campaign()
    add_index_responses(campaign, four_communes["06001"], {"HL_TC": 5})
    add_index_responses(campaign, four_communes["06004"], {"HL_TC": 5}, {"HL_TC": 1})
    add_index_responses(campaign, four_communes["06007"], {"HL_TC": 4}, {"HL_TC": 2})
    add_index_responses(campaign, four_communes["06010"], {"HL_TC": 3})

    run = compute_campaign_index(campaign=campaign)

    ranks = dict(run.agency_results.filter(level="commune").values_list("agency__code", "rank"))
    assert ranks == {"06001": 1, "06004": 2, "06007": 2, "06010": 4}


def test_rankings_are_within_a_level(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["20.SNV"], {"HL_TC": 1})  # 0, but first of the departments with data
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5})
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5}, {"HL_TC": 1})

    run = compute_campaign_index(campaign=campaign)

    ranks = dict(run.agency_results.values_list("agency__code", "rank"))
    assert ranks == {"20.SNV": 1, "20.STP": None, "06001": 1, "06004": 2}


def test_agency_under_its_minimum_sample_is_listed_with_figures_but_unranked(
    tree, make_index_campaign, add_index_responses
):
    # minimum 2 per commune: 06004 (1 response, SIPAS 100) is below it; 06001 (2 responses, SIPAS 50) ranks first
    campaign = make_index_campaign(level_samples={"department": 2, "commune": 2})
    add_index_responses(campaign, tree["06004"], {"HL_TC": 5})
    add_index_responses(campaign, tree["06001"], {"HL_TC": 5}, {"HL_TC": 1})

    run = compute_campaign_index(campaign=campaign)

    below = run.agency_results.get(agency=tree["06004"])
    assert (below.rank, below.enough_sample, below.sipas) == (None, False, 100.0)
    at_minimum = run.agency_results.get(agency=tree["06001"])
    assert (at_minimum.rank, at_minimum.enough_sample) == (1, True)


# --- weights and pooling -----------------------------------------------------------------------------------------
# 06001: 1 response, every figure 100; 06004: 3 responses, every figure 0.
#   pooled (no weights): S(TC) = 1/4 = 25
#   weights 06001: 3, 06004: 1 -> (3 × 100 + 1 × 0) / 4 = 75
WEIGHT_CASE = {
    "06001": [{"TC1": 5, "HL_TC": 5, "HL": 5, "NC": ["NC1"], "DL": "1"}],
    "06004": [{"TC1": 1, "HL_TC": 1, "HL": 1, "NC": ["NC2"], "DL": "2"}] * 3,
}


@pytest.fixture
def weight_campaign(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    for code, answer_sets in WEIGHT_CASE.items():
        add_index_responses(campaign, tree[code], *answer_sets)
    return campaign


def test_group_figures_are_pooled_over_responses_without_weights(weight_campaign):
    communes = group_figures(compute_campaign_index(campaign=weight_campaign), "commune")
    assert (communes["sipas"], communes["hl"], communes["criteria"]["TC1"]) == (25.0, 25.0, 25.0)
    assert communes["n"] == 4


def test_weights_make_group_figures_the_weighted_mean_of_the_agencies(weight_campaign, tree):
    weight_campaign.participants.filter(agency=tree["06001"]).update(weight=3)
    weight_campaign.participants.filter(agency=tree["06004"]).update(weight=1)

    communes = group_figures(compute_campaign_index(campaign=weight_campaign), "commune")

    assert (communes["sipas"], communes["hl"]) == (75.0, 75.0)
    assert communes["factors"]["TC"] == {"evaluation": 75.0, "satisfaction": 75.0}
    assert communes["criteria"]["TC1"] == 75.0
    assert (communes["expectations"]["NC1"], communes["expectations"]["NC2"]) == (75.0, 25.0)
    assert (communes["facts"]["DL"]["1"], communes["facts"]["DL"]["2"]) == (75.0, 25.0)
    assert communes["criteria"]["TC2"] is None


def test_weighted_agencies_without_data_leave_the_mean(weight_campaign, tree):
    weight_campaign.participants.update(weight=1)  # the departments have a weight but no responses
    weight_campaign.participants.filter(agency=tree["06001"]).update(weight=3)

    campaign_group = group_figures(compute_campaign_index(campaign=weight_campaign), "campaign")

    assert campaign_group["sipas"] == 75.0


def test_weighted_group_intervals_do_not_contradict_the_weighted_figures(weight_campaign, tree):
    # weighted HL is 75; the Wilson interval of the pooled answers (1 of 4 positive) is [4.6, 69.9]: shown beside
    # the weighted figure it would claim 75 lies outside its own 95% interval
    weight_campaign.participants.filter(agency=tree["06001"]).update(weight=3)
    weight_campaign.participants.filter(agency=tree["06004"]).update(weight=1)

    communes = group_figures(compute_campaign_index(campaign=weight_campaign), "commune")

    intervals = communes["intervals"]
    assert intervals["hl"] is None or intervals["hl"][0] <= communes["hl"] <= intervals["hl"][1]
    tc = intervals["satisfaction"].get("TC")
    assert tc is None or tc[0] <= communes["factors"]["TC"]["satisfaction"] <= tc[1]
    tc1 = intervals["criteria"].get("TC1")
    assert tc1 is None or tc1[0] <= communes["criteria"]["TC1"] <= tc1[1]


def test_weights_do_not_change_the_agencies_own_figures(weight_campaign, tree):
    weight_campaign.participants.filter(agency=tree["06001"]).update(weight=3)
    weight_campaign.participants.filter(agency=tree["06004"]).update(weight=1)

    run = compute_campaign_index(campaign=weight_campaign)

    assert run.agency_results.get(agency=tree["06001"]).sipas == 100.0
    assert run.agency_results.get(agency=tree["06004"]).sipas == 0.0


# --- both scorings -----------------------------------------------------------------------------------------------
# 06001, three responses:
#   HL_TC 5, 3, 1:   share-positive 1/3 = 33.33;  mean-score mean 3 -> (3 − 1)/4 × 100 = 50
#   TC1   5, 5, 2:   share-positive 2/3 = 66.67;  mean-score mean 4 -> 75
#   HL    4, 4, —:   share-positive 2/2 = 100;    mean-score mean 4 -> 75
SCORING_CASE = [{"HL_TC": 5, "TC1": 5, "HL": 4}, {"HL_TC": 3, "TC1": 5, "HL": 4}, {"HL_TC": 1, "TC1": 2}]


@pytest.mark.parametrize(
    ("scoring", "sipas", "criterion", "hl"),
    [("share-positive", 100 / 3, 200 / 3, 100.0), ("mean-score", 50.0, 75.0, 75.0)],
)
def test_scoring_of_the_methodology_version_is_applied(
    tree, make_index_campaign, add_index_responses, scoring, sipas, criterion, hl
):
    campaign = make_index_campaign()
    Methodology.objects.filter(pk=campaign.methodology_id).update(scoring=scoring)
    campaign.refresh_from_db()
    add_index_responses(campaign, tree["06001"], *SCORING_CASE)

    run = compute_campaign_index(campaign=campaign)

    figures = agency_figures(run, tree["06001"])
    assert (figures["sipas"], figures["criteria"]["TC1"], figures["hl"]) == (approx(sipas), approx(criterion), hl)
    assert run.scoring == scoring


def test_mean_score_of_a_question_nobody_answered_is_null(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    Methodology.objects.filter(pk=campaign.methodology_id).update(scoring="mean-score")
    campaign.refresh_from_db()
    add_index_responses(campaign, tree["06001"], {"HL_TC": 1})

    figures = agency_figures(compute_campaign_index(campaign=campaign), tree["06001"])

    assert (figures["sipas"], figures["hl"], figures["criteria"]["TC1"]) == (0.0, None, None)


# --- Wilson intervals --------------------------------------------------------------------------------------------


def test_wilson_interval_of_8_out_of_10():
    low, high = wilson(8, 10)
    assert (round(low, 1), round(high, 1)) == (49.0, 94.3)


def test_wilson_interval_at_0_and_100_percent_stays_in_range_and_is_not_zero_width():
    none_low, none_high = wilson(0, 10)
    all_low, all_high = wilson(10, 10)
    assert 0.0 <= none_low < 1e-9 and none_high == pytest.approx(27.75, abs=0.01)
    assert all_low == pytest.approx(72.25, abs=0.01) and 100.0 - 1e-9 < all_high <= 100.0


def test_wilson_interval_without_answers_is_null():
    assert wilson(0, 0) is None


def test_criterion_interval_is_the_wilson_interval_of_its_answers(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], *[{"TC1": 5}] * 8, *[{"TC1": 2}] * 2)

    figures = agency_figures(compute_campaign_index(campaign=campaign), tree["06001"])

    low, high = figures["intervals"]["criteria"]["TC1"]
    assert (round(low, 1), round(high, 1)) == (49.0, 94.3)
    assert figures["intervals"]["criteria"]["TC2"] is None


# --- the SIPAS interval (delta method, figures.sipas_interval) ----------------------------------------------------
# (HL_TC, HL_CC) pairs: (5,5), (5,5), (1,1), (5,1), each 4 times -> n = 16 per factor
#   p_TC = 12/16 = .75, p_CC = 8/16 = .5, SIPAS = (75 + 50) / 2 = 62.5
#   Agresti–Coull: ñ = 16 + z² = 19.84; p̃_TC = (12 + z²/2)/ñ = .7016, Var_TC = p̃(1 − p̃)/ñ = .010552;
#   p̃_CC = (8 + z²/2)/ñ = .5, Var_CC = .25/ñ = .012600
#   both positive in 8 of 16: π = .5; ρ = (π − p_TC p_CC)/√(p_TC(1 − p_TC) p_CC(1 − p_CC)) = .125/.2165 = .5774
#   Cov = ρ √(Var_TC Var_CC) × n_fg/√(n_TC n_CC) = .006657
#   Var(SIPAS) = (1/2²)(Var_TC + Var_CC + 2 Cov) = .036466 / 4; half-width = 100 × 1.96 × √.036466 / 2 = 18.71
SIPAS_PAIRS = [(5, 5), (5, 5), (1, 1), (5, 1)]


def sipas_case(times: int) -> list[dict]:
    return [{"HL_TC": tc, "HL_CC": cc} for tc, cc in SIPAS_PAIRS] * times


def agresti_coull_variance(positive: int, answered: int) -> float:
    n = answered + Z95**2
    p = (positive + Z95**2 / 2) / n
    return p * (1 - p) / n


def test_sipas_interval_follows_the_documented_delta_method(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], *sipas_case(4))

    figures = agency_figures(compute_campaign_index(campaign=campaign), tree["06001"])

    var_tc, var_cc = agresti_coull_variance(12, 16), agresti_coull_variance(8, 16)
    rho = (0.5 - 0.75 * 0.5) / math.sqrt(0.75 * 0.25 * 0.5 * 0.5)
    half = 100 * Z95 * math.sqrt(var_tc + var_cc + 2 * rho * math.sqrt(var_tc * var_cc)) / 2
    assert half == pytest.approx(18.71, abs=0.01)
    assert figures["sipas"] == 62.5
    assert figures["intervals"]["sipas"] == [approx(62.5 - half), approx(62.5 + half)]


def test_sipas_interval_of_factors_at_100_percent_still_has_width(tree, make_index_campaign, add_index_responses):
    # 10 of 10 positive on both factors: Agresti–Coull keeps a variance (a Wald interval would be [100, 100])
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], *[{"HL_TC": 5, "HL_CC": 4}] * 10)

    figures = agency_figures(compute_campaign_index(campaign=campaign), tree["06001"])

    low, high = figures["intervals"]["sipas"]
    assert (figures["sipas"], high) == (100.0, 100.0)
    assert low < 90.0


def test_negatively_related_factors_do_not_narrow_the_sipas_interval_below_independence(
    tree, make_index_campaign, add_index_responses
):
    # HL_TC positive exactly when HL_CC is not: the estimated ρ = −1 is kept at 0, so the variance is
    # (Var_TC + Var_CC) / 4 with 5 of 10 positive on each factor
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], *[{"HL_TC": 5, "HL_CC": 1}] * 5, *[{"HL_TC": 1, "HL_CC": 5}] * 5)

    figures = agency_figures(compute_campaign_index(campaign=campaign), tree["06001"])

    half = 100 * Z95 * math.sqrt(2 * agresti_coull_variance(5, 10)) / 2
    assert figures["intervals"]["sipas"] == [approx(50 - half), approx(50 + half)]


def test_sipas_interval_contains_sipas_and_narrows_with_more_responses(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    add_index_responses(campaign, tree["06001"], *sipas_case(2))
    add_index_responses(campaign, tree["06004"], *sipas_case(10))

    run = compute_campaign_index(campaign=campaign)

    few, many = agency_figures(run, tree["06001"]), agency_figures(run, tree["06004"])
    for figures in (few, many):
        low, high = figures["intervals"]["sipas"]
        assert low < figures["sipas"] < high
    assert few["sipas"] == many["sipas"]
    width = lambda f: f["intervals"]["sipas"][1] - f["intervals"]["sipas"][0]  # noqa: E731
    assert width(many) < width(few)


def test_sipas_interval_has_width_when_factors_are_answered_by_different_respondents(
    tree, make_index_campaign, add_index_responses
):
    # 5 respondents, each skipping a factor: S(TC) 4/5 = 80, S(CC) 3/4 = 75, S(GY) 2/3 = 66.67, SIPAS 73.89.
    # Without covariances the standard error would be sqrt(.8×.2/5 + .75×.25/4 + (2/3)(1/3)/3) / 3 = .13, i.e.
    # about ±25 points; covariances estimated on the few respondents who answered both factors of a pair must
    # not turn that into certainty.
    campaign = make_index_campaign()
    add_index_responses(
        campaign,
        tree["06001"],
        {"HL_TC": 5, "HL_GY": 5, "PA": "1"},
        {"HL_TC": 5, "HL_CC": 1, "HL_GY": 5, "PA": "1"},
        {"HL_TC": 5, "HL_CC": 5, "HL_GY": 1, "PA": "1"},
        {"HL_TC": 1, "HL_CC": 5, "PA": "2"},
        {"HL_TC": 5, "HL_CC": 5, "PA": "2"},
    )

    figures = agency_figures(compute_campaign_index(campaign=campaign), tree["06001"])

    low, high = figures["intervals"]["sipas"]
    assert figures["sipas"] == approx((80 + 75 + 200 / 3) / 3)
    assert low < figures["sipas"] < high, "5 respondents cannot pin SIPAS to a point"


def test_sipas_interval_under_mean_score_contains_sipas(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    Methodology.objects.filter(pk=campaign.methodology_id).update(scoring="mean-score")
    campaign.refresh_from_db()
    add_index_responses(campaign, tree["06001"], *sipas_case(3))

    figures = agency_figures(compute_campaign_index(campaign=campaign), tree["06001"])

    low, high = figures["intervals"]["sipas"]
    assert low < figures["sipas"] < high


# --- drivers of overall satisfaction -----------------------------------------------------------------------------
# (HL_CC, HL_TC, HL): HL_CC equals HL -> r = 1; HL_TC = 6 − HL -> r = −1; HL_KQ constant -> no variation, null


def test_drivers_correlate_each_factor_satisfaction_with_overall_satisfaction(
    tree, make_index_campaign, add_index_responses
):
    campaign = make_index_campaign()
    add_index_responses(
        campaign,
        tree["06001"],
        *({"HL_CC": hl, "HL_TC": 6 - hl, "HL_KQ": 4, "HL": hl} for hl in (1, 2, 3, 5, 4, 4)),
    )

    drivers = group_figures(compute_campaign_index(campaign=campaign), "commune")["drivers"]

    assert drivers["CC"] == {"r": approx(1.0), "pairs": 6}
    assert drivers["TC"]["r"] == approx(-1.0)
    assert drivers["KQ"] == {"r": None, "pairs": 6}
    assert drivers["TT"] == {"r": None, "pairs": 0}


def test_factor_equal_to_overall_satisfaction_always_gets_r_1(tree, make_index_campaign, add_index_responses):
    campaign = make_index_campaign()
    values = [3, 5, 5, 1, 4, 2, 5, 4, 3, 1, 2, 5]
    add_index_responses(campaign, tree["06004"], *({"HL_GY": v, "PA": "1", "HL": v} for v in values))
    add_index_responses(campaign, tree["06004"], {"HL": 5}, {"HL_GY": 2, "PA": "1"})  # no pair: left out

    drivers = group_figures(compute_campaign_index(campaign=campaign), "campaign")["drivers"]

    assert drivers["GY"] == {"r": approx(1.0), "pairs": 12}


# --- difference_is_real ------------------------------------------------------------------------------------------


def test_difference_beyond_both_intervals_is_real():
    assert difference_is_real(90.0, [85.0, 95.0], 60.0, [55.0, 65.0]) is True


def test_difference_within_the_uncertainty_is_not_real():
    assert difference_is_real(80.0, [70.0, 90.0], 78.0, [68.0, 88.0]) is False


def test_difference_is_judged_on_the_combined_standard_error():
    # half-widths 5 and 5 -> se 5/1.96 each -> threshold 1.96 × sqrt(2) × 5/1.96 = 7.07
    assert difference_is_real(50.0, [45.0, 55.0], 57.5, [52.5, 62.5]) is True
    assert difference_is_real(50.0, [45.0, 55.0], 56.5, [51.5, 61.5]) is False


def test_difference_without_data_is_unknown():
    assert difference_is_real(None, None, 60.0, [55.0, 65.0]) is None
    assert difference_is_real(90.0, [85.0, 95.0], 60.0, None) is None
