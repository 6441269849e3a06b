"""Builds the rows of reports.presentation.rows once from a stored run, for the officer and public pages, the
PDF, the workbook and DOCX templates. Every query is made here (`present_run`, `present_agency` and, on first
use, `Questionnaire`): a template that reads the rows never reaches the database."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from django.db.models import F, JSONField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.utils.translation import gettext as _

from reports import charts
from reports.charts import Bar, FactorBars
from reports.models import AgencyResult, GroupResult, IndexRun
from reports.presentation.labels import LEVELS, band_label, level_order, option_label
from reports.presentation.rows import (
    AgencyRow,
    Change,
    CriterionRow,
    DriverRow,
    FactorRow,
    FactRow,
    Figure,
    Figures,
    GradeRow,
    GroupRow,
    Level,
    PartRow,
    ShareRow,
    Threshold,
)
from reports.services import figures as formulas
from reports.services.aggregate import SINGLE_KINDS
from reports.services.figures import pooled_note, wilson
from surveys.models import (
    Campaign,
    CampaignAgency,
    Factor,
    IndexRule,
    Methodology,
    Question,
    QuestionKind,
    QuestionRole,
)
from surveys.models.methodology import pick_language

CAMPAIGN = "campaign"  # the GroupResult of the whole campaign; the others are levels


# --- The questionnaire ----------------------------------------------------------------------------------------


class Questionnaire:
    """A version's factors and the questions the figures report on. Given lists already read (load_questionnaires
    reads several versions in two queries), or read on first use (one query for the factors, one for the
    questions)."""

    def __init__(self, methodology: Methodology, factors: list | None = None, questions: list | None = None):
        self.methodology = methodology
        if factors is not None:
            self.factors = factors
        if questions is not None:
            self.questions = questions

    @property
    def code(self) -> str:
        return self.methodology.code

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
        """Expectations chosen from a list (multiple choice): shares per option, pooled into one list."""
        return [q for q in self.questions if q.role == QuestionRole.NEEDS and q.kind == QuestionKind.MULTI]

    @cached_property
    def ratings(self) -> list[Question]:
        """Expectations each rated on a scale (SIPAS-2023's 4 levels): shares per answer, like facts."""
        return [q for q in self.questions if q.role == QuestionRole.NEEDS and q.kind in SINGLE_KINDS and q.options]

    @cached_property
    def has_satisfaction(self) -> bool:
        return any(q.role == QuestionRole.FACTOR_SATISFACTION for q in self.questions)

    @property
    def in_parts(self) -> bool:
        return self.methodology.index_rule == IndexRule.PARTS

    def figures(self, figures: dict, counts: dict | None) -> Figures:
        """The rows of one agency's or group's figures; `counts` (None when unknown) give the answers behind
        each criterion and share, and the shares' Wilson intervals. Figures pooled over different versions
        (`comparable` in them) keep only the rows they hold: what every version asks alike."""
        intervals = figures.get("intervals") or {}
        satisfaction_bounds = intervals.get("satisfaction") or {}
        criterion_bounds = intervals.get("criteria") or {}
        factor_values = figures.get("factors") or {}
        criterion_values = figures.get("criteria") or {}
        changes = (figures.get("change") or {}).get("criteria") or {}
        fact_values = figures.get("facts") or {}
        rating_values = figures.get("ratings") or {}
        expectation_values = figures.get("expectations") or {}
        part_values = figures.get("parts") or {}
        pooled = bool(figures.get("comparable"))

        def kept(code: str, values: dict) -> bool:
            return not pooled or code in values

        def answered(code: str) -> int | None:
            return None if counts is None else counts.get(f"a:{code}", 0)

        def share(code: str, option: str, value: float | None) -> Figure:
            bounds = None if counts is None else wilson(counts.get(f"k:{code}:{option}", 0), counts.get(f"a:{code}", 0))
            return Figure(value, bounds)

        def shares(questions: list[Question], values: dict) -> tuple[FactRow, ...]:
            return tuple(
                FactRow(
                    q.code,
                    q.label,
                    answered(q.code),
                    tuple(
                        ShareRow(
                            o["code"],
                            option_label(o),
                            share(q.code, o["code"], (values.get(q.code) or {}).get(o["code"])),
                        )
                        for o in q.options
                    ),
                )
                for q in questions
                if kept(q.code, values)
            )

        parts = () if pooled and not part_values else tuple(
            PartRow(p["code"], pick_language(p.get("name", p["code"]), p.get("name_en", "")), p.get("weight"),
                    Figure(part_values.get(p["code"])))
            for p in (self.methodology.parts if self.in_parts else [])
        )  # fmt: skip
        return Figures(
            factors=tuple(
                FactorRow(
                    f.code,
                    f.label,
                    Figure((factor_values.get(f.code) or {}).get("evaluation")),
                    Figure((factor_values.get(f.code) or {}).get("satisfaction"), satisfaction_bounds.get(f.code)),
                    f.part if parts else "",
                )
                for f in self.factors
                if kept(f.code, factor_values)
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
                if kept(q.code, criterion_values)
            ),
            facts=shares(self.facts, fact_values),
            expectations=tuple(
                ShareRow(o["code"], option_label(o), share(q.code, o["code"], expectation_values.get(o["code"])))
                for q in self.needs
                for o in q.options
                if kept(o["code"], expectation_values)
            ),
            expectations_question=self.needs[0].label if self.needs else "",
            version=figures.get("version") or self.code,
            parts=parts,
            ratings=shares(self.ratings, rating_values),
            has_satisfaction=self.has_satisfaction,
        )

    def drivers(self, figures: dict) -> tuple[DriverRow, ...]:
        """The driver analysis of a group, strongest first (none for a version without a satisfaction question
        per factor and an overall one)."""
        labels = {f.code: f.label for f in self.factors}
        drivers = sorted((figures.get("drivers") or {}).items(), key=lambda i: (i[1]["r"] is None, -(i[1]["r"] or 0)))
        return tuple(DriverRow(code, labels.get(code, code), d["r"], d["pairs"]) for code, d in drivers if d["pairs"])


def load_questionnaires(codes: set[str]) -> dict[str, Questionnaire]:
    """The questionnaires of the versions `codes`, in three queries whatever their number."""
    versions = {m.pk: m for m in Methodology.objects.filter(code__in=codes)}
    factors: dict[int, list] = {pk: [] for pk in versions}
    questions: dict[int, list] = {pk: [] for pk in versions}
    for factor in Factor.objects.filter(methodology_id__in=versions).order_by("methodology_id", "order"):
        factors[factor.methodology_id].append(factor)
    for question in (
        Question.objects.filter(methodology_id__in=versions)
        .select_related("factor")
        .order_by("methodology_id", "order")
    ):
        questions[question.methodology_id].append(question)
    return {m.code: Questionnaire(m, factors[pk], questions[pk]) for pk, m in versions.items()}


# --- Building the rows ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grading:
    """A level's target and grading bands, as the run recorded them (run.summary["levels"])."""

    version: str
    target: float | None
    bands: tuple[dict, ...]

    def grade(self, sipas: float | None) -> str:
        band = formulas.grade(sipas, list(self.bands))
        return band_label(band) if band else ""


def gradings(run: IndexRun) -> dict[str, Grading]:
    """Each level's version, target and bands as the run recorded them; a run computed before versions per level
    (no "levels" in its summary) has the campaign's version and target for every level and no bands."""
    recorded = run.summary.get("levels")
    if recorded is None:
        campaign = run.campaign
        return {level: Grading(campaign.methodology.code, campaign.target_percent, ()) for level in LEVELS}
    return {
        level: Grading(version=values["version"], target=values.get("target"), bands=tuple(values.get("bands") or ()))
        for level, values in recorded.items()
    }


def _group_row(key: str, figures: dict, grading: Grading | None, target: float | None) -> GroupRow:
    intervals = figures.get("intervals") or {}
    thresholds = sorted((figures.get("thresholds") or {}).items(), key=lambda item: float(item[0]))
    comparable = figures.get("comparable")
    bands = figures.get("grades") or []
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
        version=", ".join(figures.get("versions") or ([grading.version] if grading else [])),
        target=target,
        meets_target=figures.get("meets_target"),
        grades=tuple(GradeRow(band_label(b), b["min"], b.get("agencies")) for b in bands),
        pooled_note=pooled_note(comparable),
        pooled_index=not comparable or bool(comparable.get("index")),
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
    )


