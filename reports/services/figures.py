"""The methodology's formulas (sipas-methodology.md, "Formulas"), applied to counts from aggregate.py.

Every figure is a percentage 0–100 at full precision, or None ("no data") when its denominator is zero —
never 0. Intervals are 95%: Wilson's for proportions; for SIPAS, the delta method over its factor
satisfaction indices, with their correlations estimated from respondents who answered both questions
(see sipas_interval).
"""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import combinations

from reports.services.aggregate import Plan

Z95 = 1.959963984540054
Z95_SQUARED = Z95 * Z95
SHARE_POSITIVE = "share-positive"
MEAN_SCORE = "mean-score"


def add_counts(many: Iterable[Mapping[str, int]]) -> dict[str, int]:
    """Pool several agencies' counts (a level, the whole campaign, a unit and its predecessors)."""
    many = list(many)
    keys = list(many[0]) if many else []
    if all(list(counts) == keys for counts in many):  # the usual case: the same counts in the same order
        return dict(zip(keys, map(sum, zip(*(counts.values() for counts in many), strict=True)), strict=True))
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
    z2_n = Z95_SQUARED / whole
    denominator = 1 + z2_n
    centre = (p + z2_n / 2) / denominator
    half = Z95 * math.sqrt(p * (1 - p) / whole + z2_n / (4 * whole)) / denominator
    return [100.0 * max(0.0, centre - half), 100.0 * min(1.0, centre + half)]


@functools.cache
def _keys(code: str) -> tuple[str, str, str, str]:
    """The names of a question's counts: answered, positive, sum, sum of squares (aggregate.py)."""
    return f"a:{code}", f"p:{code}", f"s:{code}", f"q:{code}"


def score_interval(counts: Mapping[str, int], code: str, scoring: str) -> list[float] | None:
    """The 95% interval of a question's index: Wilson's for a share, from the answers' variance for a mean."""
    return _score_and_interval(counts, _keys(code), scoring)[1]


def _score_and_interval(
    counts: Mapping[str, int], keys: tuple[str, str, str, str], scoring: str
) -> tuple[float | None, list[float] | None]:
    """A question's index and its interval, from the names of its counts (_keys)."""
    a, p, s, q = keys
    answered = counts.get(a, 0)
    if not answered:
        return None, None
    if scoring != MEAN_SCORE:
        # wilson(positive, answered), written out: a run calls this for every question of every agency.
        positive = counts[p]
        share = positive / answered
        z2_n = Z95_SQUARED / answered
        denominator = 1 + z2_n
        centre = (share + z2_n / 2) / denominator
        half = Z95 * math.sqrt(share * (1 - share) / answered + z2_n / (4 * answered)) / denominator
        low, high = centre - half, centre + half  # max(0.0, low) and min(1.0, high), without the calls
        return 100.0 * positive / answered, [100.0 * (low if low > 0.0 else 0.0), 100.0 * (high if high < 1.0 else 1.0)]
    m = counts[s] / answered
    value = (m - 1) / 4 * 100
    if answered < 2:
        return value, None
    variance = max(0.0, (counts[q] - answered * m * m) / (answered - 1))
    half = Z95 * math.sqrt(variance / answered) / 4 * 100
    return value, [max(0.0, value - half), min(100.0, value + half)]


@dataclass(frozen=True)
class _Layout:
    """The names of the counts figures() reads for one plan, built once per plan rather than as strings for
    every agency (a run of a thousand agencies calls figures() a thousand times)."""

    criteria: tuple[tuple[str, tuple[str, str, str, str]], ...]  # each criterion once, in the plan's order
    factors: tuple[tuple[str, tuple[str, ...], tuple[str, str, str, str] | None], ...]  # code, criteria, HL_x
    overall: tuple[str, str, str, str] | None
    multi: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]  # answered, (option, count of option)
    choices: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...]  # code, answered, (option, count)
    satisfaction: tuple[tuple[str, str, str], ...]  # code, answered, positive of each factor's satisfaction
    pairs: tuple[tuple[str, str, str, str, str, str], ...]  # f, g, both answered, both positive (either order)


_LAYOUTS: dict[int, _Layout] = {}


def _layout(plan: Plan) -> _Layout:
    """The plan's layout, kept while the plan lives (a plan is not changed once plan_for has built it)."""
    layout = _LAYOUTS.get(id(plan))
    if layout is None:
        layout = _LAYOUTS[id(plan)] = _build_layout(plan)
        weakref.finalize(plan, _LAYOUTS.pop, id(plan), None)
    return layout


