"""The public results pages and open data of published campaigns (/results/).

Only a published run is ever read here: every page finds the campaign through its published run, so a campaign
without one is a 404 for everybody (officers have their own screens) and interim or computed-but-unpublished
runs never show. Each page runs a fixed handful of queries whatever the number of agencies. Figures are stored
at full precision and rounded here for display only (2 decimals, "85,50" in Vietnamese); the downloads keep
full precision.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from reports import charts, selectors
from reports.models import GroupResult, IndexRun
from reports.presentation import (
    CAMPAIGN,
    Level,
    count,
    factor_chart,
    number,
    present_agency,
    present_run,
    ranking_bars,
    ranking_note,
    rule_label,
    share_bars,
    uncertainty_note,
)
from reports.services.aggregate import plans_for
from reports.services.export import export_payload
from sipas.cells import inert
from surveys.models import Scoring

CAMPAIGNS_PER_PAGE = 20
CHART_WIDTH = 360  # SVG units: about a phone's width, so the chart's 10-unit labels stay legible there
FACTOR_CHART_WIDTH = 440  # its legend needs this much


def published_run_or_404(slug: str) -> IndexRun:
    """The campaign's published run with its campaign, root and methodology, in one query; Http404 when the
    campaign is unknown or has no published run (its existence is not revealed)."""
    run = (
        IndexRun.objects.select_related("campaign__root", "campaign__methodology")
        .filter(campaign__slug=slug, state=IndexRun.State.PUBLISHED)
        .first()
    )
    if run is None:
        raise Http404("No published results")
    return run


# --- Pages ------------------------------------------------------------------------------------------------


def campaign_list(request):
    """The published campaigns, newest first, each with its province, period, publication date and SIPAS."""
    runs = IndexRun.objects.filter(state=IndexRun.State.PUBLISHED).select_related("campaign__root")
    runs = runs.order_by("-campaign__year", "-campaign__period_start", "campaign__slug")
    page = Paginator(runs, CAMPAIGNS_PER_PAGE).get_page(request.GET.get("page"))
    runs = list(page.object_list)
    sipas = dict(GroupResult.objects.filter(run__in=runs, key=CAMPAIGN).values_list("run_id", "figures__sipas"))
    items = [{"run": run, "campaign": run.campaign, "sipas": number(sipas.get(run.pk))} for run in runs]
    return render(request, "reports/public/campaign_list.html", {"items": items, "page": page})


def campaign_results(request, slug: str):
    """Rankings per level of a published campaign, with each level's summary, a chart and the method note."""
    run = published_run_or_404(slug)
    presentation = present_run(run)
    context = {
        "run": run,
        "campaign": run.campaign,
        "overall": presentation.overall,
        "levels": [
            {
                "level": level,
                "chart": _ranking_chart(run, level),
                "has_change": any(a.change for a in level.agencies),
                "has_grades": bool(level.group.grades),
            }
            for level in presentation.levels
        ],
        "method": _method(run, in_parts=presentation.in_parts),
    }
    return render(request, "reports/public/campaign_results.html", context)


def agency_results(request, slug: str, agency_code: str):
    """One agency's published figures: SIPAS, HL, factors, criteria, reported facts, expectations, rank."""
    run = published_run_or_404(slug)
    presentation = present_agency(run, agency_code)
    if presentation is None:
        raise Http404("Agency not in this campaign's results")
    figures = presentation.figures
    context = {
        "run": run,
        "campaign": run.campaign,
        "agency": presentation.result.agency,
        "row": presentation.row,
        "level": presentation.level,
        "figures": figures,
        "factor_chart": inline_svg(factor_chart(figures, whose=presentation.row.name, width=FACTOR_CHART_WIDTH)),
        "expectations_chart": _expectations_chart(figures) if figures.expectations else None,
    }
    return render(request, "reports/public/agency_results.html", context)


# --- Open data --------------------------------------------------------------------------------------------


def data_json(request, slug: str):
    """The JSON export contract of the published run (sipas-methodology.md, "Export contract"), as a file."""
    run = published_run_or_404(slug)
    body = json.dumps(export_payload(run), ensure_ascii=False)
    return _download(body.encode("utf-8"), "application/json; charset=utf-8", f"{run.campaign.slug}-results.json")


def _unique(items) -> list:
    return list(dict.fromkeys(items))


