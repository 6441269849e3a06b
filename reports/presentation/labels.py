"""The words and number formats every page and document of a run uses, in one place: level titles, figures
rounded for display in the active language (2 decimals, "85,50" in Vietnamese, "—" for no data), counts,
intervals, changes and the notes on ranking and uncertainty."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from reports.charts import number
from surveys.models import FlagRule
from surveys.models.methodology import pick_language

__all__ = [
    "LEVELS",
    "LEVEL_COLUMNS",
    "LEVEL_TITLES",
    "band_label",
    "count",
    "day",
    "interval",
    "level_column",
    "level_order",
    "level_title",
    "moment",
    "number",
    "option_label",
    "place_date",
    "rank_change_text",
    "ranking_note",
    "real_text",
    "rule_label",
    "signed",
    "target_text",
    "uncertainty_note",
]  # fmt: skip

LEVELS = ("province", "department", "district", "commune")
LEVEL_TITLES = {
    "province": gettext_lazy("Province"),
    "department": gettext_lazy("Province-level agencies (departments, boards and sectors)"),
    "district": gettext_lazy("Districts"),
    "commune": gettext_lazy("Communes, wards and special zones"),
    "campaign": gettext_lazy("Whole campaign"),
}
# Short names for table columns, where the long titles above would not fit.
LEVEL_COLUMNS = {
    "province": gettext_lazy("Province"),
    "department": gettext_lazy("Province level"),
    "district": gettext_lazy("Districts"),
    "commune": gettext_lazy("Communes"),
    "campaign": gettext_lazy("All agencies"),
}


def level_title(level: str) -> str:
    return str(LEVEL_TITLES.get(level, level))


def level_column(level: str) -> str:
    return str(LEVEL_COLUMNS.get(level, level))


def level_order(level: str) -> tuple[int, str]:
    """Province, departments, districts, communes, then any other level by name."""
    return (LEVELS.index(level) if level in LEVELS else len(LEVELS), level)


def count(value: int | None) -> str:
    return "—" if value is None else formats.number_format(value, 0, use_l10n=True)


def interval(bounds: Sequence[float] | None) -> str:
    return f"{number(bounds[0])} – {number(bounds[1])}" if bounds else "—"


def signed(value: float | None) -> str:
    if value is None:
        return "—"
    return ("+" if value > 0 else "−" if value < 0 else "±") + number(abs(value))


def rank_change_text(change: int | None) -> str:
    """ "up 2 places" / "down 1 place" (Vietnamese "tăng 2 bậc" / "giảm 1 bậc"), or "unchanged"."""
    if change is None:
        return "—"
    if change == 0:
        return _("unchanged")
    if change > 0:
        return ngettext("up %(count)s place", "up %(count)s places", change) % {"count": change}
    return ngettext("down %(count)s place", "down %(count)s places", -change) % {"count": -change}


def real_text(real: bool | None) -> str:
    return {True: _("beyond chance"), False: _("within uncertainty")}.get(real, "—")


def moment(value) -> str:
    """A time as documents write it: dd/mm/yyyy hh:mm, local time."""
    return formats.date_format(timezone.localtime(value), "d/m/Y H:i") if value else "—"


def day(value) -> str:
    """A date as Decree 30/2020/NĐ-CP writes it in the body of a document: dd/mm/yyyy, in every language."""
    return formats.date_format(value, "d/m/Y") if value else "—"


def place_date(place: str, value) -> str:
    """The place and date line of a document: "Lạng Sơn, ngày 07 tháng 12 năm 2026" (day and month with two
    digits, "ngày" in lower case) in Vietnamese."""
    return _("%(place)s, %(day)s/%(month)s/%(year)s") % {
        "place": place,
        "day": f"{value.day:02d}",
        "month": f"{value.month:02d}",
        "year": value.year,
    }


def rule_label(rule: str) -> str:
    if rule in FlagRule.values:
        return str(FlagRule(rule).label)
    return _("Officer's decision without a rule") if rule == "manual" else rule


def option_label(option: dict) -> str:
    """An answer option's label in the active language."""
    return pick_language(option.get("label", option["code"]), option.get("label_en", ""))


def uncertainty_note(*, parts: bool = False) -> str:
    """What the intervals are; with `parts`, also how they are bounded for a version in parts (SIPAS-2023)."""
    note = _(
        "The project's addition (official reports show no uncertainty): every share carries a 95% Wilson "
        "interval; the interval of SIPAS comes from the delta method applied to the mean of the factor "
        "satisfaction indices, with their covariances estimated from respondents who answered both questions. "
        "A change against the previous campaign is called beyond chance only when the 95% interval of the "
        "difference excludes zero."
    )
    if parts:
        note += " " + _(
            "For a questionnaire in parts (such as SIPAS-2023), SIPAS is a weighted mean of its items' indices and "
            "its interval assumes the items perfectly correlated: a conservative bound, wider than the true interval."
        )
    return note


def target_text(target: float | None) -> str:
    """A target as documents write it: "90" for a whole number, else with 2 decimals; "—" without one."""
    if target is None:
        return "—"
    return number(target, 0 if float(target).is_integer() else 2)


def band_label(band: dict) -> str:
    """A grading band's label in the active language."""
    return pick_language(band.get("label", ""), band.get("label_en", ""))


def ranking_note() -> str:
    return _(
        "Agencies are ranked within their level by SIPAS, highest first; values equal at 2 decimals share a "
        "rank. Agencies under their minimum sample are listed with their figures but not ranked."
    )
