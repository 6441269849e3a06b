"""The one aggregation of a campaign's answers: a single GROUP BY agency over the response rows.

Each answer is taken out of the row's JSON once, then counted. The result per agency is a flat dict of counts
("a:TC1" answered, "p:TC1" positive, "s:TC1" sum, ...). Counts add up, so a level's or the campaign's pooled
figures are the sums of its agencies' counts; no second pass over responses is ever needed.

On PostgreSQL the answers are `json` text (sipas.fields.JSONTextField), which every `->>` would parse again:
each row is parsed once by json_to_record, a LATERAL function in the FROM clause, into a typed record (a
scaled answer int, a choice text, a multiple choice jsonb). As a function scan runs once per row, the query
needs no fence and PostgreSQL may aggregate in parallel workers. On SQLite (JSON1) json_extract takes each
answer out in a fenced subquery.

On PostgreSQL the counts are those of jsonb's `(answers->>'X')::int`, `answers->>'X'` and `answers->'X'`,
which the aggregation used while answers were jsonb, for any stored answers: a row whose answers are not an
object reads as no answers (json_to_record would raise), and a multiple choice stored as JSON null still
counts as answered. Where a value cannot be read as its type (a scaled answer "x" or 4.5) both raise. The one
difference left is in numbers written by hand in exponent form (4e0), which jsonb read as 4 and json_to_record
refuses; neither Django (whose writes PostgreSQL parses as jsonb) nor the importer writes them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from itertools import combinations

from django.db import connection

from surveys.models import Campaign, QuestionKind, QuestionRole

CODE = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass(frozen=True)
class Plan:
    """What to count, derived from a methodology version."""

    positive_min: int
    scaled: tuple[str, ...]
    choices: dict[str, tuple[str, ...]]  # single choice / yes-no: reported facts and the filter
    multi: dict[str, tuple[str, ...]]  # needs and expectations
    factors: dict[str, dict] = field(default_factory=dict)  # code -> {"criteria": [...], "satisfaction": code}
    overall: str | None = None

    @property
    def satisfaction_codes(self) -> list[str]:
        return [f["satisfaction"] for f in self.factors.values() if f["satisfaction"]]


def plan_for(campaign: Campaign) -> Plan:
    questions = list(campaign.methodology.questions.select_related("factor").order_by("order"))
    for question in questions:
        if not CODE.match(question.code) or any(not CODE.match(o["code"]) for o in question.options):
            raise ValueError(f"question code {question.code!r} is not a plain identifier")
    factors: dict[str, dict] = {}
    for factor in campaign.methodology.factors.order_by("order"):
        factors[factor.code] = {"criteria": [], "satisfaction": None}
    for q in questions:
        if q.role == QuestionRole.CRITERION and q.factor_id:
            factors[q.factor.code]["criteria"].append(q.code)
        elif q.role == QuestionRole.FACTOR_SATISFACTION and q.factor_id:
            factors[q.factor.code]["satisfaction"] = q.code
    overall = next((q.code for q in questions if q.role == QuestionRole.OVERALL), None)
    return Plan(
        positive_min=campaign.methodology.positive_min,
        scaled=tuple(q.code for q in questions if q.kind == QuestionKind.SCALE5),
        choices={
            q.code: tuple(q.option_codes())
            for q in questions
            if q.kind in (QuestionKind.SINGLE, QuestionKind.YES_NO, QuestionKind.PRIORITY3)
            and q.role in (QuestionRole.FACT, QuestionRole.FILTER)
        },
        multi={q.code: tuple(q.option_codes()) for q in questions if q.kind == QuestionKind.MULTI},
        factors=factors,
        overall=overall,
    )


def _record(plan: Plan) -> str:
    """json_to_record's column definitions (PostgreSQL): the codes quoted, as they are mixed case."""
    return ", ".join(
        [f'"{code}" int' for code in plan.scaled]
        + [f'"{code}" text' for code in plan.choices]
        + [f'"{code}" jsonb' for code in plan.multi]  # so that `@> '["NC1"]'::jsonb` tests an option
    )


def _parts(plan: Plan, vendor: str) -> tuple[list[str], str, list[str], list[str]]:
    """The answers taken out of a row (columns, read from the returned FROM clause), what is counted of them
    (aggregates) and the names of the counts. Codes are interpolated, which is safe because plan_for only
    admits plain identifiers."""
    columns: list[str] = []
    alias: dict[str, str] = {}
    answered: dict[str, str] = {}  # code -> the count of a multiple choice's answers
    postgresql = vendor == "postgresql"
    for i, code in enumerate(plan.scaled):
        alias[code] = f"s{i}"
        columns.append(
            f'answer."{code}" AS s{i}' if postgresql else f"CAST(json_extract(answers, '$.{code}') AS INTEGER) AS s{i}"
        )
    for i, code in enumerate(plan.choices):
        alias[code] = f"c{i}"
        columns.append(f'answer."{code}" AS c{i}' if postgresql else f"json_extract(answers, '$.{code}') AS c{i}")
    for i, code in enumerate(plan.multi):
        alias[code] = f"m{i}"
        if postgresql:
            # json_to_record reads a JSON null as NULL, but jsonb's `answers->'X'` was 'null' there and counted as
            # answered: where the record has no value, `->` tells whether the key is there (parsing those rows
            # a second time, and only those).
            columns.append(f'answer."{code}" AS m{i}')
            columns.append(f"(answer.\"{code}\" IS NOT NULL OR response.answers->'{code}' IS NOT NULL) AS h{i}")
            answered[code] = f"count(*) FILTER (WHERE h{i})"
        else:
            columns.append(f"json_extract(answers, '$.{code}') AS m{i}")
            answered[code] = f"count(m{i})"
    source = "surveys_response"
    if postgresql:
        source += " response"
        if columns:  # answers that are not an object (never written by the project) read as no answers, as before
            source += (
                " CROSS JOIN LATERAL json_to_record(CASE WHEN json_typeof(response.answers) = 'object' "
                f"THEN response.answers ELSE '{{}}' END) AS answer({_record(plan)})"
            )

    aggregates = ["count(*)"]
    names = ["n"]

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
        add(f"a:{code}", answered[code])
        for option in options:
            test = f"{a} @> '[\"{option}\"]'::jsonb" if postgresql else f"instr({a}, '\"{option}\"') > 0"
            add(f"k:{code}:{option}", f"count(*) FILTER (WHERE {test})")
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
    return columns, source, aggregates, names