def _open_table(run: IndexRun) -> tuple[list[str], Iterator[list]]:
    """The open-data table of a published run: its header (stable codes) and one row of plain values per
    agency (None for no data), in the order of the JSON export; text is neutralised against formulas. Where the
    levels answered different versions, the columns are those of every version, the campaign's default first
    (an agency's cells for questions its version does not ask are empty), and the parts of a version in parts
    follow the agency columns."""
    levels = run.summary.get("levels") or {}
    by_version = {plan.version: plan for plan in plans_for(run.campaign).values()}
    used = {values["version"] for values in levels.values()} or {run.campaign.methodology.code}
    default = run.campaign.methodology.code
    plans = [by_version[code] for code in sorted(used, key=lambda code: (code != default, code)) if code in by_version]
    parts = _unique(code for plan in plans for code in plan.parts)
    factor_codes = _unique(code for plan in plans for code in plan.factors)
    criteria = _unique(code for plan in plans for factor in plan.factors.values() for code in factor["criteria"])
    expectations = _unique(o for plan in plans for code in plan.expectations for o in plan.multi[code])
    facts = _unique(
        (code, o)
        for plan in plans
        for code, options in [*plan.choices.items(), *((c, plan.multi[c]) for c in plan.facts if c in plan.multi)]
        for o in options
    )
    header = [
        "code", "name", "level", "n", "excluded", "sipas", "hl", "rank", "enough_sample",
        *(f"part_{code}" for code in parts),
        *(f"{code}_{part}" for code in factor_codes for part in ("evaluation", "satisfaction")),
        *criteria, *expectations, *(f"{code}_{option}" for code, option in facts),
    ]  # fmt: skip

    def rows():
        for result in selectors.agency_results(run):
            f = result.figures
            factor_values = f.get("factors") or {}
            shares = {**(f.get("facts") or {}), **(f.get("ratings") or {})}
            yield [inert(result.agency.code), inert(result.agency.name), result.level, result.n, result.excluded,
                   f.get("sipas"), f.get("hl"), result.rank, result.enough_sample,
                   *((f.get("parts") or {}).get(code) for code in parts),
                   *((factor_values.get(code) or {}).get(part) for code in factor_codes
                     for part in ("evaluation", "satisfaction")),
                   *((f.get("criteria") or {}).get(code) for code in criteria),
                   *((f.get("expectations") or {}).get(option) for option in expectations),
                   *((shares.get(code) or {}).get(option) for code, option in facts)]  # fmt: skip

    return header, rows()


def data_csv(request, slug: str):
    """One row per agency with every published figure at full precision (dot decimals, empty for no data),
    UTF-8 with a byte-order mark: the contract for software and for spreadsheets set to a dot decimal
    separator. Vietnamese-locale Excel reads a comma as the decimal separator: data.xlsx is for it."""
    run = published_run_or_404(slug)
    header, rows = _open_table(run)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row[:3] + [_plain(value) for value in row[3:]])
    return _download(out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{run.campaign.slug}-results.csv")


def data_xlsx(request, slug: str):
    """The same table as the CSV as an Excel workbook: figures are numbers (full precision, shown with two
    decimals), so Excel shows them with the reader's own decimal separator ("85,50" in a Vietnamese-locale
    Excel) and sorts them as numbers; the header row is frozen and filtered."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    run = published_run_or_404(slug)
    header, rows = _open_table(run)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("results")
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["B"].width = 36
    bold = Font(bold=True)
    cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    count_rows = 0
    for row in rows:
        values = []
        for value in row:
            if isinstance(value, float):
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = "0.00"
                values.append(cell)
            else:
                values.append(value)
        sheet.append(values)
        count_rows += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count_rows + 1}"
    out = io.BytesIO()
    book.save(out)
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(out.getvalue(), content_type, f"{run.campaign.slug}-results.xlsx")


def _plain(value) -> str:
    """A figure for the CSV: full precision with a dot and never in exponent notation; empty for no data."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- What the pages show ----------------------------------------------------------------------------------


inline_svg = charts.as_html


def _ranking_chart(run: IndexRun, level: Level) -> str:
    chart = charts.ranking_chart(
        ranking_bars(level.agencies),
        title=_("SIPAS per agency: %(level)s") % {"level": level.title},
        description=_(
            "Horizontal bars of SIPAS (0–100) per agency in ranking order, with 95% intervals as whiskers; "
            "lighter bars are agencies under their minimum sample."
        ),
        target=level.group.target,
        width=CHART_WIDTH,
    )
    return inline_svg(chart)


def _method(run: IndexRun, *, in_parts: bool = False) -> dict:
    campaign = run.campaign
    scoring = run.scoring
    return {
        "in_parts": in_parts,
        "counted": count(run.responses_counted),
        "excluded": count(run.responses_excluded),
        "exclusions": [(rule_label(rule), count(n)) for rule, n in sorted(run.excluded_by_rule.items())],
        "scoring": str(Scoring(scoring).label) if scoring in Scoring.values else scoring,
        "mean_score": scoring == Scoring.MEAN_SCORE,
        "positive_min": campaign.methodology.positive_min,
        "ranking": ranking_note(),
        "uncertainty": uncertainty_note(parts=in_parts),
    }


def _expectations_chart(figures) -> str:
    chart = charts.share_chart(
        share_bars(figures.expectations_ranked),
        title=_("What respondents most want improved"),
        description=_("Share of respondents choosing each improvement, highest first."),
        width=CHART_WIDTH,
    )
    return inline_svg(chart)
