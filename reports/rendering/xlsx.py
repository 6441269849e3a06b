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

from reports.models import IndexRun
from reports.presentation import (
    AgencyRow,
    Figures,
    GroupRow,
    option_label,
    ranking_note,
    rule_label,
)
from reports.rendering.report import Report, _cover, _method, load_report, paper
from sipas.cells import inert
from surveys.models import Channel

INDEX_FORMAT = "0.00"
COUNT_FORMAT = "#,##0"


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str = "index"  # index (2 decimals), count, text


def render_xlsx(run: IndexRun, *, language: str | None = None) -> bytes:
    """The report as a workbook for people: a summary, a ranking sheet per level, criteria and facts per
    agency (the question's text beside every code), the comments, the method and a data dictionary. Numbers
    are cells holding the full-precision figure with a 2-decimal format; empty cells are "no data". Every
    sheet has its header frozen and filtered and prints on A4 landscape, fitted to the width, with the header
    repeated. Written in openpyxl's write-only (streaming) mode, so its memory does not grow with rows."""
    from openpyxl import Workbook

    with translation.override(language or settings.LANGUAGE_CODE):
        report = load_report(run)
        book = Workbook(write_only=True)
        used: set[str] = set()
        _summary_sheet(book, report, used)
        for level in report.presentation.levels:
            _ranking_sheet(book, report, level, used)
        _criteria_sheet(book, report, used)
        _facts_sheet(book, report, used)
        _comments_sheet(book, report, used)
        _method_sheet(book, report, used)
        _dictionary_sheet(book, report, used)
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


def _table(
    book,
    title: str,
    used: set[str],
    columns: Sequence[Column],
    rows: Iterable[Sequence],
    freeze: str = "A2",
    *,
    filtered: bool = True,
):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(sheet_title(title, used))
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = freeze
    sheet.sheet_properties.pageSetUpPr.fitToPage = True  # written with the sheet's head, before any row
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DCE6F1")
    wrap = Alignment(wrap_text=True, vertical="top")
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=inert(column.header))
        cell.font, cell.fill, cell.alignment = bold, fill, wrap
        header.append(cell)
    sheet.append(header)
    formats_by_kind = {"index": INDEX_FORMAT, "count": COUNT_FORMAT}
    written = 1
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=False):
            cell = WriteOnlyCell(sheet, value=inert(value))  # names and comments come from uploads and forms
            if column.kind in formats_by_kind and isinstance(value, int | float):
                cell.number_format = formats_by_kind[column.kind]
            cells.append(cell)
        sheet.append(cells)
        written += 1
    if filtered:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{written}"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    return sheet


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else (_("Yes") if value else _("No"))


def _figure_columns(questionnaire=None) -> list[Column]:
    """The headline columns, and with a questionnaire its parts and its factors' figures."""
    factors = questionnaire.factors if questionnaire else []
    parts = questionnaire.methodology.parts if questionnaire and questionnaire.in_parts else []
    satisfaction = questionnaire.has_satisfaction if questionnaire else False
    return [
        Column(_("Responses"), 11, "count"),
        Column(_("SIPAS"), 9),
        Column(_("SIPAS, 95% interval: low"), 10),
        Column(_("SIPAS, 95% interval: high"), 10),
        Column(_("Overall satisfaction (HL)"), 12),
        *[Column(_("Part %(part)s") % {"part": p["code"]}, 10) for p in parts],
        *[Column(_("Satisfaction %(factor)s") % {"factor": f.code}, 12) for f in factors if satisfaction],
        *[Column(_("Evaluation %(factor)s") % {"factor": f.code}, 12) for f in factors],
    ]


def _figure_values(row: GroupRow | AgencyRow, figures: Figures | None) -> list:
    if figures is None:
        return [row.n, row.sipas.value, *(row.sipas.bounds or [None, None]), row.hl.value]
    return [
        row.n,
        row.sipas.value,
        *(row.sipas.bounds or [None, None]),
        row.hl.value,
        *[p.index.value for p in figures.parts],
        *[f.satisfaction.value for f in figures.factors if figures.has_satisfaction],
        *[f.evaluation.value for f in figures.factors],
    ]


