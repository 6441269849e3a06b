"""Builds the rows of reports.presentation.rows once from a stored run, for the officer and public pages, the
PDF, the workbook and DOCX templates. Every query is made here (`present_run`, `present_agency` and, on first
use, `Questionnaire`): a template that reads the rows never reaches the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.db.models import F, OuterRef, Subquery
from django.utils.translation import gettext as _

from reports import charts
from reports.charts import Bar, FactorBars
from reports.models import AgencyResult, GroupResult, IndexRun
from reports.presentation.labels import level_order, option_label
from reports.presentation.rows import (
    AgencyRow,
    Change,
    CriterionRow,
    DriverRow,
    FactorRow,
    FactRow,
    Figure,
    Figures,
    GroupRow,
    Level,
    ShareRow,
    Threshold,
)
from reports.services.figures import wilson
from surveys.models import Campaign, CampaignAgency, Question, QuestionRole

CAMPAIGN = "campaign"  # the GroupResult of the whole campaign; the others are levels


# --- The questionnaire ----------------------------------------------------------------------------------------


class Questionnaire:
    """The campaign's factors and the questions the figures report on, each read once on first use (one query
    for the factors, one for the questions)."""

    def __init__(self, methodology):
        self.methodology = methodology

    @cached_property
    def factors(self) -> list:
        return list(self.methodology.factors.order_by("order"))

    @cached_property
    def questions(self) -> list[Question]:
        return list(self.methodology.questions.select_related("factor").order_by("order"))

    @cached_property
    def criteria(self) -> list[Question]:
        return [q for q in self.questions if q.role == QuestionRole.CRITERION and q.factor_id]

    @cached_property
    def facts(self) -> list[Question]:
        return [q for q in self.questions if q.role in (QuestionRole.FACT, QuestionRole.FILTER) and q.options]

    @cached_property
    def needs(self) -> list[Question]:
        return [q for q in self.questions if q.role == QuestionRole.NEEDS]

    def figures(self, figures: dict, counts: dict | None) -> Figures:
        """The rows of one agency's or group's figures; `counts` (None when unknown) give the answers behind
        each criterion and share, and the shares' Wilson intervals."""
        intervals = figures.get("intervals") or {}
        satisfaction_bounds = intervals.get("satisfaction") or {}
        criterion_bounds = intervals.get("criteria") or {}
        factor_values = figures.get("factors") or {}
        criterion_values = figures.get("criteria") or {}
        changes = (figures.get("change") or {}).get("criteria") or {}
        fact_values = figures.get("facts") or {}
        expectation_values = figures.get("expectations") or {}

        def answered(code: str) -> int | None:
            return None if counts is None else counts.get(f"a:{code}", 0)

        def share(code: str, option: str, value: float | None) -> Figure:
            bounds = None if counts is None else wilson(counts.get(f"k:{code}:{option}", 0), counts.get(f"a:{code}", 0))
            return Figure(value, bounds)

        return Figures(
            factors=tuple(
                FactorRow(
                    f.code,
                    f.label,
                    Figure((factor_values.get(f.code) or {}).get("evaluation")),
                    Figure((factor_values.get(f.code) or {}).get("satisfaction"), satisfaction_bounds.get(f.code)),
                )
                for f in self.factors
            ),
            criteria=tuple(
                CriterionRow(
                    q.code,
                    q.label,
                    q.factor.code,
                    q.factor.label,
                    Figure(criterion_values.get(q.code), criterion_bounds.get(q.code)),
                    answered(q.code),
                    changes.get(q.code),
                )
                for q in self.criteria
            ),
            facts=tuple(
                FactRow(
                    q.code,
                    q.label,
                    answered(q.code),
                    tuple(
                        ShareRow(
                            o["code"],
                            option_label(o),
                            share(q.code, o["code"], (fact_values.get(q.code) or {}).get(o["code"])),
                        )
                        for o in q.options
                    ),
                )
                for q in self.facts
            ),
            expectations=tuple(
                ShareRow(o["code"], option_label(o), share(q.code, o["code"], expectation_values.get(o["code"])))
                for q in self.needs
                for o in q.options
            ),
            expectations_question=self.needs[0].label if self.needs else "",
        )

    def drivers(self, figures: dict) -> tuple[DriverRow, ...]:
        """The driver analysis of a group, strongest first."""
        labels = {f.code: f.label for f in self.factors}
        drivers = sorted((figures.get("drivers") or {}).items(), key=lambda i: (i[1]["r"] is None, -(i[1]["r"] or 0)))
        return tuple(DriverRow(code, labels.get(code, code), d["r"], d["pairs"]) for code, d in drivers)


