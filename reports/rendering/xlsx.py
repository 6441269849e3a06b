"""The report as an Excel workbook (openpyxl): numbers at full precision with a 2-decimal format."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy

from reports.models import AgencyResult, IndexRun
from reports.rendering.report import (
    LEVEL_COLUMNS,
    Report,
    _column_keys,
    _cover,
    _method,
    level_title,
    load_report,
    ranking_note,
    rule_label,
    uncertainty_note,
)
from surveys.models import Channel, QuestionRole

INDEX_FORMAT = "0.00"
COUNT_FORMAT = "#,##0"


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "index"  # index (2 decimals), count, text


def render_xlsx(run: IndexRun, *, language: str | None = None) -> bytes:
    """The report as a workbook: a summary, a ranking sheet per level, criteria and facts per agency, and
    the method. Numbers are cells holding the full-precision figure with a 2-decimal format; empty cells are
    "no data". Written in openpyxl's write-only (streaming) mode, so its memory does not grow with rows."""
    from openpyxl import Workbook

    with translation.override(language or settings.LANGUAGE_CODE):
        report = load_report(run)
        book = Workbook(write_only=True)
        used: set[str] = set()
        _summary_sheet(book, report, used)
        for level in report.levels:
            _ranking_sheet(book, report, level, used)
        _criteria_sheet(book, report, used)
        _facts_sheet(book, report, used)
        _method_sheet(book, report, used)
        buffer = io.BytesIO()
        book.save(buffer)
    return buffer.getvalue()


