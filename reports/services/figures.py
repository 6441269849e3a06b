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

from django.utils.translation import gettext as _

from reports.services.aggregate import Plan

Z95 = 1.959963984540054
SHARE_POSITIVE = "share-positive"
MEAN_SCORE = "mean-score"
FACTOR_SATISFACTION = "factor-satisfaction"  # the index rules of a version (surveys.models.IndexRule)
PARTS = "parts"  # the index rule of a version in parts (surveys.models.IndexRule)


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


def figures(counts: Mapping[str, int], plan: Plan, scoring: str | None = None) -> dict:
    """Every figure of one agency or group from its counts, in the shape of the export contract plus intervals
    (sipas-methodology.md, "Formulas"), scored as the plan's version says (or by `scoring`):
    E(c) = score of criterion c; E(f) = mean of E(c) over f's criteria with answers; S(f) = score of HL_f;
    HL = score of HL; X(k) = 100 × chose(k) / answered(NC); a fact's share likewise per option.
    SIPAS, by the version's index rule: the mean of S(f) over the factors with answers ("factor-satisfaction",
    SIPAS-2017); or, for a version in parts ("parts", SIPAS-2023), each part's index P(p) = mean of E(c) over the
    criteria of its factors with answers, and SIPAS = Σ w(p)·P(p) / Σ w(p) over the parts with data, w being the
    version's weights (combine_parts). A zero denominator gives None, never 0."""
    scoring = scoring or plan.scoring
    criteria = {code: score(counts, code, scoring) for f in plan.factors.values() for code in f["criteria"]}
    factors = {
        code: {
            # None for a factor whose criteria differ between the versions pooled (comparable_plan)
            "evaluation": None if factor.get("partial") else mean(criteria[c] for c in factor["criteria"]),
            "satisfaction": score(counts, factor["satisfaction"], scoring) if factor["satisfaction"] else None,
        }
        for code, factor in plan.factors.items()
    }
    parts = {
        code: mean(criteria[c] for f in part["factors"] for c in plan.factors[f]["criteria"])
        for code, part in plan.parts.items()
    }
    if plan.index_rule == PARTS:
        sipas = combine_parts(parts, {code: part["weight"] for code, part in plan.parts.items()})
    elif plan.index_rule == FACTOR_SATISFACTION:
        sipas = mean(f["satisfaction"] for f in factors.values())
    else:  # figures pooled over versions whose index is defined differently (comparable_plan)
        sipas = None
    expectations = {}
    for code in plan.expectations:
        expectations.update({option: chosen_share(counts, code, option) for option in plan.multi[code]})
    options = {**plan.choices, **plan.multi}
    return {
        "version": plan.version,
        "n": counts.get("n", 0),
        "sipas": sipas,
        "hl": score(counts, plan.overall, scoring) if plan.overall else None,
        "parts": parts,
        "factors": factors,
        "criteria": criteria,
        "expectations": expectations,
        "facts": {code: {o: chosen_share(counts, code, o) for o in options[code]} for code in plan.facts},
        "ratings": {code: {o: chosen_share(counts, code, o) for o in options[code]} for code in plan.ratings},
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


def combine_parts(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """The index of a version in parts: the weighted mean Σ w(p)·P(p) / Σ w(p) over the parts with data. With each
    part weighted by its number of items (SIPAS-2023's shipped setting) this is the mean of all item indices."""
    present = [(weights[code], value) for code, value in parts.items() if value is not None and weights.get(code)]
    total = sum(w for w, _v in present)
    return sum(w * v for w, v in present) / total if total else None


def grade(sipas: float | None, bands: list[dict]) -> dict | None:
    """The first band (best first) whose lower bound `sipas` reaches, e.g. {"min": 80, "label": "Tốt", ...}; None
    without an index or below every band. Bands and targets of each level are in the run's summary ("levels")."""
    if sipas is None:
        return None
    return next((band for band in bands if sipas >= band["min"]), None)


def meets(sipas: float | None, target: float | None) -> bool | None:
    """Whether an index reaches a target; None when either is missing."""
    return None if sipas is None or target is None else sipas >= target


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
    if plan.index_rule == PARTS:
        return _parts_interval(counts, plan, scoring, sipas)
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


def _parts_interval(counts: Mapping[str, int], plan: Plan, scoring: str, sipas: float) -> list[float] | None:
    """95% interval of a version in parts, SIPAS = Σ c(i)·E(i), a fixed linear combination of item indices (c(i) =
    w(p) / (Σ w · items of p with answers)). Its items' correlations are not estimated: perfect correlation is
    assumed, which bounds the half-width by Σ c(i)·h(i), h(i) being each item's half-width (the wider, safer case)."""
    weights = {code: part["weight"] for code, part in plan.parts.items()}
    answered = {
        code: [c for f in part["factors"] for c in plan.factors[f]["criteria"] if counts.get(f"a:{c}", 0)]
        for code, part in plan.parts.items()
    }
    total = sum(weights[code] for code, items in answered.items() if items)
    half = 0.0
    for code, items in answered.items():
        for item in items:
            interval = score_interval(counts, item, scoring)
            if interval is None:
                return None
            half += weights[code] / (total * len(items)) * (interval[1] - interval[0]) / 2
    return [max(0.0, sipas - half), min(100.0, sipas + half)]


def comparable_plan(plans: Iterable[Plan]) -> tuple[Plan, dict]:
    """For figures pooled over agencies that answered different versions: the plan of what every version defines the
    same way, and what was left out (sipas-methodology.md: pooled figures combine only what is comparable).

    Scores are comparable only where every version scores alike (scoring, lowest positive answer). A question is
    comparable when it has the same code, kind and answers in every version. A factor present in every version keeps
    the criteria they all give it and its satisfaction question if they share it; its evaluation E(f) only when its
    criteria are the same everywhere. The index is pooled only when its rule and ingredients are the same: the same
    satisfaction questions (factor-satisfaction), or the same parts, weights and factors (parts)."""
    plans = list({plan.version: plan for plan in plans}.values())
    first = plans[0]
    same_scoring = all((p.scoring, p.positive_min) == (first.scoring, first.positive_min) for p in plans)
    scaled = tuple(c for c in first.scaled if same_scoring and all(c in p.scaled for p in plans))
    choices = {c: o for c, o in first.choices.items() if all(p.choices.get(c) == o for p in plans)}
    multi = {c: o for c, o in first.multi.items() if all(p.multi.get(c) == o for p in plans)}
    factors = {}
    for code, factor in first.factors.items():
        if not same_scoring or not all(code in p.factors for p in plans):
            continue
        others = [p.factors[code] for p in plans]
        criteria = [c for c in factor["criteria"] if all(c in f["criteria"] for f in others)]
        satisfaction = (
            factor["satisfaction"] if all(f["satisfaction"] == factor["satisfaction"] for f in others) else None
        )
        factors[code] = {
            "criteria": criteria,
            "satisfaction": satisfaction,
            "partial": any(f["criteria"] != factor["criteria"] for f in others),
        }
    if first.index_rule == PARTS:
        in_parts = {f for part in first.parts.values() for f in part["factors"]}
        ingredients = all(p.parts == first.parts for p in plans) and all(
            f in factors and not factors[f]["partial"] for f in in_parts
        )
    else:
        ingredients = all(p.satisfaction_codes == first.satisfaction_codes for p in plans)
    same_index = same_scoring and ingredients and all(p.index_rule == first.index_rule for p in plans)
    overall = first.overall if same_scoring and all(p.overall == first.overall for p in plans) else None
    common = Plan(
        positive_min=first.positive_min,
        scaled=scaled,
        choices=choices,
        multi=multi,
        factors=factors,
        overall=overall,
        version="+".join(p.version for p in plans),
        scoring=first.scoring,
        index_rule=first.index_rule if same_index else "",
        parts=first.parts if same_index else {},
        facts=tuple(c for c in first.facts if all(c in p.facts for p in plans) and (c in choices or c in multi)),
        expectations=tuple(c for c in first.expectations if all(c in p.expectations for p in plans) and c in multi),
        ratings=tuple(c for c in first.ratings if all(c in p.ratings for p in plans) and c in choices),
    )
    every: set[str] = set()
    for p in plans:
        every |= {*p.scaled, *p.choices, *p.multi}
    kept = {*common.scaled, *common.choices, *common.multi}
    comparable = {
        "versions": sorted(p.version for p in plans),
        "index": same_index,
        "left_out": sorted(every - kept),
        "factors_partial": sorted(code for code, f in factors.items() if f["partial"]),
    }
    return common, comparable


def pooled_note(comparable: dict | None) -> str:
    """The sentence a page or a document shows beside figures pooled over different versions ("" when there is
    nothing to say)."""
    if not comparable or len(comparable.get("versions", [])) < 2:
        return ""
    note = _(
        "These figures pool agencies that answered different questionnaires (%(versions)s): only what every "
        "questionnaire asks and scores the same way is combined."
    ) % {"versions": ", ".join(comparable["versions"])}
    if not comparable.get("index"):
        note += " " + _("The index itself is defined differently and is not pooled: see each level.")
    return note


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