# --- Building the rows ----------------------------------------------------------------------------------------


def _group_row(key: str, figures: dict, target: float | None) -> GroupRow:
    intervals = figures.get("intervals") or {}
    thresholds = sorted((figures.get("thresholds") or {}).items(), key=lambda item: float(item[0]))
    return GroupRow(
        key=key,
        n=figures.get("n"),
        sipas=Figure(figures.get("sipas"), intervals.get("sipas")),
        hl=Figure(figures.get("hl"), intervals.get("hl")),
        agencies=figures.get("agencies"),
        ranked=figures.get("ranked"),
        sipas_min=Figure(figures.get("sipas_min")),
        sipas_max=Figure(figures.get("sipas_max")),
        thresholds=tuple(
            Threshold(float(mark), n, target is not None and float(mark) == target) for mark, n in thresholds
        ),
        weighted=bool(figures.get("weighted")),
    )


def _change(change: dict | None) -> Change | None:
    if not change:
        return None
    return Change(
        previous_campaign=change["previous_campaign"],
        merged=change.get("basis") == "predecessors",
        previous_sipas=change.get("previous_sipas"),
        sipas_change=change.get("sipas_change"),
        real=change.get("real"),
        previous_rank=change.get("previous_rank"),
        rank_change=change.get("rank_change"),
        criteria=change.get("criteria") or {},
    )


# What a ranking reads of each stored agency result: its columns, its agency's code and name, its minimum sample
# and its figures, as plain values (a thousand model instances cost more than the query).
STORED = ("agency_id", "level", "rank", "n", "excluded", "sipas", "enough_sample", "figures", "code", "name", "minimum")


def _stored_results(run: IndexRun):
    """The run's agency results as STORED values, in one query."""
    minimum = CampaignAgency.objects.filter(campaign_id=run.campaign_id, agency_id=OuterRef("agency_id"))
    return run.agency_results.annotate(
        code=F("agency__code"), name=F("agency__name"), minimum=Subquery(minimum.values("min_sample")[:1])
    )


def _agency_row(stored: Mapping, target: float | None, tied: bool = False) -> AgencyRow:
    figures = stored["figures"]
    intervals = figures.get("intervals") or {}
    sipas = stored["sipas"]
    return AgencyRow(
        agency_id=stored["agency_id"],
        code=stored["code"],
        name=stored["name"],
        level=stored["level"],
        rank=stored["rank"],
        tied=tied,
        n=stored["n"],
        excluded=stored["excluded"],
        minimum=stored["minimum"],
        enough_sample=stored["enough_sample"],
        sipas=Figure(sipas, intervals.get("sipas")),
        hl=Figure(figures.get("hl"), intervals.get("hl")),
        change=_change(figures.get("change")),
        meets_target=None if target is None or sipas is None else sipas >= target,
    )


def _ranking_order(stored: Mapping) -> tuple:
    """Ranked agencies by rank, then the unranked by SIPAS (highest first), then those with no data."""
    rank, sipas = stored["rank"], stored["sipas"]
    return (rank is None, rank or 0, sipas is None, -(sipas or 0), stored["name"])