# What a ranking reads of each stored agency result: its columns, its agency's code and name, its minimum sample,
# and of its figures only what a ranking shows (HL, the intervals of SIPAS and HL, the change without its
# criteria): decoding a thousand whole figures blobs costs more than the rest of a ranking page.
STORED = ("agency_id", "level", "rank", "n", "excluded", "sipas", "enough_sample", "code", "name", "minimum",
          "version", "hl", "sipas_bounds", "hl_bounds", "change")  # fmt: skip


def _stored_results(run: IndexRun):
    """The run's agency results as STORED values, in one query, unordered (the rows are sorted in Python)."""
    minimum = CampaignAgency.objects.filter(campaign_id=run.campaign_id, agency_id=OuterRef("agency_id"))
    return run.agency_results.order_by().annotate(  # through the run: each result knows its run without a query
        code=F("agency__code"),
        name=F("agency__name"),
        minimum=Subquery(minimum.values("min_sample")[:1]),
        version=KT("figures__version"),
        hl=F("figures__hl"),
        sipas_bounds=F("figures__intervals__sipas"),
        hl_bounds=F("figures__intervals__hl"),
        change=RawSQL("(reports_agencyresult.figures -> 'change') - 'criteria'", (), output_field=JSONField()),
    )


def _agency_row(stored: Mapping, grading: Grading, tied: bool = False) -> AgencyRow:
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
        sipas=Figure(sipas, stored["sipas_bounds"]),
        hl=Figure(stored["hl"], stored["hl_bounds"]),
        change=_change(stored["change"]),
        meets_target=formulas.meets(sipas, grading.target),
        grade=grading.grade(sipas) if stored["enough_sample"] else "",
    )


