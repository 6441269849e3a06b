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
from collections import Counter
from decimal import Decimal

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from reports import charts, selectors
from reports.models import AgencyResult, GroupResult, IndexRun
from reports.rendering import (
    LEVELS,
    count,
    interval,
    level_title,
    number,
    rank_change_text,
    ranking_note,
    rule_label,
    signed,
    uncertainty_note,
)
from reports.services.aggregate import plan_for
from reports.services.export import export_payload
from surveys.models import CampaignAgency, QuestionRole, Scoring
from surveys.models.methodology import pick_language

CAMPAIGNS_PER_PAGE = 20
CAMPAIGN_GROUP = "campaign"
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
    sipas = dict(GroupResult.objects.filter(run__in=runs, key=CAMPAIGN_GROUP).values_list("run_id", "figures__sipas"))
    items = [{"run": run, "campaign": run.campaign, "sipas": number(sipas.get(run.pk))} for run in runs]
    return render(request, "reports/public/campaign_list.html", {"items": items, "page": page})


def campaign_results(request, slug: str):
    """Rankings per level of a published campaign, with each level's summary, a chart and the method note."""
    run = published_run_or_404(slug)
    campaign = run.campaign
    results = list(run.agency_results.select_related("agency"))
    groups = {group.key: group.figures for group in run.group_results.all()}
    minimums = dict(CampaignAgency.objects.filter(campaign=campaign).values_list("agency_id", "min_sample"))
    levels = sorted({r.level for r in results}, key=_level_order)
    context = {
        "run": run,
        "campaign": campaign,
        "overall": _headline(groups.get(CAMPAIGN_GROUP) or {}),
        "levels": [
            _level(campaign, level, [r for r in results if r.level == level], groups.get(level) or {}, minimums)
            for level in levels
        ],
        "method": _method(run),
    }
    return render(request, "reports/public/campaign_results.html", context)


def agency_results(request, slug: str, agency_code: str):
    """One agency's published figures: SIPAS, HL, factors, criteria, reported facts, expectations, rank."""
    run = published_run_or_404(slug)
    campaign = run.campaign
    result = run.agency_results.select_related("agency").filter(agency__code=agency_code).first()
    if result is None:
        raise Http404("Agency not in this campaign's results")
    level = GroupResult.objects.filter(run=run, key=result.level).values_list("figures", flat=True).first() or {}
    participants = CampaignAgency.objects.filter(campaign=campaign, agency_id=result.agency_id)
    minimum = participants.values_list("min_sample", flat=True).first()
    methodology = campaign.methodology
    factors = list(methodology.factors.order_by("order"))
    questions = list(methodology.questions.order_by("order"))
    figures = result.figures
    change = figures.get("change") or {}
    context = {
        "run": run,
        "campaign": campaign,
        "result": result,
        "agency": result.agency,
        "level_title": level_title(result.level),
        "level": {**_headline(level), "ranked": count(level.get("ranked"))},
        "headline": _headline(figures),
        "excluded": count(result.excluded),
        "minimum": count(minimum),
        "status": _status(result),
        "change": _change(change) if change else None,
        "factors": _factor_rows(factors, figures),
        "factor_chart": _factor_chart(factors, figures, result.agency.name),
        "criteria": _criteria(factors, questions, figures, change),
        "facts": _facts(questions, figures),
        "expectations": _expectations(questions, figures),
    }
    return render(request, "reports/public/agency_results.html", context)


# --- Open data --------------------------------------------------------------------------------------------


def data_json(request, slug: str):
    """The JSON export contract of the published run (sipas-methodology.md, "Export contract"), as a file."""
    run = published_run_or_404(slug)
    body = json.dumps(export_payload(run), ensure_ascii=False)
    return _download(body.encode("utf-8"), "application/json; charset=utf-8", f"{run.campaign.slug}-results.json")


