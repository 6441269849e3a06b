"""The methodology's formulas (sipas-methodology.md, "Formulas"), applied to counts from aggregate.py.

Every figure is a percentage 0–100 at full precision, or None ("no data") when its denominator is zero —
never 0. Intervals are 95%: Wilson's for proportions; for SIPAS, the delta method over its factor
satisfaction indices, with their correlations estimated from respondents who answered both questions
(see sipas_interval).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from itertools import combinations

from reports.services.aggregate import Plan

Z95 = 1.959963984540054
SHARE_POSITIVE = "share-positive"
MEAN_SCORE = "mean-score"


def add_counts(many: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Pool several agencies' counts (a level, the whole campaign, a unit and its predecessors)."""
    total: dict[str, int] = {}
    for counts in many:
        for key, value in counts.items():
            total[key] = total.get(key, 0) + value
    return total


def mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def wilson(part: int, whole: int) -> list[float] | None:
    """Wilson score interval of part/whole, in percent."""
    if not whole:
        return None
    p = part / whole
    denominator = 1 + Z95**2 / whole
    centre = (p + Z95**2 / (2 * whole)) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / whole + Z95**2 / (4 * whole**2)) / denominator
    return [100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)]


def score(counts: Mapping[str, int], code: str, scoring: str) -> float | None:
    """A question's index: 100 × positive / answered ("share-positive"), or (mean − 1) / 4 × 100
    ("mean-score"); None when nobody answered."""
    answered = counts.get(f"a:{code}", 0)
    if not answered:
        return None
    if scoring == MEAN_SCORE:
        return (counts[f"s:{code}"] / answered - 1) / 4 * 100
    return 100.0 * counts[f"p:{code}"] / answered


def score_interval(counts: Mapping[str, int], code: str, scoring: str) -> list[float] | None:
    """The 95% interval of a question's index: Wilson's for a share, from the answers' variance for a mean."""
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


def figures(counts: Mapping[str, int], plan: Plan, scoring: str) -> dict:
    """Every figure of one agency or group from its counts, in the shape of the export contract plus intervals
    (sipas-methodology.md, "Formulas"):
    E(c) = score of criterion c; E(f) = mean of E(c) over f's criteria with answers; S(f) = score of HL_f;
    SIPAS = mean of S(f) over the factors with answers; HL = score of HL; X(k) = 100 × chose(k) / answered(NC);
    a fact's share likewise per option. A zero denominator gives None, never 0."""
    criteria = {code: score(counts, code, scoring) for f in plan.factors.values() for code in f["criteria"]}
    factors = {
        code: {
            "evaluation": mean(criteria[c] for c in factor["criteria"]),
            "satisfaction": score(counts, factor["satisfaction"], scoring) if factor["satisfaction"] else None,
        }
        for code, factor in plan.factors.items()
    }
    sipas = mean(f["satisfaction"] for f in factors.values())
    expectations = {}
    for code, options in plan.multi.items():
        expectations.update({option: chosen_share(counts, code, option) for option in options})
    facts = {
        code: {option: chosen_share(counts, code, option) for option in options}
        for code, options in plan.choices.items()
    }
    return {
        "n": counts.get("n", 0),
        "sipas": sipas,
        "hl": score(counts, plan.overall, scoring) if plan.overall else None,
        "factors": factors,
        "criteria": criteria,
        "expectations": expectations,
        "facts": facts,
        "intervals": {
            "sipas": sipas_interval(counts, plan, scoring, sipas),
            "hl": score_interval(counts, plan.overall, scoring) if plan.overall else None,
            "satisfaction": {
                c: score_interval(counts, f["satisfaction"], scoring)
                for c, f in plan.factors.items()
                if f["satisfaction"]
            },
            "criteria": {code: score_interval(counts, code, scoring) for code in criteria},
        },
    }


