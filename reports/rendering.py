"""A province's report on one run, as a PDF (WeasyPrint, templates/reports/pdf/) and as an Excel workbook
(openpyxl), with the parts listed in sipas-methodology.md, "What a province's report contains".

Both read a run through load_report (a fixed handful of queries, whatever the number of agencies) and never
change it. Figures are stored at full precision; the PDF rounds them for display (2 decimals, in the
report's language: "85,50" in Vietnamese), the workbook keeps them as numbers with a 2-decimal format.
Reports are written in the portal's default language unless a language is given.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext, pgettext_lazy

from agencies.models import AgencyKind
from reports import charts
from reports.comments import THEMES, ThemeGroup, comments_by_theme
from reports.models import AgencyResult, IndexRun
from surveys.models import Campaign, CampaignAgency, Channel, FlagRule, Question, QuestionRole, Response, Scoring
from surveys.models.campaigns import SampleMode
from surveys.models.methodology import pick_language

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
CHART_ROWS = 40  # agencies per ranking chart: a longer chart would not fit on one page
WEAKEST_CRITERIA = 3


@dataclass
class Report:
    """Everything a report shows, loaded once."""

    run: IndexRun
    campaign: Campaign
    factors: list  # surveys.models.Factor, in order
    criteria: dict[str, list[Question]]  # factor code -> its criterion questions, in order
    questions: dict[str, Question]
    results: list[AgencyResult]  # by level, then ranked by rank, then unranked by SIPAS, then no data
    groups: dict[str, dict]  # "campaign" or a level -> figures
    group_counts: dict[str, dict]
    participants: dict[int, CampaignAgency]
    channels: dict[str, int]
    appraisal: object | None
    comment_count: int = 0
    themes: list[ThemeGroup] = field(default_factory=list)

    @property
    def levels(self) -> list[str]:
        present = {r.level for r in self.results}
        return [level for level in LEVELS if level in present] + sorted(present - set(LEVELS))

    def of_level(self, level: str) -> list[AgencyResult]:
        return [r for r in self.results if r.level == level]

    def question_label(self, code: str) -> str:
        question = self.questions.get(code)
        return question.label if question else code

    def option_label(self, code: str, option: str) -> str:
        question = self.questions.get(code)
        for item in question.options if question else []:
            if item["code"] == option:
                return pick_language(item.get("label", option), item.get("label_en", ""))
        return option


def load_report(run: IndexRun) -> Report:
    """Read a run and what its report shows beside it (methodology, paper tallies, channels, appraisal,
    comments) in nine queries."""
    campaign = Campaign.objects.select_related("methodology", "root").get(pk=run.campaign_id)
    methodology = campaign.methodology
    factors = list(methodology.factors.order_by("order"))
    questions = list(methodology.questions.select_related("factor").order_by("order"))
    criteria = {f.code: [] for f in factors}
    for question in questions:
        if question.role == QuestionRole.CRITERION and question.factor_id:
            criteria[question.factor.code].append(question)
    results = sorted(run.agency_results.select_related("agency"), key=_ranking_order)
    groups = list(run.group_results.all())
    channels = dict(
        Response.objects.filter(campaign_id=campaign.pk, excluded=False)
        .values_list("channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    comment_count, themes = comments_by_theme(run)
    return Report(
        run=run,
        campaign=campaign,
        factors=factors,
        criteria=criteria,
        questions={q.code: q for q in questions},
        results=results,
        groups={g.key: g.figures for g in groups},
        group_counts={g.key: g.counts for g in groups},
        participants={p.agency_id: p for p in campaign.participants.all()},
        channels=channels,
        appraisal=run.appraisals.filter(approved=True).order_by("-appraised_at").first(),
        comment_count=comment_count,
        themes=themes,
    )


def _ranking_order(result: AgencyResult):
    level = LEVELS.index(result.level) if result.level in LEVELS else len(LEVELS)
    return (level, result.level, result.rank is None, result.rank or 0, result.sipas is None, -(result.sipas or 0),
            result.agency.name)  # fmt: skip


# --- Formatting for display ----------------------------------------------------------------------------

number = charts.number


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
    return formats.date_format(timezone.localtime(value), "SHORT_DATETIME_FORMAT") if value else "—"


def day(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT") if value else "—"


def level_title(level: str) -> str:
    return str(LEVEL_TITLES.get(level, level))


def rule_label(rule: str) -> str:
    if rule in FlagRule.values:
        return str(FlagRule(rule).label)
    return _("Officer's decision without a rule") if rule == "manual" else rule


# --- PDF --------------------------------------------------------------------------------------------------


def render_pdf(run: IndexRun, *, language: str | None = None) -> bytes:
    """The report as an A4 PDF: cover, method, campaign figures, a part per level, factor and criterion
    tables, reported facts and expectations, comments by theme, and an appendix card per agency."""
    from weasyprint import HTML  # imported on use: loading pango costs a second at start-up

    with translation.override(language or settings.LANGUAGE_CODE):
        report = load_report(run)
        html = render_to_string("reports/pdf/report.html", pdf_context(report))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_context(report: Report) -> dict:
    campaign, run = report.campaign, report.run
    fonts = settings.BASE_DIR / "static" / "fonts"
    target = campaign.target_percent
    return {
        "document_title": _("Report on the satisfaction index: %(campaign)s") % {"campaign": campaign.name},
        "language": translation.get_language(),
        "fonts": {"regular": (fonts / "DejaVuSans.ttf").as_uri(), "bold": (fonts / "DejaVuSans-Bold.ttf").as_uri()},
        "page_header": _css_string(campaign.name),
        "page_run": _css_string(
            _("Run %(number)s · %(checksum)s") % {"number": run.number, "checksum": run.checksum[:12]}
        ),
        "page_counter": mark_safe(
            _css_string(_("Page %(page)s of %(pages)s") % {"page": "\x00page\x00", "pages": "\x00pages\x00"})
            .replace("\x00page\x00", '" counter(page) "')
            .replace("\x00pages\x00", '" counter(pages) "')
        ),
        "cover": _cover(report),
        "method": _method(report),
        "overall": _overall(report),
        "levels": [_level(report, level) for level in report.levels],
        "factor_table": _factor_table(report),
        "criteria_table": _criteria_table(report),
        "facts": _facts(report),
        "expectations": _expectations(report),
        "comments": {"total": count(report.comment_count), "themes": _themes(report)},
        "cards": [_card(report, result) for result in report.results],
        "target": number(target) if target is not None else None,
    }


def _css_string(text: str) -> str:
    """A CSS string literal for @page content; "<" is escaped so the text cannot close the <style>."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")
    return mark_safe(f'"{escaped}"')


