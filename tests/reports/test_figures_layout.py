"""figures() reads its counts through names built once per plan (figures._layout) and writes the formulas out
for speed. It must return exactly what the formulas written plainly return: the same floats to the last bit,
the same keys in the same order, None in the same places. The reference below is figures.py as it was before
(one f-string and one function call per count), on random but consistent counts (hypothesis)."""

from __future__ import annotations

import math
from itertools import combinations

from hypothesis import given, settings
from hypothesis import strategies as st

from reports.services.aggregate import Plan
from reports.services.figures import MEAN_SCORE, Z95, figures, score_interval, sipas_interval, wilson

FACTORS = {
    "TC": {"criteria": ["TC1", "TC2", "TC3"], "satisfaction": "HL_TC"},
    "TT": {"criteria": ["TT1", "TT2"], "satisfaction": "HL_TT"},
    "CC": {"criteria": ["CC1"], "satisfaction": None},  # no satisfaction question
    "KQ": {"criteria": [], "satisfaction": "HL_KQ"},  # no criterion
    "GY": {"criteria": ["GY1", "GY2"], "satisfaction": "HL_GY"},
}
PLAN = Plan(
    positive_min=4,
    scaled=(*(c for f in FACTORS.values() for c in f["criteria"]), "HL_TC", "HL_TT", "HL_KQ", "HL_GY", "HL"),
    choices={"DL": ("1", "2", "3", "4"), "PA": ("1", "2")},
    multi={"NC": ("NC1", "NC2", "NC3"), "KN": ("KN1", "NC2")},  # NC2 in both: the last share, the first place
    factors=FACTORS,
    overall="HL",
)
PLAN_WITHOUT_OVERALL = Plan(
    positive_min=4, scaled=PLAN.scaled, choices={}, multi={}, factors=FACTORS, overall=None
)  # fmt: skip
SATISFACTION = [f["satisfaction"] for f in FACTORS.values() if f["satisfaction"]]


# --- the reference: the formulas written plainly ----------------------------------------------------------------


def reference_score(counts, code, scoring):
    answered = counts.get(f"a:{code}", 0)
    if not answered:
        return None
    if scoring == MEAN_SCORE:
        return (counts[f"s:{code}"] / answered - 1) / 4 * 100
    return 100.0 * counts[f"p:{code}"] / answered


def reference_interval(counts, code, scoring):
    answered = counts.get(f"a:{code}", 0)
    if not answered:
        return None
    if scoring != MEAN_SCORE:
        return wilson(counts[f"p:{code}"], answered)
    if answered < 2:
        return None
    m = counts[f"s:{code}"] / answered
    variance = max(0.0, (counts[f"q:{code}"] - answered * m * m) / (answered - 1))
    half = Z95 * math.sqrt(variance / answered) / 4 * 100
    value = (m - 1) / 4 * 100
    return [max(0.0, value - half), min(100.0, value + half)]


def reference_mean(values):
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def reference_share(part, whole):
    return 100.0 * part / whole if whole else None


def reference_sipas_interval(counts, plan, scoring, sipas):
    if sipas is None:
        return None
    codes = [f["satisfaction"] for f in plan.factors.values() if f["satisfaction"] and counts.get(f"a:{f['satisfaction']}", 0)]  # fmt: skip
    k = len(codes)
    if scoring == MEAN_SCORE:
        halves = []
        for code in codes:
            interval = reference_interval(counts, code, scoring)
            if interval is None:
                return None
            halves.append((interval[1] - interval[0]) / 2)
        half = sum(halves) / k
        return [max(0.0, sipas - half), min(100.0, sipas + half)]
    n = {c: counts[f"a:{c}"] for c in codes}
    p = {c: counts[f"p:{c}"] / n[c] for c in codes}
    adjusted = {c: (counts[f"p:{c}"] + Z95**2 / 2) / (n[c] + Z95**2) for c in codes}
    var = {c: adjusted[c] * (1 - adjusted[c]) / (n[c] + Z95**2) for c in codes}
    variance = sum(var.values())
    for f, g in combinations(codes, 2):
        both = counts.get(f"nn:{f}:{g}", counts.get(f"nn:{g}:{f}", 0))
        if not both:
            continue
        spread = p[f] * (1 - p[f]) * p[g] * (1 - p[g])
        if spread <= 0:
            rho = 1.0
        else:
            joint = counts.get(f"pp:{f}:{g}", counts.get(f"pp:{g}:{f}", 0)) / both
            rho = min(1.0, max(0.0, (joint - p[f] * p[g]) / math.sqrt(spread)))
        variance += 2 * rho * math.sqrt(var[f] * var[g]) * both / math.sqrt(n[f] * n[g])
    half = 100.0 * Z95 * math.sqrt(variance) / k
    return [max(0.0, sipas - half), min(100.0, sipas + half)]


