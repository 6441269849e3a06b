"""The one aggregation of a campaign's answers: a single GROUP BY agency over its responses that are not excluded.

Each response's answers are a JSON object keyed by question code (surveys.Response.answers). The query takes
every answer the plan needs out of the row once (a subquery), then counts them. The result per agency is a flat
mapping of counts ("a:TC1" answered, "p:TC1" positive, "s:TC1" sum, ...). Counts add up, so a level's or the
campaign's pooled figures are the sums of its agencies' counts; no second pass over responses is ever needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection

from surveys.models import Campaign, IndexRule, Level, Methodology, QuestionKind, QuestionRole, Scoring

SINGLE_KINDS = (QuestionKind.SINGLE, QuestionKind.YES_NO, QuestionKind.PRIORITY3)
COUNTED_ROLES = (QuestionRole.FACT, QuestionRole.FILTER, QuestionRole.NEEDS)  # profile answers are not reported

CODE = re.compile(r"^[A-Za-z0-9_]+$")

# A number per response that changes when its id or its answers change; the XOR of a group's numbers is that
# group's fingerprint, whatever order the rows are read in (IndexRun.checksum).
ROW_FINGERPRINT = "hashtextextended(answers::text, id)"


@dataclass(frozen=True)
class Plan:
    """What to count and how to score it, derived from one methodology version."""

    positive_min: int
    scaled: tuple[str, ...]
    choices: dict[str, tuple[str, ...]]  # single choice / yes-no / priority: reported facts, the filter, rated needs
    multi: dict[str, tuple[str, ...]]  # multiple choice: needs and expectations, reported facts
    factors: dict[str, dict] = field(default_factory=dict)  # code -> {"criteria": [...], "satisfaction": code}
    overall: str | None = None
    version: str = ""
    scoring: str = Scoring.SHARE_POSITIVE
    index_rule: str = IndexRule.FACTOR_SATISFACTION
    parts: dict[str, dict] = field(default_factory=dict)  # code -> {"weight": w, "factors": [...]}
    facts: tuple[str, ...] = ()  # choice questions reported as shares per answer (facts, the filter)
    expectations: tuple[str, ...] = ()  # multiple-choice needs: shares per option, pooled into one mapping
    ratings: tuple[str, ...] = ()  # single-choice needs (e.g. SIPAS-2023's 4-level expectations): shares per answer
    bands: tuple[dict, ...] = ()  # the version's grading bands, best first (a campaign may set its own per level)

    @property
    def satisfaction_codes(self) -> list[str]:
        return [f["satisfaction"] for f in self.factors.values() if f["satisfaction"]]

    def definition(self) -> list:
        """Everything that decides the figures, as plain data (the run's checksum, comparisons of versions)."""
        return [self.version, self.scoring, self.positive_min, self.index_rule, self.parts, self.scaled, self.choices,
                self.multi, self.factors, self.overall, self.facts, self.expectations, self.ratings, self.bands]  # fmt: skip


@dataclass(frozen=True)
class Aggregate:
    """What the aggregation read of a campaign's responses, in one snapshot."""

    counts: dict[int, dict[str, int]]  # per agency with counted responses: the counts by name
    fingerprints: dict[int, int]  # per agency with counted responses: XOR of ROW_FINGERPRINT
    excluded: list[tuple[int, str, int, int]]  # (agency id, decision rule, responses, XOR of ROW_FINGERPRINT)


def plan_for(campaign: Campaign) -> Plan:
    """The plan of the campaign's default methodology version (see plans_for for a version per level)."""
    return plan_for_methodology(campaign.methodology)


def plans_for(campaign: Campaign) -> dict[str, Plan]:
    """The plan of each level's version, and of the default version under "province" (a province surveyed as an
    agency); levels that share a version share one Plan object."""
    ids = {level: campaign.methodology_id_for_level(level) for level in (*Level.values, "province")}
    versions = Methodology.objects.in_bulk(set(ids.values()))
    plans = {pk: plan_for_methodology(version) for pk, version in versions.items()}
    return {level: plans[pk] for level, pk in ids.items()}


def plan_for_methodology(methodology: Methodology) -> Plan:
    """The plan of a methodology version. Raises ValueError if a question or option code is not a plain identifier
    (the aggregation writes codes into its SQL)."""
    questions = list(methodology.questions.select_related("factor").order_by("order"))
    for question in questions:
        if not CODE.match(question.code) or any(not CODE.match(o["code"]) for o in question.options):
            raise ValueError(f"question code {question.code!r} is not a plain identifier")
    factors: dict[str, dict] = {}
    parts: dict[str, dict] = {
        p["code"]: {"weight": p["weight"], "factors": []} for p in methodology.parts
    } if methodology.index_rule == IndexRule.PARTS else {}  # fmt: skip
    for factor in methodology.factors.order_by("order"):
        factors[factor.code] = {"criteria": [], "satisfaction": None}
        if factor.part in parts:
            parts[factor.part]["factors"].append(factor.code)
    for q in questions:
        if q.role == QuestionRole.CRITERION and q.factor_id:
            factors[q.factor.code]["criteria"].append(q.code)
        elif q.role == QuestionRole.FACTOR_SATISFACTION and q.factor_id:
            factors[q.factor.code]["satisfaction"] = q.code
    overall = next((q.code for q in questions if q.role == QuestionRole.OVERALL), None)
    counted = [q for q in questions if q.role in COUNTED_ROLES and q.options]
    return Plan(
        positive_min=methodology.positive_min,
        scaled=tuple(q.code for q in questions if q.kind == QuestionKind.SCALE5),
        choices={q.code: tuple(q.option_codes()) for q in counted if q.kind in SINGLE_KINDS},
        multi={q.code: tuple(q.option_codes()) for q in counted if q.kind == QuestionKind.MULTI},
        factors=factors,
        overall=overall,
        version=methodology.code,
        scoring=methodology.scoring,
        index_rule=methodology.index_rule,
        parts=parts,
        facts=tuple(q.code for q in counted if q.role in (QuestionRole.FACT, QuestionRole.FILTER)),
        expectations=tuple(q.code for q in counted if q.role == QuestionRole.NEEDS and q.kind == QuestionKind.MULTI),
        ratings=tuple(q.code for q in counted if q.role == QuestionRole.NEEDS and q.kind in SINGLE_KINDS),
        bands=tuple(methodology.bands),
    )


def aggregation_sql(plan: Plan, *, restricted: bool = False) -> tuple[str, list[str]]:
    """The aggregation query (parameters: the campaign id, and with `restricted` the agency ids) and the names of the counts it returns after the agency
    id and the fingerprint. Codes are written into the SQL, which is safe because plan_for only admits plain
    identifiers."""
    columns: list[str] = []
    alias: dict[str, str] = {}
    for i, code in enumerate(plan.scaled):
        alias[code] = f"s{i}"
        columns.append(f"(answers->>'{code}')::int AS s{i}")
    for i, code in enumerate(plan.choices):
        alias[code] = f"c{i}"
        columns.append(f"answers->>'{code}' AS c{i}")
    for i, code in enumerate(plan.multi):
        alias[code] = f"m{i}"
        columns.append(f"(answers->'{code}')::jsonb AS m{i}")

    names: list[str] = ["n"]
    aggregates: list[str] = ["count(*)"]

    def add(name: str, expression: str) -> None:
        names.append(name)
        aggregates.append(expression)

    positive = plan.positive_min
    for code in plan.scaled:
        a = alias[code]
        add(f"a:{code}", f"count({a})")
        add(f"p:{code}", f"count(*) FILTER (WHERE {a} >= {positive})")
        add(f"s:{code}", f"coalesce(sum({a}), 0)")
        add(f"q:{code}", f"coalesce(sum({a} * {a}), 0)")
    for code, options in plan.choices.items():
        a = alias[code]
        add(f"a:{code}", f"count({a})")
        for option in options:
            add(f"k:{code}:{option}", f"count(*) FILTER (WHERE {a} = '{option}')")
    for code, options in plan.multi.items():
        a = alias[code]
        add(f"a:{code}", f"count({a})")
        for option in options:
            add(f"k:{code}:{option}", f"count(*) FILTER (WHERE {a} @> '[\"{option}\"]')")
    satisfaction = plan.satisfaction_codes
    for f, g in combinations(satisfaction, 2):  # co-answers, for the covariance in SIPAS's interval
        x, y = alias[f], alias[g]
        add(f"nn:{f}:{g}", f"count(*) FILTER (WHERE {x} IS NOT NULL AND {y} IS NOT NULL)")
        add(f"pp:{f}:{g}", f"count(*) FILTER (WHERE {x} >= {positive} AND {y} >= {positive})")
    if plan.overall:
        y = alias[plan.overall]
        for f in satisfaction:  # sums for the correlation of each factor's satisfaction with overall
            x = alias[f]
            both = f"{x} IS NOT NULL AND {y} IS NOT NULL"
            add(f"dn:{f}", f"count(*) FILTER (WHERE {both})")
            add(f"dx:{f}", f"coalesce(sum({x}) FILTER (WHERE {both}), 0)")
            add(f"dy:{f}", f"coalesce(sum({y}) FILTER (WHERE {both}), 0)")
            add(f"dxy:{f}", f"coalesce(sum({x} * {y}), 0)")
            add(f"dxx:{f}", f"coalesce(sum({x} * {x}) FILTER (WHERE {both}), 0)")
            add(f"dyy:{f}", f"coalesce(sum({y} * {y}) FILTER (WHERE {both}), 0)")
    # OFFSET 0 keeps PostgreSQL from merging the subquery into the aggregates, which would take each answer out of
    # the row's JSON again in every aggregate that uses it (four times as long, measured by bench/compute_index.py).
    sql = (
        f"SELECT agency_id, bit_xor(fingerprint), {', '.join(aggregates)} FROM ("
        f"SELECT agency_id, {', '.join([f'{ROW_FINGERPRINT} AS fingerprint', *columns])} "
        f"FROM surveys_response WHERE campaign_id = %s {'AND agency_id = ANY(%s) ' if restricted else ''}"
        "AND NOT excluded OFFSET 0"
        ") AS response GROUP BY agency_id"
    )
    return sql, names


def aggregate(campaign: Campaign, plan: Plan, agencies: dict[str, list[int]] | None = None) -> Aggregate:
    """Every count of the campaign's responses that are not excluded, per agency (one query), and the excluded
    responses per agency and decision rule (a second, small query on the partial index response_excluded_idx).
    Where the campaign's levels answer different versions, `agencies` gives the agencies of each version (by its
    code) and `plan` is a mapping of version code to Plan: one query per version, over its agencies only.
    Call inside one snapshot (REPEATABLE READ) so that all describe the same responses."""
    counts: dict[int, dict[str, int]] = {}
    fingerprints: dict[int, int] = {}
    queries = [(plan, None)] if agencies is None else [(plan[code], ids) for code, ids in agencies.items() if ids]
    with connection.cursor() as cursor:
        for version_plan, agency_ids in queries:
            sql, names = aggregation_sql(version_plan, restricted=agency_ids is not None)
            cursor.execute(sql, [campaign.pk] if agency_ids is None else [campaign.pk, agency_ids])
            for agency_id, fingerprint, *values in cursor.fetchall():
                counts[agency_id] = dict(zip(names, map(int, values), strict=True))
                fingerprints[agency_id] = int(fingerprint)
        cursor.execute(
            f"SELECT agency_id, decision_rule, count(*), bit_xor({ROW_FINGERPRINT}) FROM surveys_response "
            "WHERE campaign_id = %s AND excluded GROUP BY agency_id, decision_rule ORDER BY agency_id, decision_rule",
            [campaign.pk],
        )
        excluded = [(agency_id, rule, int(n), int(f)) for agency_id, rule, n, f in cursor.fetchall()]
    return Aggregate(counts=counts, fingerprints=fingerprints, excluded=excluded)
