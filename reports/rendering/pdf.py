"""The report as a PDF (WeasyPrint, templates/reports/pdf/)."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reports import charts
from reports.comments import THEMES
from reports.models import AgencyResult, IndexRun
from reports.rendering.report import (
    CHART_ROWS,
    LEVEL_COLUMNS,
    WEAKEST_CRITERIA,
    Report,
    _column_keys,
    _cover,
    _method,
    count,
    interval,
    level_title,
    load_report,
    number,
    rank_change_text,
    real_text,
    signed,
)
from surveys.models import QuestionRole


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