def _ranking_order(stored: Mapping) -> tuple:
    """Ranked agencies by rank, then the unranked by SIPAS (highest first), then those with no data."""
    rank, sipas = stored["rank"], stored["sipas"]
    return (rank is None, rank or 0, sipas is None, -(sipas or 0), stored["name"])


class RunPresentation:
    """Every row of a run: the campaign's headline, and per level its headline and its agencies in ranking
    order, each level with its own version, target and bands. Figures below the headlines (parts, factors,
    criteria, facts, expectations) are built on demand from each version's questionnaire, since a ranking page
    does not show them."""

    def __init__(self, run: IndexRun, results: list[dict], groups: list[GroupResult]):
        self.run = run
        self.campaign = run.campaign
        self.gradings = gradings(run)
        self._groups = {g.key: g for g in groups}
        overall = self._figures_of_group(CAMPAIGN)
        self.overall = _group_row(CAMPAIGN, overall, None, self.campaign.target_percent)
        levels = sorted({r["level"] for r in results}, key=level_order)
        self.levels = []
        for level in levels:
            grading = self.grading(level)
            ordered = sorted((r for r in results if r["level"] == level), key=_ranking_order)
            shared = Counter(r["rank"] for r in ordered if r["rank"] is not None)
            rows = tuple(_agency_row(r, grading, r["rank"] is not None and shared[r["rank"]] > 1) for r in ordered)
            group = _group_row(level, self._figures_of_group(level), grading, grading.target)
            self.levels.append(Level(group, rows))
        self._versions = {r["agency_id"]: r["version"] for r in results}

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
    def versions(self) -> list[str]:
        """The versions the run's levels answered, the campaign's default first."""
        default = self.campaign.methodology.code
        used = {self.version_of(level.key) for level in self.levels} or {default}
        return sorted(used, key=lambda code: (code != default, code))

    @property
    def mixed(self) -> bool:
        """Whether the levels answered different versions."""
        return len(self.versions) > 1

    @property
    def in_parts(self) -> bool:
        """Whether a level answered a version in parts (its interval is a conservative bound), from the levels'
        stored figures (no query)."""
        return any(self._figures_of_group(level.key).get("parts") for level in self.levels)

    def grading(self, level: str) -> Grading:
        """The level's recorded version, target and bands (the campaign's version and target, no bands, for a
        level the run did not record)."""
        found = self.gradings.get(level)
        if found is None:
            found = Grading(self.campaign.methodology.code, self.campaign.target_percent, ())
        return found

    def version_of(self, level: str) -> str:
        return self.grading(level).version

    @cached_property
    def questionnaires(self) -> dict[str, Questionnaire]:
        """The questionnaire of every version the run shows, read once (three queries) on first use."""
        codes = {*self.versions, *(v for v in self._versions.values() if v)}
        return load_questionnaires(codes)

    def questionnaire_for(self, code: str) -> Questionnaire:
        return self.questionnaires.get(code) or self.questionnaires[self.versions[0]]

    @property
    def questionnaire(self) -> Questionnaire:
        """The campaign's default version's questionnaire."""
        return self.questionnaire_for(self.versions[0])

    def level_questionnaire(self, level: str) -> Questionnaire:
        return self.questionnaire_for(self.version_of(level))

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

    def _group_questionnaire(self, key: str) -> Questionnaire:
        if key != CAMPAIGN:
            return self.level_questionnaire(key)
        return self.questionnaire  # pooled figures keep only the codes every version shares: any version labels them

    def group_figures(self, key: str) -> Figures:
        group = self._groups.get(key)
        questionnaire = self._group_questionnaire(key)
        return questionnaire.figures(group.figures if group else {}, group.counts if group else None)

    def group_drivers(self, key: str) -> tuple[DriverRow, ...]:
        return self._group_questionnaire(key).drivers(self._figures_of_group(key))

    @cached_property
    def _agency_figures(self) -> dict[int, dict]:
        """Every agency's whole figures, in one query on first use (documents read them; ranking pages do not)."""
        return dict(AgencyResult.objects.filter(run_id=self.run.pk).order_by().values_list("agency_id", "figures"))

    def figures(self, row: AgencyRow) -> Figures:
        """An agency's figures as a whole run's documents show them, by its own version: shares without the
        answer counts behind them, which only an agency's own page reads (present_agency)."""
        version = self._versions.get(row.agency_id) or self.version_of(row.level)
        return self.questionnaire_for(version).figures(self._agency_figures[row.agency_id], None)