def sheet_title(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of \\ / * ? : [ ], unique in the workbook."""
    base = re.sub(r"[\\/*?:\[\]]", "-", title).strip()[:31] or "Sheet"
    name, i = base, 2
    while name.lower() in used:
        name = f"{base[: 31 - len(str(i)) - 1]} {i}"
        i += 1
    used.add(name.lower())
    return name


def _table(book, title: str, used: set[str], columns: Sequence[Column], rows: Iterable[Sequence], freeze: str = "A2"):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(sheet_title(title, used))
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = freeze
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    wrap = Alignment(wrap_text=True, vertical="top")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        header.append(cell)
    sheet.append(header)
    formats_by_kind = {"index": INDEX_FORMAT, "count": COUNT_FORMAT}
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=False):
            cell = WriteOnlyCell(sheet, value=value)
            if column.kind in formats_by_kind and isinstance(value, int | float):
                cell.number_format = formats_by_kind[column.kind]
            cells.append(cell)
        sheet.append(cells)
    return sheet


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else (_("Yes") if value else _("No"))


def _figure_columns(report: Report) -> list[Column]:
    return [
        Column(_("Responses"), 11, "count"),
        Column(_("SIPAS"), 9),
        Column(_("SIPAS 95% low"), 10),
        Column(_("SIPAS 95% high"), 10),
        Column(_("Overall satisfaction (HL)"), 12),
        *[Column(_("Satisfaction %(factor)s") % {"factor": f.code}, 12) for f in report.factors],
        *[Column(_("Evaluation %(factor)s") % {"factor": f.code}, 12) for f in report.factors],
    ]


def _figure_values(report: Report, figures: dict) -> list:
    sipas_interval = (figures.get("intervals") or {}).get("sipas") or [None, None]
    factors = figures.get("factors") or {}
    return [
        figures.get("n"),
        figures.get("sipas"),
        *sipas_interval,
        figures.get("hl"),
        *[factors.get(f.code, {}).get("satisfaction") for f in report.factors],
        *[factors.get(f.code, {}).get("evaluation") for f in report.factors],
    ]


def _summary_sheet(book, report: Report, used: set[str]) -> None:
    marks = sorted({m for figures in report.groups.values() for m in (figures.get("thresholds") or {})}, key=float)
    columns = [
        Column(_("Group"), 34, "text"),
        Column(_("Agencies"), 10, "count"),
        Column(_("Ranked"), 10, "count"),
        *_figure_columns(report),
        Column(_("Lowest SIPAS"), 11),
        Column(_("Highest SIPAS"), 11),
        *[Column(_("Agencies with SIPAS ≥ %(mark)s") % {"mark": mark}, 14, "count") for mark in marks],
    ]
    rows = []
    for key in _column_keys(report):
        figures = report.groups.get(key) or {}
        thresholds = figures.get("thresholds") or {}
        rows.append(
            [level_title(key), figures.get("agencies"), figures.get("ranked"), *_figure_values(report, figures),
             figures.get("sipas_min"), figures.get("sipas_max"), *[thresholds.get(mark) for mark in marks]]
        )  # fmt: skip
    rows += [
        [],
        *([label, value] for label, value in _cover(report)["rows"]),
        [_("Inputs checksum"), report.run.checksum],
    ]
    _table(book, pgettext("sheet name", "Summary"), used, columns, rows, freeze="B2")


RANKING_SHEETS = {
    "province": pgettext_lazy("sheet name", "Ranking – province"),
    "department": pgettext_lazy("sheet name", "Ranking – departments"),
    "district": pgettext_lazy("sheet name", "Ranking – districts"),
    "commune": pgettext_lazy("sheet name", "Ranking – communes"),
}


def _ranking_sheet(book, report: Report, level: str, used: set[str]) -> None:
    target = report.campaign.target_percent
    columns = [
        Column(_("Rank"), 7, "count"),
        Column(_("Code"), 10, "text"),
        Column(_("Agency"), 36, "text"),
        *_figure_columns(report),
        Column(_("Excluded responses"), 11, "count"),
        Column(_("Minimum sample"), 10, "count"),
        Column(_("Enough responses"), 10, "text"),
        Column(_("Meets the target"), 10, "text"),
        Column(_("Previous SIPAS"), 10),
        Column(_("Change in SIPAS"), 10),
        Column(_("Change beyond chance"), 11, "text"),
        Column(_("Previous rank"), 9, "count"),
        Column(_("Rank change (places up)"), 11, "count"),
    ]
    rows = []
    for result in report.of_level(level):
        change = result.figures.get("change") or {}
        participant = report.participants.get(result.agency_id)
        meets = None if target is None or result.sipas is None else result.sipas >= target
        rows.append(
            [result.rank, result.agency.code, result.agency.name, *_figure_values(report, result.figures),
             result.excluded, participant.min_sample if participant else None, _yes_no(result.enough_sample),
             _yes_no(meets), change.get("previous_sipas"), change.get("sipas_change"), _yes_no(change.get("real")),
             change.get("previous_rank"), change.get("rank_change")]
        )  # fmt: skip
    title = str(RANKING_SHEETS.get(level, pgettext("sheet name", "Ranking – %(level)s") % {"level": level}))
    _table(book, title, used, columns, rows, freeze="D2")


def _agency_columns() -> list[Column]:
    return [Column(_("Level"), 14, "text"), Column(_("Code"), 10, "text"), Column(_("Agency"), 36, "text"),
            Column(_("Responses"), 10, "count")]  # fmt: skip


def _agency_values(result: AgencyResult) -> list:
    return [str(LEVEL_COLUMNS.get(result.level, result.level)), result.agency.code, result.agency.name, result.n]


def _criteria_sheet(book, report: Report, used: set[str]) -> None:
    codes = [q.code for questions in report.criteria.values() for q in questions]
    columns = [*_agency_columns(), *[Column(code, 8) for code in codes]]
    rows = ([*_agency_values(r), *[r.figures["criteria"].get(code) for code in codes]] for r in report.results)
    _table(book, pgettext("sheet name", "Criteria"), used, columns, rows, freeze="E2")


def _facts_sheet(book, report: Report, used: set[str]) -> None:
    facts = [
        (q.code, option["code"])
        for q in report.questions.values()
        if q.role in (QuestionRole.FACT, QuestionRole.FILTER)
        for option in q.options
    ]
    needs = [
        (q.code, option["code"])
        for q in report.questions.values()
        if q.role == QuestionRole.NEEDS
        for option in q.options
    ]
    columns = [
        *_agency_columns(),
        *[Column(f"{code}={option}", 8) for code, option in facts],
        *[Column(option, 8) for _code, option in needs],
    ]
    rows = (
        [
            *_agency_values(r),
            *[(r.figures.get("facts") or {}).get(code, {}).get(option) for code, option in facts],
            *[(r.figures.get("expectations") or {}).get(option) for _code, option in needs],
        ]
        for r in report.results
    )
    _table(book, pgettext("sheet name", "Facts and expectations"), used, columns, rows, freeze="E2")


def _method_sheet(book, report: Report, used: set[str]) -> None:
    method = _method(report)
    rows = [
        [_("Methodology"), method["methodology"]],
        [_("Scoring"), method["scoring"]],
        [_("Positive answer"), _("%(min)s or more on the 5-level scale") % {"min": method["positive_min"]}],
        [_("Responses counted"), report.run.responses_counted],
        [_("Responses excluded"), report.run.responses_excluded],
        *([_("Excluded: %(rule)s") % {"rule": rule_label(rule)}, n] for rule, n in sorted(report.run.excluded_by_rule.items())),
        [_("Channels allowed"), method["channels_allowed"]],
        *([_("Responses by channel: %(channel)s") % {"channel": Channel(c).label if c in Channel.values else c}, n]
          for c, n in sorted(report.channels.items())),
        [_("Paper forms issued"), sum(p.forms_issued for p in report.participants.values())],
        [_("Paper forms returned"), sum(p.forms_returned for p in report.participants.values())],
        [_("Valid paper forms"), sum(p.forms_valid for p in report.participants.values())],
        *([_("Minimum sample"), line] for line in method["samples"]),
        [_("Uncertainty"), uncertainty_note()],
        [_("Ranking"), ranking_note()],
        [],
        *([code, report.question_label(code)] for questions in report.criteria.values() for code in (q.code for q in questions)),
        *([f"{q.code}={o['code']}", f"{q.label}: {report.option_label(q.code, o['code'])}"]
          for q in report.questions.values() if q.role in (QuestionRole.FACT, QuestionRole.FILTER) for o in q.options),
        *([o["code"], report.option_label(q.code, o["code"])]
          for q in report.questions.values() if q.role == QuestionRole.NEEDS for o in q.options),
    ]  # fmt: skip
    _table(
        book,
        pgettext("sheet name", "Method"),
        used,
        [Column(_("Item"), 34, "text"), Column(_("Value"), 90, "count")],
        rows,
    )