def _sql(plan: Plan, vendor: str) -> tuple[str, list[str]]:
    """The aggregation query over a campaign's responses that are not excluded (parameter: campaign id)."""
    columns, source, aggregates, names = _parts(plan, vendor)
    selected = ", ".join(columns) if columns else "NULL AS none"
    if vendor == "postgresql":  # no fence: json_to_record already runs once per row
        inner = (
            f"SELECT response.agency_id, {selected} FROM {source} "
            "WHERE response.campaign_id = %s AND NOT response.excluded"
        )
    else:  # the fence keeps SQLite from calling json_extract once per use of a column
        inner = f"SELECT agency_id, {selected} FROM {source} WHERE campaign_id = %s AND excluded = 0 LIMIT -1 OFFSET 0"
    sql = f"SELECT agency_id, {', '.join(aggregates)} FROM ({inner}) AS r GROUP BY agency_id"
    return sql, names


def split_sql(plan: Plan) -> tuple[str, list[str]]:
    """The same counts on PostgreSQL over the responses a tally does not hold yet and the excluded ones it
    does (reports.services.tallies), split by agency, by whether the id is up to the tally's end (`old`) or
    up to the new end being closed (`closed`), and by exclusion; each group also gives the sum and the
    largest of its ids. Parameters: tally end, new end, campaign id, tally end."""
    columns, source, aggregates, names = _parts(plan, "postgresql")
    sql = (
        f"SELECT agency_id, id <= %s AS old, id <= %s AS closed, excluded, {', '.join(aggregates)}, "
        "coalesce(sum(id), 0), coalesce(max(id), 0) FROM ("
        "SELECT response.agency_id, response.id, response.excluded, "
        f"{', '.join(columns) if columns else 'NULL AS none'} FROM {source} "
        "WHERE response.campaign_id = %s AND (response.id > %s OR response.excluded)) AS r "
        "GROUP BY 1, 2, 3, 4"
    )
    return sql, names


def plan_key(plan: Plan) -> str:
    """Names the counts a plan gives: a tally made by another plan (or another version of this code's query)
    does not apply."""
    return hashlib.sha256(split_sql(plan)[0].encode()).hexdigest()


def aggregate_counts(campaign: Campaign, plan: Plan) -> dict[int, dict[str, int]]:
    """Counts per agency id over the campaign's responses that are not excluded, by name. One query."""
    names, rows = aggregate_rows(campaign, plan)
    return {agency_id: dict(zip(names, values, strict=True)) for agency_id, values in rows.items()}


def aggregate_rows(campaign: Campaign, plan: Plan) -> tuple[list[str], dict[int, list[int]]]:
    """The same counts as the names of the counts and, per agency id, the list of their values. One query."""
    sql, names = _sql(plan, connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk])
        rows = cursor.fetchall()
    return names, {row[0]: [int(value or 0) for value in row[1:]] for row in rows}


def every_id(campaign: Campaign) -> list[int]:
    """Count, sum and largest of the ids of every response of the campaign, excluded or not. Responses are
    never edited after they are stored, so these and the same of the excluded ones per rule (fingerprint)
    identify the inputs exactly enough to tell whether anything changed since a run."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), coalesce(sum(id), 0), coalesce(max(id), 0) FROM surveys_response WHERE campaign_id = %s",
            [campaign.pk],
        )
        return [int(value) for value in cursor.fetchone()]


def excluded_groups(campaign: Campaign) -> list[tuple[int, str, int, int, int]]:
    """(agency id, decision rule, count, sum of ids, largest id) of the excluded responses (a few, found by
    the partial index response_excluded_idx)."""
    excluded = "excluded" if connection.vendor == "postgresql" else "excluded = 1"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT agency_id, decision_rule, count(*), coalesce(sum(id), 0), coalesce(max(id), 0) "
            f"FROM surveys_response WHERE campaign_id = %s AND {excluded} GROUP BY agency_id, decision_rule",
            [campaign.pk],
        )
        return [(a, rule, int(n), int(s), int(m)) for a, rule, n, s, m in cursor.fetchall()]


def fingerprint(every: list[int], excluded: list[tuple[int, str, int, int, int]]) -> dict[str, object]:
    """What the inputs of a run were: all responses (every_id) and the excluded ones per rule."""
    by_rule: dict[str, list[int]] = {}
    for _agency, rule, n, total, top in excluded:
        n0, s0, m0 = by_rule.get(rule or "manual", [0, 0, 0])
        by_rule[rule or "manual"] = [n0 + n, s0 + total, max(m0, top)]
    return {
        "all": list(every),
        "excluded": sorted([rule, *values] for rule, values in by_rule.items()),
        "excluded_by_rule": {rule: values[0] for rule, values in sorted(by_rule.items())},
    }