def reference_figures(counts, plan, scoring):
    criteria = {code: reference_score(counts, code, scoring) for f in plan.factors.values() for code in f["criteria"]}
    factors = {}
    for code, factor in plan.factors.items():
        factors[code] = {
            "evaluation": reference_mean(criteria[c] for c in factor["criteria"]),
            "satisfaction": reference_score(counts, factor["satisfaction"], scoring) if factor["satisfaction"] else None,
        }  # fmt: skip
    sipas = reference_mean(f["satisfaction"] for f in factors.values())
    expectations = {}
    for code, options in plan.multi.items():
        expectations.update(
            {o: reference_share(counts.get(f"k:{code}:{o}", 0), counts.get(f"a:{code}", 0)) for o in options}
        )
    facts = {
        code: {o: reference_share(counts.get(f"k:{code}:{o}", 0), counts.get(f"a:{code}", 0)) for o in options}
        for code, options in plan.choices.items()
    }
    return {
        "n": counts.get("n", 0),
        "sipas": sipas,
        "hl": reference_score(counts, plan.overall, scoring) if plan.overall else None,
        "factors": factors,
        "criteria": criteria,
        "expectations": expectations,
        "facts": facts,
        "intervals": {
            "sipas": reference_sipas_interval(counts, plan, scoring, sipas),
            "hl": reference_interval(counts, plan.overall, scoring) if plan.overall else None,
            "satisfaction": {
                c: reference_interval(counts, f["satisfaction"], scoring)
                for c, f in plan.factors.items()
                if f["satisfaction"]
            },
            "criteria": {code: reference_interval(counts, code, scoring) for code in criteria},
        },
    }


# --- random consistent counts ------------------------------------------------------------------------------------


@st.composite
def agency_counts(draw) -> dict[str, int]:
    """The counts of one agency as aggregate.py names them, consistent with some set of answers."""
    n = draw(st.integers(0, 60))
    counts = {"n": n}
    positives = {}
    for code in PLAN.scaled:
        histogram = draw(st.lists(st.integers(0, 12), min_size=5, max_size=5))  # answers 1..5
        answered = min(n, sum(histogram))
        if sum(histogram) > n:
            histogram = [0, 0, 0, 0, answered] if draw(st.booleans()) else [answered, 0, 0, 0, 0]
        counts[f"a:{code}"] = answered
        counts[f"p:{code}"] = positives[code] = histogram[3] + histogram[4]
        counts[f"s:{code}"] = sum(v * c for v, c in zip(range(1, 6), histogram, strict=True))
        counts[f"q:{code}"] = sum(v * v * c for v, c in zip(range(1, 6), histogram, strict=True))
    for code, options in [*PLAN.choices.items(), *PLAN.multi.items()]:
        answered = draw(st.integers(0, n))
        counts[f"a:{code}"] = answered
        for option in options:
            counts[f"k:{code}:{option}"] = draw(st.integers(0, answered))
    for f, g in combinations(SATISFACTION, 2):
        both = draw(st.integers(0, min(counts[f"a:{f}"], counts[f"a:{g}"])))
        counts[f"nn:{f}:{g}"] = both
        counts[f"pp:{f}:{g}"] = draw(st.integers(0, min(both, positives[f], positives[g])))
    return counts


@settings(max_examples=400, deadline=None)
@given(counts=agency_counts(), scoring=st.sampled_from(["share-positive", MEAN_SCORE]))
def test_figures_equal_the_formulas_written_plainly(counts, scoring):
    for plan in (PLAN, PLAN_WITHOUT_OVERALL):
        # repr: every float to its last bit, every key in its order, None where None
        assert repr(figures(counts, plan, scoring)) == repr(reference_figures(counts, plan, scoring))


@settings(max_examples=200, deadline=None)
@given(counts=agency_counts(), scoring=st.sampled_from(["share-positive", MEAN_SCORE]))
def test_sipas_interval_and_score_interval_equal_the_formulas_written_plainly(counts, scoring):
    sipas = figures(counts, PLAN, scoring)["sipas"]

    assert repr(sipas_interval(counts, PLAN, scoring, sipas)) == repr(
        reference_sipas_interval(counts, PLAN, scoring, sipas)
    )
    for code in PLAN.scaled:
        assert repr(score_interval(counts, code, scoring)) == repr(reference_interval(counts, code, scoring))


def test_an_agency_without_responses_has_every_figure_none():
    values = figures({"n": 0}, PLAN, "share-positive")

    assert repr(values) == repr(reference_figures({"n": 0}, PLAN, "share-positive"))
    assert values["sipas"] is None and values["intervals"]["sipas"] is None
    assert set(values["criteria"].values()) == {None}