def _cover(report: Report) -> dict:
    campaign, run = report.campaign, report.run
    province = campaign.root
    place = province.name
    if province.unit_type and place.lower().startswith(province.unit_type.lower() + " "):
        place = place[len(province.unit_type) + 1 :]
    dated = run.published_at or run.computed_at
    return {
        "province": province.name,
        "campaign": campaign.name,
        "period": _("Survey period: %(start)s to %(end)s")
        % {"start": day(campaign.period_start), "end": day(campaign.period_end)},
        "place_date": _("%(place)s, %(date)s")
        % {"place": place, "date": formats.date_format(timezone.localtime(dated))},
        "rows": [
            (_("Province"), province.name),
            (_("Campaign"), campaign.name),
            (_("Year"), str(campaign.year)),
            (
                _("Survey period"),
                _("%(start)s to %(end)s") % {"start": day(campaign.period_start), "end": day(campaign.period_end)},
            ),
            (_("Methodology"), campaign.methodology.label),
            (_("Run number"), str(run.number)),
            (_("State of the run"), str(IndexRun.State(run.state).label)),
            (_("Computed at"), moment(run.computed_at)),
            (_("Appraised at"), moment(report.appraisal.appraised_at) if report.appraisal else "—"),
            (_("Published at"), moment(run.published_at)),
        ],
        "checksum": run.checksum,
        "published": run.state == IndexRun.State.PUBLISHED,
        "interim": bool(run.summary.get("interim")),
    }


