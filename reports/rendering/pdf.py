"""The report as a PDF (WeasyPrint, templates/reports/pdf/): the rows of reports.presentation laid out as the
report's parts; this module only arranges them into tables with a column per group, and draws the charts."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reports import charts
from reports.comments import THEMES
from reports.models import IndexRun
from reports.presentation import CAMPAIGN, Figures, Level, count, factor_chart, number, ranking_bars, share_bars
from reports.rendering.report import CHART_ROWS, WEAKEST_CRITERIA, Report, _cover, _method, load_report


def render_pdf(run: IndexRun, *, language: str | None = None) -> bytes:
    """The report as an A4 PDF: cover, method, campaign figures, a part per level, factor and criterion
    tables, reported facts and expectations, comments by theme, and an appendix card per agency."""
    from weasyprint import HTML  # imported on use: loading pango costs a second at start-up

    with translation.override(language or settings.LANGUAGE_CODE):
        report = load_report(run)
        html = render_to_string("reports/pdf/report.html", pdf_context(report))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def pdf_context(report: Report) -> dict:
    campaign, run, presentation = report.campaign, report.run, report.presentation
    fonts = settings.BASE_DIR / "static" / "fonts"
    target = campaign.target_percent
    columns = [(group, presentation.group_figures(group.key)) for group in presentation.groups]
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
        "overall": _overall(report, columns),
        "levels": [_level(level, target) for level in presentation.levels],
        "columns": [group.column for group, _figures in columns],
        "factor_table": _factor_table(columns),
        "criteria_table": _criteria_table(columns),
        "facts": _facts(columns),
        "expectations": _expectations(columns),
        "comments": {"total": count(report.comment_count), "themes": _themes(report)},
        "cards": [
            {"row": row, "figures": figures, "weakest": figures.weakest(WEAKEST_CRITERIA)}
            for row, figures in ((row, presentation.figures(row)) for row in presentation.agencies)
        ],
        "target": number(target) if target is not None else None,
    }


def _css_string(text: str) -> str:
    """A CSS string literal for @page content; "<" is escaped so the text cannot close the <style>."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ").replace("\n", " ")
    return mark_safe(f'"{escaped}"')


def _overall(report: Report, columns) -> dict:
    presentation = report.presentation
    overall = presentation.overall
    target = report.campaign.target_percent
    figures = presentation.group_figures(CAMPAIGN)
    chart = factor_chart(figures, whose=_("whole campaign"))
    # The driver analysis: per factor, r for the whole campaign (rows ordered by it, strongest first) and per level.
    per_group = [{d.code: d for d in presentation.group_drivers(group.key)} for group, _figures in columns]
    drivers = [
        {"row": driver, "cells": [group[driver.code].r_text if driver.code in group else "—" for group in per_group]}
        for driver in presentation.group_drivers(CAMPAIGN)
    ]
    return {
        "group": overall,
        "target_met": None if target is None or overall.sipas.value is None else overall.sipas.value >= target,
        "figures": figures,
        "drivers": drivers,
        "chart": mark_safe(chart),
    }


def _level(level: Level, target: float | None) -> dict:
    bars = ranking_bars(level.agencies)
    parts = [bars[i : i + CHART_ROWS] for i in range(0, len(bars), CHART_ROWS)]
    chart_list = [
        mark_safe(
            charts.ranking_chart(
                part,
                title=_("SIPAS per agency: %(level)s") % {"level": level.title}
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
    return {"level": level, "group": level.group, "rows": level.agencies, "charts": chart_list}


def _factor_table(columns) -> list[tuple[str, list]]:
    """Two tables of the factors, evaluation then satisfaction, with a column per group."""
    factors = columns[0][1].factors

    def rows(part: str) -> list[tuple]:
        return [
            (factor, [getattr(figures.factors[i], part).text for _group, figures in columns])
            for i, factor in enumerate(factors)
        ]

    return [(_("Evaluation of the criteria"), rows("evaluation")), (_("Satisfaction"), rows("satisfaction"))]


def _criteria_table(columns) -> list[tuple]:
    """Per factor, its criteria with a value per group and the whole campaign's interval."""
    campaign: Figures = columns[0][1]
    cells = [[c.index.text for c in figures.criteria] for _group, figures in columns]
    rows = [(c, [column[i] for column in cells]) for i, c in enumerate(campaign.criteria)]
    return [(factor, [row for row in rows if row[0].factor_code == factor.code]) for factor in campaign.factors]


def _facts(columns) -> list[dict]:
    campaign: Figures = columns[0][1]
    return [
        {
            "fact": fact,
            "answered": [count(figures.facts[i].answered) for _group, figures in columns],
            "rows": [
                (option, [figures.facts[i].options[j].share.text for _group, figures in columns])
                for j, option in enumerate(fact.options)
            ],
        }
        for i, fact in enumerate(campaign.facts)
    ]


def _expectations(columns) -> dict:
    campaign: Figures = columns[0][1]
    ranked = campaign.expectations_ranked
    shares = [{e.code: e.share.text for e in figures.expectations} for _group, figures in columns]
    chart = charts.share_chart(
        share_bars(ranked),
        title=_("What respondents most want improved, whole campaign"),
        description=_("Share of respondents choosing each improvement, highest first."),
    )
    return {
        "question": campaign.expectations_question,
        "rows": [(option, [column[option.code] for column in shares]) for option in ranked],
        "chart": mark_safe(chart) if ranked else "",
    }


def _themes(report: Report) -> list[dict]:
    names = {r.agency_id: r.name for r in report.presentation.agencies}
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
