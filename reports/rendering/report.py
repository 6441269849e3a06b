"""What a report says about a run, shared by the PDF and the workbook: the loaded data and the wording of
figures (2 decimals in the report's language, intervals, rank changes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from agencies.models import AgencyKind
from reports import charts
from reports.comments import ThemeGroup, comments_by_theme
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


def _column_keys(report: Report) -> list[str]:
    return ["campaign", *report.levels]
