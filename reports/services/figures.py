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
from collections.abc import Iterable, Mapping, Sequence
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


class _Columns:
    """Counts of many agencies or groups read column by column: each row holds the counts `names` names, in
    that order; a name missing from `names` reads as 0 in every row."""

    def __init__(self, names: Sequence[str], rows: Sequence[Sequence[int]]):
        self.size = len(rows)
        self._at = {name: i for i, name in enumerate(names)}
        self._data = list(zip(*rows, strict=True)) if rows and names else []
        self._zeros = (0,) * self.size

    def __contains__(self, name: str) -> bool:
        return name in self._at

    def __getitem__(self, name: str) -> Sequence[int]:
        at = self._at.get(name)
        return self._zeros if at is None or not self._data else self._data[at]


def _scores(columns: _Columns, keys: tuple[str, str, str, str], scoring: str) -> tuple[list, list]:
    """A question's index and its 95% interval in every row (None where nobody answered): Wilson's interval of
    the positive share, or for a mean score the interval from the answers' variance."""
    a, p, s, q = keys
    values: list[float | None] = []
    intervals: list[list[float] | None] = []
    value_of, interval_of = values.append, intervals.append
    sqrt = math.sqrt
    if scoring != MEAN_SCORE:
        for answered, positive in zip(columns[a], columns[p], strict=True):
            if not answered:
                value_of(None)
                interval_of(None)
                continue
            # wilson(positive, answered), written out: a run calls this for every question of every agency.
            share = positive / answered
            z2_n = Z95_SQUARED / answered
            denominator = 1 + z2_n
            centre = (share + z2_n / 2) / denominator
            half = Z95 * sqrt(share * (1 - share) / answered + z2_n / (4 * answered)) / denominator
            low, high = centre - half, centre + half  # max(0.0, low) and min(1.0, high), without the calls
            value_of(100.0 * positive / answered)
            interval_of([100.0 * (low if low > 0.0 else 0.0), 100.0 * (high if high < 1.0 else 1.0)])
        return values, intervals
    for answered, total, squares in zip(columns[a], columns[s], columns[q], strict=True):
        if not answered:
            value_of(None)
            interval_of(None)
            continue
        m = total / answered
        value = (m - 1) / 4 * 100
        value_of(value)
        if answered < 2:
            interval_of(None)
            continue
        variance = max(0.0, (squares - answered * m * m) / (answered - 1))
        half = Z95 * sqrt(variance / answered) / 4 * 100
        interval_of([max(0.0, value - half), min(100.0, value + half)])
    return values, intervals


def score_interval(counts: Mapping[str, int], code: str, scoring: str) -> list[float] | None:
    """The 95% interval of a question's index: Wilson's for a share, from the answers' variance for a mean."""
    return _scores(_Columns(list(counts), [list(counts.values())]), _keys(code), scoring)[1][0]


@dataclass(frozen=True)
class _Layout:
    """The names of the counts figures() reads for one plan, built once per plan rather than as strings for
    every agency."""

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
    return figures_table(list(counts), [list(counts.values())], plan, scoring)[0]


def figures_table(names: Sequence[str], rows: Sequence[Sequence[int]], plan: Plan, scoring: str) -> list[dict]:
    """figures() of many agencies or groups at once, one per row of counts (`names` names each row's counts),
    computed column by column: a run of a thousand agencies evaluates each formula over a column of a thousand
    counts instead of calling figures() a thousand times."""
    if not rows:
        return []
    layout = _layout(plan)
    columns = _Columns(names, rows)
    size = columns.size
    nothing = [None] * size
    criteria = {code: _scores(columns, keys, scoring) for code, keys in layout.criteria}
    evaluations, satisfactions, satisfaction_intervals = [], [], {}
    for code, criterion_codes, keys in layout.factors:
        if criterion_codes:
            evaluations.append(list(map(mean, zip(*(criteria[c][0] for c in criterion_codes), strict=True))))
        else:
            evaluations.append(nothing)
        if keys is None:
            satisfactions.append(nothing)
        else:
            values, satisfaction_intervals[code] = _scores(columns, keys, scoring)
            satisfactions.append(values)
    sipas = list(map(mean, zip(*satisfactions, strict=True))) if satisfactions else nothing
    hl, hl_intervals = _scores(columns, layout.overall, scoring) if layout.overall else (nothing, nothing)
    expectation_keys, expectation_columns = [], []
    for answered, options in layout.multi:  # an option of two questions keeps its first place and last share
        whole = columns[answered]
        for option, chosen in options:
            expectation_keys.append(option)
            expectation_columns.append(_shares(columns[chosen], whole))
    facts = [
        _records(
            [option for option, _c in options], [_shares(columns[c], columns[answered]) for _o, c in options], size
        )
        for _code, answered, options in layout.choices
    ]
    factors = [
        [{"evaluation": e, "satisfaction": s} for e, s in zip(evaluated, satisfied, strict=True)]
        for evaluated, satisfied in zip(evaluations, satisfactions, strict=True)
    ]
    return [
        {
            "n": n,
            "sipas": sipas_value,
            "hl": hl_value,
            "factors": factor_values,
            "criteria": criterion_values,
            "expectations": expectation_values,
            "facts": fact_values,
            "intervals": {
                "sipas": sipas_interval,
                "hl": hl_interval,
                "satisfaction": satisfaction_interval_values,
                "criteria": criterion_interval_values,
            },
        }
        for (
            n,
            sipas_value,
            hl_value,
            factor_values,
            criterion_values,
            expectation_values,
            fact_values,
            sipas_interval,
            hl_interval,
            satisfaction_interval_values,
            criterion_interval_values,
        ) in zip(
            columns["n"],
            sipas,
            hl,
            _records([code for code, _c, _k in layout.factors], factors, size),
            _records(list(criteria), [values for values, _intervals in criteria.values()], size),
            _records(expectation_keys, expectation_columns, size),
            _records([code for code, _a, _o in layout.choices], facts, size),
            _sipas_intervals(columns, layout, scoring, sipas),
            hl_intervals,
            _records(list(satisfaction_intervals), list(satisfaction_intervals.values()), size),
            _records(list(criteria), [intervals for _values, intervals in criteria.values()], size),
            strict=True,
        )
    ]