def _summary_sheet(book, report: Report, used: set[str]) -> None:
    presentation = report.presentation
    groups = presentation.groups
    marks = sorted({t.mark for group in groups for t in group.thresholds})
    # One version: its factors for every group. Versions per level: the headline figures only, each level's
    # factors being on its ranking sheet.
    questionnaire = None if presentation.mixed else presentation.questionnaire
    columns = [
        Column(_("Group"), 34, "text"),
        Column(_("Questionnaire"), 14, "text"),
        Column(_("Agencies"), 10, "count"),
        Column(_("Ranked"), 10, "count"),
        *_figure_columns(questionnaire),
        Column(_("Lowest SIPAS"), 11),
        Column(_("Highest SIPAS"), 11),
        Column(_("Target"), 9),
        Column(_("Ranked agencies meeting the target"), 14, "count"),
        *[Column(_("Agencies with SIPAS ≥ %(mark)s") % {"mark": f"{mark:g}"}, 14, "count") for mark in marks],
    ]
    rows = []
    for group in groups:
        thresholds = {t.mark: t.agencies for t in group.thresholds}
        figures = presentation.group_figures(group.key) if questionnaire else None
        sipas = group.sipas.value if group.pooled_index else _("not pooled")
        rows.append(
            [group.title, group.version, group.agencies, group.ranked, group.n, sipas,
             *_figure_values(group, figures)[2:], group.sipas_min.value, group.sipas_max.value, group.target,
             group.meets_target if group.key != "campaign" else None, *[thresholds.get(mark) for mark in marks]]
        )  # fmt: skip
    grades = [(level.title, g) for level in presentation.levels for g in level.group.grades]
    if grades:
        rows += [[], [_("Grade"), _("Level"), _("Lowest SIPAS"), _("Ranked agencies")]]
        rows += [[g.label, title, g.lower, g.agencies] for title, g in grades]
    if presentation.overall.pooled_note:
        rows += [[], [presentation.overall.pooled_note]]
    rows += [
        [],
        *([label, value] for label, value in _cover(report)["rows"]),
        [_("Inputs checksum"), report.run.checksum],
    ]
    _table(book, pgettext("sheet name", "Summary"), used, columns, rows, freeze="B2", filtered=False)


RANKING_SHEETS = {
    "province": pgettext_lazy("sheet name", "Ranking – province"),
    "department": pgettext_lazy("sheet name", "Ranking – departments"),
    "district": pgettext_lazy("sheet name", "Ranking – districts"),
    "commune": pgettext_lazy("sheet name", "Ranking – communes"),
}


def _ranking_sheet(book, report: Report, level, used: set[str]) -> None:
    questionnaire = report.presentation.level_questionnaire(level.key)
    columns = [
        Column(_("Rank"), 7, "count"),
        Column(_("Code"), 10, "text"),
        Column(_("Agency"), 36, "text"),
        *_figure_columns(questionnaire),
        Column(_("Excluded responses"), 11, "count"),
        Column(_("Minimum sample"), 10, "count"),
        Column(_("Enough responses"), 10, "text"),
        Column(_("Meets the target"), 10, "text"),
        Column(_("Grade"), 12, "text"),
        Column(_("Previous SIPAS"), 10),
        Column(_("Change in SIPAS"), 10),
        Column(_("Change beyond chance"), 11, "text"),
        Column(_("Previous rank"), 9, "count"),
        Column(_("Rank change (places up)"), 11, "count"),
    ]
    rows = []
    for row in level.agencies:
        change = row.change
        rows.append(
            [row.rank, row.code, row.name, *_figure_values(row, report.presentation.figures(row)), row.excluded,
             row.minimum, _yes_no(row.enough_sample), _yes_no(row.meets_target), row.grade or None,
             change.previous_sipas if change else None, change.sipas_change if change else None,
             _yes_no(change.real) if change else None, change.previous_rank if change else None,
             change.rank_change if change else None]
        )  # fmt: skip
    title = str(RANKING_SHEETS.get(level.key, pgettext("sheet name", "Ranking – %(level)s") % {"level": level.key}))
    _table(book, title, used, columns, rows, freeze="D2")


def _agency_columns() -> list[Column]:
    return [Column(_("Level"), 14, "text"), Column(_("Code"), 10, "text"), Column(_("Agency"), 36, "text"),
            Column(_("Responses"), 10, "count")]  # fmt: skip


def _agency_values(row: AgencyRow) -> list:
    return [row.level_column, row.code, row.name, row.n]


def _by_version(report: Report) -> list[tuple[str, object, list[AgencyRow]]]:
    """Each version with its questionnaire and the agencies that answered it, and the suffix its sheets' names
    carry ("" for a campaign with one version)."""
    presentation = report.presentation
    result = []
    for code in presentation.versions:
        rows = [row for level in presentation.levels if presentation.version_of(level.key) == code
                for row in level.agencies]  # fmt: skip
        suffix = f" – {code}" if presentation.mixed else ""
        result.append((suffix, presentation.questionnaire_for(code), rows))
    return result