def _method(report: Report) -> dict:
    campaign, run = report.campaign, report.run
    participants = list(report.participants.values())
    issued = sum(p.forms_issued for p in participants)
    returned = sum(p.forms_returned for p in participants)
    valid = sum(p.forms_valid for p in participants)
    counted = sum(report.channels.values())
    channel_labels = dict(Channel.choices)
    if campaign.sample_mode == SampleMode.VOLUME:
        samples = [
            _("From each agency's dossier volume N: n = N / (1 + N·e²), with e = %(e)s.")
            % {"e": number(campaign.margin_of_error * 100, 0) + " %"}
        ]
    else:
        kinds = dict(AgencyKind.choices)
        samples = [
            _("%(kind)s: at least %(n)s responses") % {"kind": kinds.get(kind, kind), "n": count(n)}
            for kind, n in (campaign.level_samples or {}).items()
        ]
    return {
        "methodology": campaign.methodology.label,
        "scoring": str(Scoring(run.scoring).label) if run.scoring in Scoring.values else run.scoring,
        "positive_min": campaign.methodology.positive_min,
        "counted": count(run.responses_counted),
        "excluded": count(run.responses_excluded),
        "exclusions": [(rule_label(rule), count(n)) for rule, n in sorted(run.excluded_by_rule.items())],
        "channels_allowed": ", ".join(str(channel_labels.get(c, c)) for c in campaign.channels),
        "channels": [
            (channel_labels.get(c, c), count(n), number(100 * n / counted) + " %")
            for c, n in sorted(report.channels.items(), key=lambda item: -item[1])
        ],
        "paper": {
            "issued": count(issued),
            "returned": count(returned),
            "valid": count(valid),
            "returned_share": number(100 * returned / issued) + " %" if issued else "—",
            "valid_share": number(100 * valid / returned) + " %" if returned else "—",
        },
        "samples": samples,
        "agencies": count(len(report.results)),
        "enough": count(sum(1 for r in report.results if r.enough_sample)),
        "ranking_note": ranking_note(),
        "uncertainty_note": uncertainty_note(),
    }


def _headline(figures: dict) -> dict:
    intervals = figures.get("intervals") or {}
    return {
        "n": count(figures.get("n")),
        "sipas": number(figures.get("sipas")),
        "sipas_interval": interval(intervals.get("sipas")),
        "hl": number(figures.get("hl")),
        "hl_interval": interval(intervals.get("hl")),
    }


def _factor_rows(report: Report, figures: dict) -> list[dict]:
    satisfaction_intervals = (figures.get("intervals") or {}).get("satisfaction") or {}
    return [
        {
            "code": f.code,
            "label": f.label,
            "evaluation": number(figures["factors"].get(f.code, {}).get("evaluation")),
            "satisfaction": number(figures["factors"].get(f.code, {}).get("satisfaction")),
            "interval": interval(satisfaction_intervals.get(f.code)),
        }
        for f in report.factors
    ]


def _drivers(report: Report) -> dict:
    """The driver analysis: per factor, r between its satisfaction and overall satisfaction, for the whole
    campaign (rows ordered by it, strongest first) and per level."""
    columns = _columns(report)
    drivers = (report.groups.get("campaign") or {}).get("drivers") or {}
    labels = {f.code: f.label for f in report.factors}
    ordered = sorted(drivers.items(), key=lambda item: (item[1]["r"] is None, -(item[1]["r"] or 0)))
    rows = [
        {
            "label": labels.get(code, code),
            "pairs": count(d["pairs"]),
            "cells": [number(((figures.get("drivers") or {}).get(code) or {}).get("r")) for _t, figures in columns],
        }
        for code, d in ordered
    ]
    return {"columns": [title for title, _f in columns], "rows": rows}


def _overall(report: Report) -> dict:
    figures = report.groups.get("campaign") or {}
    target = report.campaign.target_percent
    sipas = figures.get("sipas")
    chart = charts.factor_chart(
        [
            charts.FactorBars(
                f.label,
                figures.get("factors", {}).get(f.code, {}).get("evaluation"),
                figures.get("factors", {}).get(f.code, {}).get("satisfaction"),
                ((figures.get("intervals") or {}).get("satisfaction") or {}).get(f.code),
            )
            for f in report.factors
        ],
        title=_("Evaluation and satisfaction per factor, whole campaign"),
        description=_("For each factor, the evaluation index of its criteria and the satisfaction index, 0–100."),
    )
    return {
        **_headline(figures),
        "weighted": bool(figures.get("weighted")),
        "target_met": None if target is None or sipas is None else sipas >= target,
        "factors": _factor_rows(report, figures),
        "drivers": _drivers(report),
        "chart": mark_safe(chart),
    }