def data_csv(request, slug: str):
    """One row per agency with every published figure at full precision (dot decimals, empty for no data),
    UTF-8 with a byte-order mark so that Excel reads the Vietnamese names correctly."""
    run = published_run_or_404(slug)
    plan = plan_for(run.campaign)
    factor_codes = list(plan.factors)
    criteria = [code for factor in plan.factors.values() for code in factor["criteria"]]
    expectations = [option for options in plan.multi.values() for option in options]
    facts = [(code, option) for code, options in plan.choices.items() for option in options]
    header = [
        "code", "name", "level", "n", "excluded", "sipas", "hl", "rank", "enough_sample",
        *(f"{code}_{part}" for code in factor_codes for part in ("evaluation", "satisfaction")),
        *criteria, *expectations, *(f"{code}_{option}" for code, option in facts),
    ]  # fmt: skip
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for result in selectors.agency_results(run):  # the order of the JSON export
        f = result.figures
        factor_values = f.get("factors") or {}
        writer.writerow(
            [result.agency.code, result.agency.name, result.level, result.n, result.excluded,
             *map(_plain, (f.get("sipas"), f.get("hl"), result.rank, result.enough_sample)),
             *(_plain((factor_values.get(code) or {}).get(part))
               for code in factor_codes for part in ("evaluation", "satisfaction")),
             *(_plain((f.get("criteria") or {}).get(code)) for code in criteria),
             *(_plain((f.get("expectations") or {}).get(option)) for option in expectations),
             *(_plain(((f.get("facts") or {}).get(code) or {}).get(option)) for code, option in facts)]
        )  # fmt: skip
    return _download(out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", f"{run.campaign.slug}-results.csv")


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


def _level_order(level: str) -> tuple:
    return (LEVELS.index(level) if level in LEVELS else len(LEVELS), level)


def _headline(figures: dict) -> dict:
    intervals = figures.get("intervals") or {}
    return {
        "n": count(figures.get("n")),
        "sipas": number(figures.get("sipas")),
        "sipas_interval": interval(intervals.get("sipas")),
        "hl": number(figures.get("hl")),
        "hl_interval": interval(intervals.get("hl")),
    }


def _status(result: AgencyResult) -> str:
    if result.rank is not None:
        return "ranked"
    return "no_data" if result.enough_sample else "not_enough"


def _change(change: dict) -> dict:
    return {
        "previous_campaign": change.get("previous_campaign"),
        "merged": change.get("basis") == "predecessors",  # compared with the units this one absorbed
        "previous_sipas": number(change.get("previous_sipas")),
        "sipas": signed(change.get("sipas_change")),
        "real": change.get("real"),
        "previous_rank": change.get("previous_rank"),
        "rank": rank_change_text(change.get("rank_change")) if change.get("rank_change") is not None else "",
        "rank_moved": change.get("rank_change") or 0,
    }


def _ordered(results: list[AgencyResult]) -> list[AgencyResult]:
    """Ranked agencies by rank, then the unranked ones (under their minimum sample, or no data) by SIPAS."""
    ranked = sorted((r for r in results if r.rank is not None), key=lambda r: (r.rank, r.agency.name))
    unranked = sorted(
        (r for r in results if r.rank is None), key=lambda r: (r.sipas is None, -(r.sipas or 0), r.agency.name)
    )
    return ranked + unranked


def _level(campaign, level: str, results: list[AgencyResult], figures: dict, minimums: dict[int, int]) -> dict:
    results = _ordered(results)
    shared = Counter(r.rank for r in results if r.rank is not None)
    rows = [
        {
            "code": r.agency.code,
            "name": r.agency.name,
            "rank": r.rank,
            "tied": r.rank is not None and shared[r.rank] > 1,
            "status": _status(r),
            "sipas": number(r.sipas),
            "interval": interval((r.figures.get("intervals") or {}).get("sipas")),
            "n": count(r.n),
            "minimum": count(minimums.get(r.agency_id)),
            "change": _change(r.figures["change"]) if r.figures.get("change") else None,
        }
        for r in results
    ]
    title = level_title(level)
    chart = charts.ranking_chart(
        [
            charts.Bar(
                r.agency.name, r.sipas, (r.figures.get("intervals") or {}).get("sipas"), weak=not r.enough_sample
            )
            for r in results
        ],
        title=_("SIPAS per agency: %(level)s") % {"level": title},
        description=_(
            "Horizontal bars of SIPAS (0–100) per agency in ranking order, with 95% intervals as whiskers; "
            "lighter bars are agencies under their minimum sample."
        ),
        target=campaign.target_percent,
        width=CHART_WIDTH,
    )
    agencies = figures.get("agencies", len(results))
    target = campaign.target_percent
    thresholds = sorted((figures.get("thresholds") or {}).items(), key=lambda item: float(item[0]))
    return {
        "key": level,
        "title": title,
        **_headline(figures),
        "agencies": count(agencies),
        "ranked": count(figures.get("ranked", sum(1 for r in results if r.rank is not None))),
        "min": number(figures.get("sipas_min")),
        "max": number(figures.get("sipas_max")),
        "thresholds": [
            {"mark": number(float(mark), 0), "count": count(n), "target": target is not None and float(mark) == target}
            for mark, n in thresholds
        ],
        "rows": rows,
        "has_change": any(row["change"] for row in rows),
        "chart": inline_svg(chart),
    }


def _method(run: IndexRun) -> dict:
    campaign = run.campaign
    scoring = run.scoring
    return {
        "counted": count(run.responses_counted),
        "excluded": count(run.responses_excluded),
        "exclusions": [(rule_label(rule), count(n)) for rule, n in sorted(run.excluded_by_rule.items())],
        "scoring": str(Scoring(scoring).label) if scoring in Scoring.values else scoring,
        "mean_score": scoring == Scoring.MEAN_SCORE,
        "positive_min": campaign.methodology.positive_min,
        "ranking": ranking_note(),
        "uncertainty": uncertainty_note(),
    }


def _factor_rows(factors, figures: dict) -> list[dict]:
    values = figures.get("factors") or {}
    intervals = (figures.get("intervals") or {}).get("satisfaction") or {}
    return [
        {
            "code": f.code,
            "label": f.label,
            "evaluation": number((values.get(f.code) or {}).get("evaluation")),
            "satisfaction": number((values.get(f.code) or {}).get("satisfaction")),
            "interval": interval(intervals.get(f.code)),
        }
        for f in factors
    ]


def _factor_chart(factors, figures: dict, name: str) -> str:
    values = figures.get("factors") or {}
    intervals = (figures.get("intervals") or {}).get("satisfaction") or {}
    chart = charts.factor_chart(
        [
            charts.FactorBars(
                f.label,
                (values.get(f.code) or {}).get("evaluation"),
                (values.get(f.code) or {}).get("satisfaction"),
                intervals.get(f.code),
            )
            for f in factors
        ],
        title=_("Evaluation and satisfaction per factor: %(agency)s") % {"agency": name},
        description=_("For each factor, the evaluation index of its criteria and the satisfaction index, 0–100."),
        width=FACTOR_CHART_WIDTH,
    )
    return inline_svg(chart)


def _criteria(factors, questions, figures: dict, change: dict) -> list[dict]:
    values = figures.get("criteria") or {}
    intervals = (figures.get("intervals") or {}).get("criteria") or {}
    changes = change.get("criteria") or {}
    by_factor = {f.pk: [] for f in factors}
    for q in questions:
        if q.role == QuestionRole.CRITERION and q.factor_id in by_factor:
            by_factor[q.factor_id].append(
                {
                    "code": q.code,
                    "text": q.label,
                    "value": number(values.get(q.code)),
                    "interval": interval(intervals.get(q.code)),
                    "change": signed(changes.get(q.code)) if change else None,
                }
            )
    return [{"code": f.code, "label": f.label, "rows": by_factor[f.pk]} for f in factors if by_factor[f.pk]]


def _option_label(option: dict) -> str:
    return pick_language(option.get("label", option["code"]), option.get("label_en", ""))


def _facts(questions, figures: dict) -> list[dict]:
    shares = figures.get("facts") or {}
    return [
        {
            "code": q.code,
            "text": q.label,
            "rows": [(_option_label(o), number((shares.get(q.code) or {}).get(o["code"]))) for o in q.options],
        }
        for q in questions
        if q.role in (QuestionRole.FACT, QuestionRole.FILTER) and q.options and q.code in shares
    ]


def _expectations(questions, figures: dict) -> dict | None:
    needs = next((q for q in questions if q.role == QuestionRole.NEEDS), None)
    if needs is None:
        return None
    shares = figures.get("expectations") or {}
    options = sorted(needs.options, key=lambda o: (shares.get(o["code"]) is None, -(shares.get(o["code"]) or 0)))
    chart = charts.share_chart(
        [charts.Bar(_option_label(o), shares.get(o["code"])) for o in options],
        title=_("What respondents most want improved"),
        description=_("Share of respondents choosing each improvement, highest first."),
        width=CHART_WIDTH,
    )
    return {
        "text": needs.label,
        "rows": [(_option_label(o), number(shares.get(o["code"]))) for o in options],
        "chart": inline_svg(chart),
    }