def present_run(run: IndexRun) -> RunPresentation:
    """The rows of a whole run, in two queries (its agency results, its groups) besides the questionnaires' (three,
    on first use) and the agencies' whole figures (one, on first use). The agencies' stored counts are never read:
    a ranking of a thousand agencies does not show them."""
    return RunPresentation(run, list(_stored_results(run).values(*STORED)), list(run.group_results.all()))


@dataclass(frozen=True)
class AgencyPresentation:
    """One agency's rows in a run: its headline, its level's headline and its figures, by its own version."""

    row: AgencyRow
    level: GroupRow
    figures: Figures
    questionnaire: Questionnaire
    result: AgencyResult


def agency_questionnaire(campaign: Campaign, agency) -> Questionnaire:
    """The questionnaire the agency answers in the campaign (its level's version), read on first use."""
    version_id = campaign.methodology_id_for_kind(agency.kind)
    if version_id == campaign.methodology_id:
        return Questionnaire(campaign.methodology)
    return Questionnaire(Methodology.objects.get(pk=version_id))


def present_agency(
    run: IndexRun, agency_code: str, *, questionnaire: Questionnaire | None = None
) -> AgencyPresentation | None:
    """One agency of a run (None when the run has no result for it), in two queries besides the
    questionnaire's (give one already read to share it; by default, that of the version its result records):
    its result with its minimum sample, and its level's group."""
    result = _stored_results(run).select_related("agency").filter(agency__code=agency_code).first()
    if result is None:
        return None
    grading = gradings(run).get(result.level) or Grading(run.campaign.methodology.code, run.campaign.target_percent, ())
    group = run.group_results.filter(key=result.level).first()
    version = result.figures.get("version") or grading.version
    if questionnaire is None or questionnaire.code != version:
        methodology = run.campaign.methodology if version == run.campaign.methodology.code else None
        questionnaire = Questionnaire(methodology or Methodology.objects.get(code=version))
    return AgencyPresentation(
        row=_agency_row({name: getattr(result, name) for name in STORED}, grading),
        level=_group_row(result.level, group.figures if group else {}, grading, grading.target),
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
    """The SVG chart of evaluation and satisfaction per factor, as every page and document draws it (evaluation
    only for a version that asks no satisfaction per factor)."""
    if not figures.has_satisfaction:
        return charts.factor_chart(
            factor_bars(figures),
            title=_("Evaluation per factor: %(whose)s") % {"whose": whose},
            description=_("For each factor, the evaluation index of its criteria, 0–100."),
            width=width,
            satisfaction=False,
        )
    return charts.factor_chart(
        factor_bars(figures),
        title=_("Evaluation and satisfaction per factor: %(whose)s") % {"whose": whose},
        description=_("For each factor, the evaluation index of its criteria and the satisfaction index, 0–100."),
        width=width,
    )
