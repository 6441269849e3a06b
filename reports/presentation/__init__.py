"""One presenter of a run's figures for every page and document: typed rows (rows.py) built once from a run
(presenter.py), and the words and number formats they read in (labels.py)."""

from reports.presentation.labels import (
    LEVEL_COLUMNS,
    LEVEL_TITLES,
    LEVELS,
    count,
    day,
    interval,
    level_column,
    level_order,
    level_title,
    moment,
    number,
    option_label,
    place_date,
    rank_change_text,
    ranking_note,
    real_text,
    rule_label,
    signed,
    uncertainty_note,
)
from reports.presentation.presenter import (
    CAMPAIGN,
    AgencyPresentation,
    Questionnaire,
    RunPresentation,
    factor_bars,
    factor_chart,
    present_agency,
    present_run,
    ranking_bars,
    share_bars,
)
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

__all__ = [
    "CAMPAIGN", "LEVELS", "LEVEL_COLUMNS", "LEVEL_TITLES", "AgencyPresentation", "AgencyRow", "Change",
    "CriterionRow", "DriverRow", "FactRow", "FactorRow", "Figure", "Figures", "GroupRow", "Level", "Questionnaire",
    "RunPresentation", "ShareRow", "Threshold", "count", "day", "factor_bars", "factor_chart", "interval", "level_column",
    "level_order", "level_title", "moment", "number", "option_label", "place_date", "present_agency", "present_run",
    "rank_change_text", "ranking_bars", "ranking_note", "real_text", "rule_label", "share_bars", "signed",
    "uncertainty_note",
]  # fmt: skip