def _records(keys: Sequence[str], columns: Sequence[Sequence], size: int) -> list[dict]:
    """One dict per row from columns of values, the i-th column under the i-th key (as assigning them in
    order would: a key given twice keeps its first place and its last value)."""
    if not keys:
        return [{} for _row in range(size)]
    return [dict(zip(keys, row, strict=True)) for row in zip(*columns, strict=True)]


def _shares(parts: Sequence[int], wholes: Sequence[int]) -> list[float | None]:
    return [100.0 * part / whole if whole else None for part, whole in zip(parts, wholes, strict=True)]


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
    columns = _Columns(list(counts), [list(counts.values())])
    return _sipas_intervals(columns, _layout(plan), scoring, [sipas])[0]


def _sipas_intervals(columns: _Columns, layout: _Layout, scoring: str, sipas: Sequence[float | None]) -> list:
    """sipas_interval of every row."""
    factors = layout.satisfaction
    answered = [columns[a] for _code, a, _p in factors]
    if scoring == MEAN_SCORE:
        halves = [
            [None if interval is None else (interval[1] - interval[0]) / 2 for interval in intervals]
            for _values, intervals in (_scores(columns, _keys(code), scoring) for code, _a, _p in factors)
        ]
        result = []
        for i, value in enumerate(sipas):
            if value is None:
                result.append(None)
                continue
            present = [half[i] for half, n in zip(halves, answered, strict=True) if n[i]]
            if None in present:
                result.append(None)
                continue
            half = sum(present) / len(present)
            result.append([max(0.0, value - half), min(100.0, value + half)])
        return result
    positive = [columns[p] for _code, _a, p in factors]
    index = {code: j for j, (code, _a, _p) in enumerate(factors)}

    def either(first: str, second: str) -> Sequence[int]:
        return columns[first] if first in columns else columns[second]

    pairs = [
        (index[f], index[g], either(nn_fg, nn_gf), either(pp_fg, pp_gf))
        for f, g, nn_fg, nn_gf, pp_fg, pp_gf in layout.pairs
    ]
    z2, sqrt = Z95_SQUARED, math.sqrt
    result = []
    for i, value in enumerate(sipas):
        if value is None:
            result.append(None)
            continue
        n: dict[int, int] = {}
        p: dict[int, float] = {}
        var: dict[int, float] = {}
        for j, column in enumerate(answered):
            count = column[i]
            if count:
                x = positive[j][i]
                n[j] = count
                p[j] = x / count
                adjusted = (x + z2 / 2) / (count + z2)
                var[j] = adjusted * (1 - adjusted) / (count + z2)
        variance = sum(var.values())
        for f, g, co_answered, co_positive in pairs:  # combinations(present, 2), in that order
            if f not in n or g not in n:
                continue
            both = co_answered[i]
            if not both:
                continue
            pf, pg = p[f], p[g]
            spread = pf * (1 - pf) * pg * (1 - pg)
            if spread <= 0:  # a factor at 0% or 100% shows no variation to correlate: assume the worst case
                rho = 1.0
            else:
                rho = min(1.0, max(0.0, (co_positive[i] / both - pf * pg) / sqrt(spread)))
            variance += 2 * rho * sqrt(var[f] * var[g]) * both / sqrt(n[f] * n[g])
        half = 100.0 * Z95 * sqrt(variance) / len(n)
        result.append([max(0.0, value - half), min(100.0, value + half)])
    return result


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
