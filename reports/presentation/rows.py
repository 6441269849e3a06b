"""A run's figures as typed rows: frozen dataclasses holding raw values (full precision, None for no data: what
the workbook writes) that say how they read in the active language through `text` properties (what pages and
documents print, DOCX templates included), so that no renderer formats or looks a figure up by itself."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from reports.presentation.labels import (
    count,
    interval,
    level_column,
    level_title,
    number,
    rank_change_text,
    real_text,
    signed,
    target_text,
)


@dataclass(frozen=True)
class Figure:
    """An index 0–100 (None: no data) and its 95% interval (None where there is none)."""

    value: float | None
    bounds: tuple[float, float] | None = None

    @property
    def text(self) -> str:
        return number(self.value)

    @property
    def interval_text(self) -> str:
        return interval(self.bounds)


NO_FIGURE = Figure(None)


@dataclass(frozen=True)
class FactorRow:
    code: str
    label: str
    evaluation: Figure  # mean of its criteria's indices
    satisfaction: Figure  # with its interval (None for a version that asks no satisfaction per factor)
    part: str = ""  # the code of its part, for a version in parts


@dataclass(frozen=True)
class PartRow:
    """A part of a version whose index combines parts by weights (SIPAS-2023's policy and service parts): its index,
    the mean of its items' indices, and its weight in the version's setting."""

    code: str
    label: str
    weight: float | None
    index: Figure

    @property
    def weight_text(self) -> str:
        return "—" if self.weight is None else f"{self.weight:g}"


@dataclass(frozen=True)
class GradeRow:
    """A grading band of a level (best first) and how many ranked agencies of the level reach it."""

    label: str
    lower: float
    agencies: int | None

    @property
    def lower_text(self) -> str:
        return number(self.lower, 0)


@dataclass(frozen=True)
class CriterionRow:
    code: str
    label: str
    factor_code: str
    factor_label: str
    index: Figure
    answered: int | None  # None where the counts are not known (a weighted group)
    change: float | None = None  # since the previous campaign, in points

    @property
    def change_text(self) -> str:
        return signed(self.change)


@dataclass(frozen=True)
class ShareRow:
    """One answer option of a reported fact or an expectation: the share of respondents who chose it."""

    code: str
    label: str
    share: Figure


@dataclass(frozen=True)
class FactRow:
    code: str
    label: str
    answered: int | None
    options: tuple[ShareRow, ...]


@dataclass(frozen=True)
class DriverRow:
    """How strongly satisfaction with a factor moves with overall satisfaction (Pearson r over `pairs`)."""

    code: str
    label: str
    r: float | None
    pairs: int

    @property
    def r_text(self) -> str:
        return number(self.r, 3)


@dataclass(frozen=True)
class Threshold:
    mark: float
    agencies: int
    is_target: bool

    @property
    def mark_text(self) -> str:
        return number(self.mark, 0)


@dataclass(frozen=True)
class Change:
    """An agency against the previous campaign (or, `merged`, against the units it absorbed, pooled)."""

    previous_campaign: str  # its slug
    merged: bool
    previous_sipas: float | None
    sipas_change: float | None
    real: bool | None  # the change is beyond chance
    previous_rank: int | None
    rank_change: int | None  # places up

    @property
    def previous_sipas_text(self) -> str:
        return number(self.previous_sipas)

    @property
    def sipas_change_text(self) -> str:
        return signed(self.sipas_change)

    @property
    def rank_change_text(self) -> str:
        return "" if self.rank_change is None else rank_change_text(self.rank_change)

    @property
    def real_text(self) -> str:
        return real_text(self.real)


@dataclass(frozen=True)
class Figures:
    """Every figure of an agency or a group below its headline, in the questionnaire's order."""

    factors: tuple[FactorRow, ...]
    criteria: tuple[CriterionRow, ...]
    facts: tuple[FactRow, ...]
    expectations: tuple[ShareRow, ...]
    expectations_question: str  # the question the expectations answer ("" without one)
    version: str = ""  # the questionnaire's code; for pooled figures, the versions joined by "+"
    parts: tuple[PartRow, ...] = ()  # a version in parts (SIPAS-2023)
    ratings: tuple[FactRow, ...] = ()  # expectations rated on a scale (SIPAS-2023's 4 levels): shares per answer
    has_satisfaction: bool = True  # the version asks the satisfaction with each factor (SIPAS-2017 does)

    def weakest(self, size: int) -> tuple[CriterionRow, ...]:
        """The `size` criteria with the lowest index (no data left out), lowest first."""
        return tuple(
            sorted((c for c in self.criteria if c.index.value is not None), key=lambda c: c.index.value)[:size]
        )

    @property
    def factors_by_part(self) -> list[tuple[PartRow | None, tuple[FactorRow, ...]]]:
        """The factors under their part (one group with no part for a version without parts)."""
        if not self.parts:
            return [(None, self.factors)]
        return [(p, tuple(f for f in self.factors if f.part == p.code)) for p in self.parts]

    @property
    def criteria_by_factor(self) -> list[tuple[FactorRow, tuple[CriterionRow, ...]]]:
        return [(f, tuple(c for c in self.criteria if c.factor_code == f.code)) for f in self.factors]

    @property
    def expectations_ranked(self) -> tuple[ShareRow, ...]:
        """Most chosen first, options nobody was asked about last."""
        return tuple(sorted(self.expectations, key=lambda e: (e.share.value is None, -(e.share.value or 0))))


@dataclass(frozen=True)
class GroupRow:
    """The headline of a level or of the whole campaign (`key` "campaign")."""

    key: str
    n: int | None
    sipas: Figure
    hl: Figure
    agencies: int | None
    ranked: int | None
    sipas_min: Figure
    sipas_max: Figure
    thresholds: tuple[Threshold, ...]
    weighted: bool
    version: str = ""  # the questionnaire of a level; for the whole campaign, its versions joined by ", "
    target: float | None = None  # the level's target (the campaign's, for the whole campaign)
    meets_target: int | None = None  # ranked agencies of the level that reach its target
    grades: tuple[GradeRow, ...] = ()  # the level's grading bands, best first, with their agencies
    pooled_note: str = ""  # figures pooled over different versions: what was combined (figures.pooled_note)
    pooled_index: bool = True  # False: the versions pooled define the index differently, so it is not pooled

    @property
    def title(self) -> str:
        return level_title(self.key)

    @property
    def target_text(self) -> str:
        return target_text(self.target)

    @property
    def sipas_text(self) -> str:
        """SIPAS as a page prints it: "not pooled" where the versions pooled define it differently."""
        return self.sipas.text if self.pooled_index else _("not pooled")

    @property
    def column(self) -> str:
        return level_column(self.key)

    @property
    def n_text(self) -> str:
        return count(self.n)

    @property
    def agencies_text(self) -> str:
        return count(self.agencies)

    @property
    def ranked_text(self) -> str:
        return count(self.ranked)


@dataclass(frozen=True)
class AgencyRow:
    agency_id: int
    code: str
    name: str
    level: str
    rank: int | None
    tied: bool  # shares its rank with another agency of its level
    n: int
    excluded: int
    minimum: int | None  # its minimum sample in the campaign
    enough_sample: bool
    sipas: Figure
    hl: Figure
    change: Change | None
    meets_target: bool | None  # None without a target or without data
    grade: str = ""  # the label of the level's band its SIPAS reaches ("" without bands or below every band)

    @property
    def status(self) -> str:
        """ "ranked", "not_enough" (under its minimum sample) or "no_data"."""
        if self.rank is not None:
            return "ranked"
        return "no_data" if self.enough_sample else "not_enough"

    @property
    def level_title(self) -> str:
        return level_title(self.level)

    @property
    def level_column(self) -> str:
        return level_column(self.level)

    @property
    def n_text(self) -> str:
        return count(self.n)

    @property
    def excluded_text(self) -> str:
        return count(self.excluded)

    @property
    def meets_target_text(self) -> str:
        return {True: _("yes"), False: _("no")}.get(self.meets_target, "—")

    @property
    def minimum_text(self) -> str:
        return count(self.minimum)


@dataclass(frozen=True)
class Level:
    group: GroupRow
    agencies: tuple[AgencyRow, ...]  # ranked by rank, then the unranked by SIPAS, then those with no data

    @property
    def key(self) -> str:
        return self.group.key

    @property
    def title(self) -> str:
        return self.group.title

    @property
    def version(self) -> str:
        return self.group.version

    @property
    def previous_campaign(self) -> str | None:
        return next((a.change.previous_campaign for a in self.agencies if a.change), None)

    @property
    def leaders(self) -> list[str]:
        return [a.name for a in self.agencies if a.rank == 1]