def _build_layout(plan: Plan) -> _Layout:
    criteria = dict.fromkeys(code for f in plan.factors.values() for code in f["criteria"])
    satisfaction = [f["satisfaction"] for f in plan.factors.values() if f["satisfaction"]]
    return _Layout(
        criteria=tuple((code, _keys(code)) for code in criteria),
        factors=tuple(
            (code, tuple(f["criteria"]), _keys(f["satisfaction"]) if f["satisfaction"] else None)
            for code, f in plan.factors.items()
        ),
        overall=_keys(plan.overall) if plan.overall else None,
        multi=tuple(
            (f"a:{code}", tuple((option, f"k:{code}:{option}") for option in options))
            for code, options in plan.multi.items()
        ),
        choices=tuple(
            (code, f"a:{code}", tuple((option, f"k:{code}:{option}") for option in options))
            for code, options in plan.choices.items()
        ),
        satisfaction=tuple((code, f"a:{code}", f"p:{code}") for code in satisfaction),
        pairs=tuple(
            (f, g, f"nn:{f}:{g}", f"nn:{g}:{f}", f"pp:{f}:{g}", f"pp:{g}:{f}") for f, g in combinations(satisfaction, 2)
        ),
    )


def figures(counts: Mapping[str, int], plan: Plan, scoring: str) -> dict:
    """Every figure of one agency or group, in the shape of the export contract plus intervals."""
    layout = _layout(plan)
    get = counts.get
    criteria: dict[str, float | None] = {}
    criteria_intervals: dict[str, list[float] | None] = {}
    for code, keys in layout.criteria:
        criteria[code], criteria_intervals[code] = _score_and_interval(counts, keys, scoring)
    factors = {}
    satisfaction_intervals = {}
    for code, criterion_codes, keys in layout.factors:
        satisfaction = None
        if keys is not None:
            satisfaction, satisfaction_intervals[code] = _score_and_interval(counts, keys, scoring)
        factors[code] = {"evaluation": mean([criteria[c] for c in criterion_codes]), "satisfaction": satisfaction}
    sipas = mean([f["satisfaction"] for f in factors.values()])
    hl, hl_interval = _score_and_interval(counts, layout.overall, scoring) if layout.overall else (None, None)
    expectations = {}
    for answered, options in layout.multi:
        whole = get(answered, 0)
        for option, chosen in options:  # an option of two questions keeps its first place and last share
            expectations[option] = share(get(chosen, 0), whole)
    facts = {}
    for code, answered, options in layout.choices:
        whole = get(answered, 0)
        facts[code] = {option: share(get(chosen, 0), whole) for option, chosen in options}
    return {
        "n": get("n", 0),
        "sipas": sipas,
        "hl": hl,
        "factors": factors,
        "criteria": criteria,
        "expectations": expectations,
        "facts": facts,
        "intervals": {
            "sipas": _sipas_interval(counts, layout, scoring, sipas),
            "hl": hl_interval,
            "satisfaction": satisfaction_intervals,
            "criteria": criteria_intervals,
        },
    }


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
    return _sipas_interval(counts, _layout(plan), scoring, sipas)


def _sipas_interval(
    counts: Mapping[str, int], layout: _Layout, scoring: str, sipas: float | None
) -> list[float] | None:
    if sipas is None:
        return None
    present = [(code, a, p) for code, a, p in layout.satisfaction if counts.get(a, 0)]
    k = len(present)
    if scoring == MEAN_SCORE:
        halves = []
        for code, _a, _p in present:
            interval = score_interval(counts, code, scoring)
            if interval is None:
                return None
            halves.append((interval[1] - interval[0]) / 2)
        half = sum(halves) / k
        return [max(0.0, sipas - half), min(100.0, sipas + half)]
    n: dict[str, int] = {}
    p: dict[str, float] = {}
    var: dict[str, float] = {}
    for code, a, positive in present:
        answered, x = counts[a], counts[positive]
        n[code] = answered
        p[code] = x / answered
        adjusted = (x + Z95_SQUARED / 2) / (answered + Z95_SQUARED)
        var[code] = adjusted * (1 - adjusted) / (answered + Z95_SQUARED)
    variance = sum(var.values())
    for f, g, nn_fg, nn_gf, pp_fg, pp_gf in layout.pairs:  # combinations(present, 2), in that order
        if f not in n or g not in n:
            continue
        both = counts.get(nn_fg, counts.get(nn_gf, 0))
        if not both:
            continue
        pf, pg = p[f], p[g]
        spread = pf * (1 - pf) * pg * (1 - pg)
        if spread <= 0:  # a factor at 0% or 100% shows no variation to correlate: assume the worst case
            rho = 1.0
        else:
            joint = counts.get(pp_fg, counts.get(pp_gf, 0)) / both
            rho = min(1.0, max(0.0, (joint - pf * pg) / math.sqrt(spread)))
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