def _level(report: Report, level: str) -> dict:
    results = report.of_level(level)
    figures = report.groups.get(level) or {}
    target = report.campaign.target_percent
    previous = next((r.figures["change"]["previous_campaign"] for r in results if r.figures.get("change")), None)
    rows = []
    for result in results:
        change = result.figures.get("change") or {}
        participant = report.participants.get(result.agency_id)
        rows.append(
            {
                "rank": result.rank or "—",
                "name": result.agency.name,
                "code": result.agency.code,
                "n": count(result.n),
                "sipas": number(result.sipas),
                "interval": interval(result.figures["intervals"].get("sipas")),
                "enough": result.enough_sample,
                "minimum": count(participant.min_sample) if participant else "—",
                "change": signed(change.get("sipas_change")) if change else "",
                "real": change.get("real") if change else None,
                "rank_change": rank_change_text(change.get("rank_change")) if change else "",
                "meets_target": target is not None and result.sipas is not None and result.sipas >= target,
            }
        )
    bars = [
        charts.Bar(r.agency.name, r.sipas, r.figures["intervals"].get("sipas"), weak=not r.enough_sample)
        for r in results
    ]
    parts = [bars[i : i + CHART_ROWS] for i in range(0, len(bars), CHART_ROWS)]
    chart_list = [
        mark_safe(
            charts.ranking_chart(
                part,
                title=_("SIPAS per agency: %(level)s") % {"level": level_title(level)}
                + (f" ({i}/{len(parts)})" if len(parts) > 1 else ""),
                description=_(
                    "Horizontal bars of SIPAS (0–100) per agency in ranking order, with 95% intervals as whiskers; "
                    "lighter bars are agencies under their minimum sample."
                ),
                target=target,
            )
        )
        for i, part in enumerate(parts, start=1)
    ]
    thresholds = figures.get("thresholds") or {}
    return {
        "key": level,
        "title": level_title(level),
        **_headline(figures),
        "agencies": count(figures.get("agencies", len(results))),
        "ranked": count(figures.get("ranked", sum(1 for r in results if r.rank))),
        "min": number(figures.get("sipas_min")),
        "max": number(figures.get("sipas_max")),
        "thresholds": [
            (number(float(mark), 0), count(n)) for mark, n in sorted(thresholds.items(), key=lambda i: float(i[0]))
        ],
        "previous": previous,
        "leaders": [r.agency.name for r in results if r.rank == 1],
        "rows": rows,
        "charts": chart_list,
    }


def _columns(report: Report) -> list[tuple[str, dict]]:
    """(short title, figures) of the whole campaign, then of each level: the columns of the part IV–V tables."""
    return [(str(LEVEL_COLUMNS.get(key, key)), report.groups.get(key) or {}) for key in _column_keys(report)]


def _factor_table(report: Report) -> dict:
    """Two tables of the factors, evaluation then satisfaction, with a column per group."""
    columns = _columns(report)

    def rows(part: str) -> list[dict]:
        return [
            {
                "label": f"{f.code}. {f.label}",
                "cells": [number(figures.get("factors", {}).get(f.code, {}).get(part)) for _t, figures in columns],
            }
            for f in report.factors
        ]

    return {
        "columns": [title for title, _f in columns],
        "parts": [(_("Evaluation of the criteria"), rows("evaluation")), (_("Satisfaction"), rows("satisfaction"))],
    }


def _criteria_table(report: Report) -> dict:
    columns = _columns(report)
    campaign_intervals = ((report.groups.get("campaign") or {}).get("intervals") or {}).get("criteria") or {}
    groups = []
    for factor in report.factors:
        rows = [
            {
                "code": q.code,
                "text": q.label,
                "interval": interval(campaign_intervals.get(q.code)),
                "cells": [number(figures.get("criteria", {}).get(q.code)) for _t, figures in columns],
            }
            for q in report.criteria.get(factor.code, [])
        ]
        groups.append({"label": f"{factor.code}. {factor.label}", "rows": rows})
    return {"columns": [title for title, _f in columns], "groups": groups}