class RunPresentation:
    """Every row of a run: the campaign's headline, and per level its headline and its agencies in ranking
    order. Figures below the headlines (factors, criteria, facts, expectations) are built on demand, since a
    ranking page does not show them."""

    def __init__(self, run: IndexRun, results: list[dict], groups: list[GroupResult]):
        self.run = run
        self.campaign = run.campaign
        self.questionnaire = Questionnaire(self.campaign.methodology)
        target = self.campaign.target_percent
        self._groups = {g.key: g for g in groups}
        self._figures = {r["agency_id"]: r["figures"] for r in results}
        self.overall = _group_row(CAMPAIGN, self._figures_of_group(CAMPAIGN), target)
        levels = sorted({r["level"] for r in results}, key=level_order)
        self.levels = []
        for level in levels:
            ordered = sorted((r for r in results if r["level"] == level), key=_ranking_order)
            shared = Counter(r["rank"] for r in ordered if r["rank"] is not None)
            rows = tuple(_agency_row(r, target, r["rank"] is not None and shared[r["rank"]] > 1) for r in ordered)
            self.levels.append(Level(_group_row(level, self._figures_of_group(level), target), rows))

    @property
    def interim(self) -> bool:
        return bool(self.run.summary.get("interim"))

    @property
    def groups(self) -> list[GroupRow]:
        """The whole campaign, then each level: the columns of the report's tables."""
        return [self.overall, *(level.group for level in self.levels)]

    @property
    def agencies(self) -> list[AgencyRow]:
        return [row for level in self.levels for row in level.agencies]

    @cached_property
    def previous_names(self) -> dict[str, str]:
        """The names of the campaigns the changes compare with, by slug (documents name campaigns, never
        their slugs); one query, none when no agency has a change."""
        slugs = {a.change.previous_campaign for a in self.agencies if a.change}
        return dict(Campaign.objects.filter(slug__in=slugs).values_list("slug", "name")) if slugs else {}

    def previous_name(self, level: Level) -> str | None:
        slug = level.previous_campaign
        return None if slug is None else self.previous_names.get(slug, slug)

    def _figures_of_group(self, key: str) -> dict:
        group = self._groups.get(key)
        return group.figures if group is not None else {}

    def group_figures(self, key: str) -> Figures:
        group = self._groups.get(key)
        return self.questionnaire.figures(group.figures if group else {}, group.counts if group else None)

    def group_drivers(self, key: str) -> tuple[DriverRow, ...]:
        return self.questionnaire.drivers(self._figures_of_group(key))

    def figures(self, row: AgencyRow) -> Figures:
        """An agency's figures as a whole run's documents show them: shares without the answer counts behind
        them, which only an agency's own page reads (present_agency)."""
        return self.questionnaire.figures(self._figures[row.agency_id], None)


def present_run(run: IndexRun) -> RunPresentation:
    """The rows of a whole run, in two queries (its agency results, its groups) besides the questionnaire's.
    The agencies' stored counts are not read: a ranking of a thousand agencies does not show them."""
    return RunPresentation(run, list(_stored_results(run).values(*STORED)), list(run.group_results.all()))


@dataclass(frozen=True)
class AgencyPresentation:
    """One agency's rows in a run: its headline, its level's headline and its figures."""

    row: AgencyRow
    level: GroupRow
    figures: Figures
    questionnaire: Questionnaire
    result: AgencyResult


def present_agency(
    run: IndexRun, agency_code: str, *, questionnaire: Questionnaire | None = None
) -> AgencyPresentation | None:
    """One agency of a run (None when the run has no result for it), in two queries besides the
    questionnaire's (give one already read to share it): its result with its minimum sample, and its level's
    group."""
    result = _stored_results(run).select_related("agency").filter(agency__code=agency_code).first()
    if result is None:
        return None
    target = run.campaign.target_percent
    group = run.group_results.filter(key=result.level).first()
    questionnaire = questionnaire or Questionnaire(run.campaign.methodology)
    return AgencyPresentation(
        row=_agency_row({name: getattr(result, name) for name in STORED}, target),
        level=_group_row(result.level, group.figures if group else {}, target),
        figures=questionnaire.figures(result.figures, result.counts),
        questionnaire=questionnaire,
        result=result,
    )


# --- Chart data -----------------------------------------------------------------------------------------------


def ranking_bars(rows: Sequence[AgencyRow], *, note: str = "") -> list[Bar]:
    """One bar per agency, lighter (and followed by `note`) for agencies under their minimum sample."""
    return [
        Bar(r.name, r.sipas.value, r.sipas.bounds, weak=not r.enough_sample, note="" if r.enough_sample else note)
        for r in rows
    ]


def factor_bars(figures: Figures) -> list[FactorBars]:
    return [
        FactorBars(f.label, f.evaluation.value, f.satisfaction.value, f.satisfaction.bounds) for f in figures.factors
    ]


def share_bars(rows: Sequence[ShareRow]) -> list[Bar]:
    return [Bar(r.label, r.share.value) for r in rows]


def factor_chart(figures: Figures, *, whose: str, width: int = 680) -> str:
    """The SVG chart of evaluation and satisfaction per factor, as every page and document draws it."""
    return charts.factor_chart(
        factor_bars(figures),
        title=_("Evaluation and satisfaction per factor: %(whose)s") % {"whose": whose},
        description=_("For each factor, the evaluation index of its criteria and the satisfaction index, 0–100."),
        width=width,
    )