def _criteria_sheet(book, report: Report, used: set[str]) -> None:
    presentation = report.presentation
    for suffix, questionnaire, agencies in _by_version(report):
        codes = [q.code for q in questionnaire.criteria]
        labels = {q.code: q.label for q in questionnaire.criteria}
        columns = [*_agency_columns(), *[Column(f"{code}\n{labels[code]}", 14) for code in codes]]

        def values(row: AgencyRow, codes=codes) -> list:
            criteria = {c.code: c.index.value for c in presentation.figures(row).criteria}
            return [*_agency_values(row), *[criteria.get(code) for code in codes]]

        _table(book, pgettext("sheet name", "Criteria") + suffix, used, columns, map(values, agencies), freeze="E2")


def _facts_sheet(book, report: Report, used: set[str]) -> None:
    presentation = report.presentation
    for suffix, questionnaire, agencies in _by_version(report):
        shared = [*questionnaire.facts, *questionnaire.ratings]
        columns = [
            *_agency_columns(),
            *[Column(f"{q.code}={option['code']}\n{q.label}: {option_label(option)}", 14)
              for q in shared for option in q.options],
            *[Column(f"{option['code']}\n{option_label(option)}", 14) for q in questionnaire.needs
              for option in q.options],
        ]  # fmt: skip

        def values(row: AgencyRow) -> list:
            figures = presentation.figures(row)
            return [
                *_agency_values(row),
                *[option.share.value for fact in (*figures.facts, *figures.ratings) for option in fact.options],
                *[option.share.value for option in figures.expectations],
            ]

        _table(book, pgettext("sheet name", "Facts and expectations") + suffix, used, columns, map(values, agencies),
               freeze="E2")  # fmt: skip


def _method_sheet(book, report: Report, used: set[str]) -> None:
    method = _method(report)
    forms = paper(report)
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
        [_("Paper forms issued"), forms.issued if forms.issued is not None else "—"],
        [_("Paper forms returned"), forms.returned],
        [_("Valid paper forms"), forms.valid],
        *([_("Minimum sample"), line] for line in method["samples"]),
        [_("Uncertainty"), method["uncertainty_note"]],
        [_("Ranking"), ranking_note()],
        [_("Inputs checksum"), report.run.checksum],
    ]  # fmt: skip
    _table(
        book,
        pgettext("sheet name", "Method"),
        used,
        [Column(_("Item"), 34, "text"), Column(_("Value"), 90, "count")],
        rows,
        filtered=False,
    )


def _comments_sheet(book, report: Report, used: set[str]) -> None:
    """The free comments of the counted responses, per agency, read from a server-side cursor."""
    from django.utils import timezone

    from reports.comments import COMMENT_CODE
    from surveys.models import Response

    comments = (
        Response.objects.filter(campaign_id=report.campaign.pk, excluded=False, answers__has_key=COMMENT_CODE)
        .exclude(**{f"answers__{COMMENT_CODE}": ""})
        .order_by("agency__path", "submitted_at", "pk")
        .values_list("agency__code", "agency__name", "submitted_at", f"answers__{COMMENT_CODE}")
    )
    rows = (
        [code, name, timezone.localtime(moment).strftime("%d/%m/%Y") if moment else None, text]
        for code, name, moment, text in comments.iterator(chunk_size=2000)
    )
    columns = [Column(_("Code"), 10, "text"), Column(_("Agency"), 36, "text"), Column(_("Day"), 11, "text"),
               Column(_("Comment"), 100, "text")]  # fmt: skip
    _table(book, pgettext("sheet name", "Comments"), used, columns, rows, freeze="C2")


def _dictionary_sheet(book, report: Report, used: set[str]) -> None:
    """Every code the workbook uses, with its question and answer in words."""
    rows = []
    for suffix, questionnaire, _agencies in _by_version(report):
        if suffix:
            rows.append([questionnaire.code, _("Questionnaire"), questionnaire.methodology.label])
        rows += [
            *([q.code, q.factor.label if q.factor_id else "", q.label] for q in questionnaire.criteria),
            *([f"{q.code}={o['code']}", q.label, option_label(o)]
              for q in (*questionnaire.facts, *questionnaire.ratings) for o in q.options),
            *([o["code"], q.label, option_label(o)] for q in questionnaire.needs for o in q.options),
            *([f.code, _("Factor"), f.label] for f in questionnaire.factors),
            *([p["code"], _("Part"), f"{p.get('name', '')} ({_('weight')} {p.get('weight', 0):g})"]
              for p in (questionnaire.methodology.parts if questionnaire.in_parts else [])),
        ]  # fmt: skip
    columns = [Column(_("Code"), 12, "text"), Column(_("Question or factor"), 50, "text"),
               Column(_("Meaning"), 70, "text")]  # fmt: skip
    _table(book, pgettext("sheet name", "Data dictionary"), used, columns, rows)