def chosen_share(counts: Mapping[str, int], code: str, option: str) -> float | None:
    """The share of the respondents who answered question `code` that chose `option`."""
    return share(counts.get(f"k:{code}:{option}", 0), counts.get(f"a:{code}", 0))


def sipas_interval(counts: Mapping[str, int], plan: Plan, scoring: str, sipas: float | None) -> list[float] | None:
    """95% interval of SIPAS = mean of k factor indices, by the delta method:
    Var = (1/k²)(Σ Var_f + 2 Σ Cov_fg).

    Share-positive: Var_f uses the Agresti–Coull estimate p̃ = (x + z²/2)/(n + z²) over n + z², so a factor
    at 0% or 100% still carries uncertainty. Cov_fg = ρ_fg · √(Var_f Var_g) · n_fg/√(n_f n_g), where n_fg
    respondents answered both and ρ_fg, the correlation of their "positive" answers, is estimated from
    those co-answers (π_fg − p_f p_g)/√(p_f(1−p_f) p_g(1−p_g)) and kept within [0, 1]: answers of one
    respondent are not negatively related, and a noisy estimate from few co-answers must not shrink the
    interval below the independent case nor stretch it beyond perfect correlation. Where a factor is at 0% or
    100%, no correlation can be estimated and perfect correlation is assumed (the wider, safer interval).
    Mean-score: the covariances are bounded by perfect correlation (conservative)."""
    if sipas is None:
        return None
    codes = [
        f["satisfaction"]
        for f in plan.factors.values()
        if f["satisfaction"] and counts.get(f"a:{f['satisfaction']}", 0)
    ]
    k = len(codes)
    if scoring == MEAN_SCORE:
        halves = []
        for code in codes:
            interval = score_interval(counts, code, scoring)
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
        if spread <= 0:  # a factor at 0% or 100% shows no variation to correlate: assume the worst case
            rho = 1.0
        else:
            joint = counts.get(f"pp:{f}:{g}", counts.get(f"pp:{g}:{f}", 0)) / both
            rho = min(1.0, max(0.0, (joint - p[f] * p[g]) / math.sqrt(spread)))
        variance += 2 * rho * math.sqrt(var[f] * var[g]) * both / math.sqrt(n[f] * n[g])
    half = 100.0 * Z95 * math.sqrt(variance) / k
    return [max(0.0, sipas - half), min(100.0, sipas + half)]


def drivers(counts: Mapping[str, int], plan: Plan) -> dict[str, dict]:
    """Per factor, the Pearson correlation between its satisfaction answer and overall satisfaction (HL)
    over respondents who answered both: the factor whose satisfaction moves overall satisfaction most has
    the highest r. None where it cannot be computed (fewer than 3 pairs or no variation)."""
    result = {}
    for code, factor in plan.factors.items():
        x = factor["satisfaction"]
        n = counts.get(f"dn:{x}", 0)
        r = None
        if n >= 3:
            sx, sy, sxy = counts[f"dx:{x}"], counts[f"dy:{x}"], counts[f"dxy:{x}"]
            sxx, syy = counts[f"dxx:{x}"], counts[f"dyy:{x}"]
            spread = (n * sxx - sx * sx) * (n * syy - sy * sy)
            if spread > 0:
                r = (n * sxy - sx * sy) / math.sqrt(spread)
        result[code] = {"r": r, "pairs": n}
    return result


def difference_is_real(a: float | None, a_interval, b: float | None, b_interval) -> bool | None:
    """Whether two independent estimates differ beyond chance: the 95% interval of a − b, from the
    standard errors implied by each interval's half-width, excludes 0. None without the data."""
    if a is None or b is None or not a_interval or not b_interval:
        return None
    se_a = (a_interval[1] - a_interval[0]) / 2 / Z95
    se_b = (b_interval[1] - b_interval[0]) / 2 / Z95
    return abs(a - b) > Z95 * math.sqrt(se_a**2 + se_b**2)