def _facts(report: Report) -> dict:
    columns = _columns(report)
    questions = [
        q for q in report.questions.values() if q.role in (QuestionRole.FACT, QuestionRole.FILTER) and q.options
    ]
    items = []
    for question in questions:
        answered = [
            count((report.group_counts.get(key) or {}).get(f"a:{question.code}", 0)) for key in _column_keys(report)
        ]
        rows = [
            {
                "label": report.option_label(question.code, option["code"]),
                "cells": [
                    number(figures.get("facts", {}).get(question.code, {}).get(option["code"]))
                    for _t, figures in columns
                ],
            }
            for option in question.options
        ]
        items.append({"code": question.code, "text": question.label, "answered": answered, "rows": rows})
    return {"columns": [title for title, _f in columns], "items": items}


def _column_keys(report: Report) -> list[str]:
    return ["campaign", *report.levels]


def _expectations(report: Report) -> dict:
    columns = _columns(report)
    campaign = (report.groups.get("campaign") or {}).get("expectations") or {}
    needs = next((q for q in report.questions.values() if q.role == QuestionRole.NEEDS), None)
    if needs is None:
        return {"columns": [], "rows": [], "chart": ""}
    options = sorted(needs.options, key=lambda o: (campaign.get(o["code"]) is None, -(campaign.get(o["code"]) or 0)))
    rows = [
        {
            "rank": i,
            "label": report.option_label(needs.code, o["code"]),
            "cells": [number(figures.get("expectations", {}).get(o["code"])) for _t, figures in columns],
        }
        for i, o in enumerate(options, start=1)
    ]
    chart = charts.share_chart(
        [charts.Bar(report.option_label(needs.code, o["code"]), campaign.get(o["code"])) for o in options],
        title=_("What respondents most want improved, whole campaign"),
        description=_("Share of respondents choosing each improvement, highest first."),
    )
    return {
        "question": needs.label,
        "columns": [title for title, _f in columns],
        "rows": rows,
        "chart": mark_safe(chart),
    }


def _themes(report: Report) -> list[dict]:
    names = {r.agency_id: r.agency.name for r in report.results}
    keywords = {theme.code: ", ".join(theme.keywords) for theme in THEMES}
    return [
        {
            "label": theme.label,
            "keywords": keywords.get(theme.code, ""),
            "count": count(theme.count),
            "share": number(100 * theme.count / report.comment_count) + " %" if report.comment_count else "—",
            "examples": [(example.text, names.get(example.agency_id, "")) for example in theme.examples],
        }
        for theme in report.themes
    ]


def _card(report: Report, result: AgencyResult) -> dict:
    figures = result.figures
    change = figures.get("change") or {}
    weakest = sorted(
        ((code, value) for code, value in figures["criteria"].items() if value is not None), key=lambda item: item[1]
    )[:WEAKEST_CRITERIA]
    participant = report.participants.get(result.agency_id)
    return {
        "name": result.agency.name,
        "code": result.agency.code,
        "level": level_title(result.level),
        "rank": result.rank,
        "enough": result.enough_sample,
        "minimum": count(participant.min_sample) if participant else "—",
        "excluded": count(result.excluded),
        **_headline(figures),
        "factors": _factor_rows(report, figures),
        "weakest": [(code, report.question_label(code), number(value)) for code, value in weakest],
        "change": signed(change.get("sipas_change")) if change else None,
        "real": real_text(change.get("real")) if change else None,
        "rank_change": rank_change_text(change.get("rank_change")) if change else None,
    }


# --- Excel ------------------------------------------------------------------------------------------------

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


def uncertainty_note() -> str:
    return _(
        "The project's addition (official reports show no uncertainty): every share carries a 95% Wilson "
        "interval; the interval of SIPAS comes from the delta method applied to the mean of the factor "
        "satisfaction indices, with their covariances estimated from respondents who answered both questions. "
        "A change against the previous campaign is called beyond chance only when the 95% interval of the "
        "difference excludes zero."
    )


def ranking_note() -> str:
    return _(
        "Agencies are ranked within their level by SIPAS, highest first; values equal at 2 decimals share a "
        "rank. Agencies under their minimum sample are listed with their figures but not ranked."
    )
