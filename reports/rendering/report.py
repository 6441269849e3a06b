"""What a report says about a run beside its figures, shared by the PDF and the workbook: the run's rows
(reports.presentation), read once, with the paper tallies, channels, appraisal and comments of its campaign."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from agencies.models import AgencyKind
from reports.comments import ThemeGroup, comments_by_theme
from reports.models import IndexRun
from reports.presentation import (
    RunPresentation,
    count,
    day,
    moment,
    number,
    present_run,
    ranking_note,
    rule_label,
    uncertainty_note,
)
from surveys.models import Campaign, CampaignAgency, Channel, Response, Scoring
from surveys.models.campaigns import SampleMode
from surveys.services.paper import PaperTally, paper_tallies, paper_total

CHART_ROWS = 40  # agencies per ranking chart: a longer chart would not fit on one page
WEAKEST_CRITERIA = 3


@dataclass
class Report:
    """Everything a report shows, loaded once."""

    presentation: RunPresentation
    participants: dict[int, CampaignAgency]
    channels: dict[str, int]
    appraisal: object | None
    comment_count: int = 0
    themes: list[ThemeGroup] = field(default_factory=list)

    @property
    def run(self) -> IndexRun:
        return self.presentation.run

    @property
    def campaign(self) -> Campaign:
        return self.presentation.campaign


def load_report(run: IndexRun) -> Report:
    """Read a run and what its report shows beside it (methodology, paper tallies, channels, appraisal,
    comments) in a fixed number of queries, whatever the number of agencies."""
    run = IndexRun.objects.select_related("campaign__methodology", "campaign__root").get(pk=run.pk)
    presentation = present_run(run)
    campaign = run.campaign
    channels = dict(
        Response.objects.filter(campaign_id=campaign.pk, excluded=False)
        .values_list("channel")
        .annotate(n=Count("id"))
        .order_by()
    )
    comment_count, themes = comments_by_theme(run)
    return Report(
        presentation=presentation,
        participants={p.agency_id: p for p in campaign.participants.all()},
        channels=channels,
        appraisal=run.appraisals.filter(approved=True).order_by("-appraised_at").first(),
        comment_count=comment_count,
        themes=themes,
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
            (_("Methodology"), versions_text(report)),
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


def versions_text(report: Report) -> str:
    """The questionnaires used: "SIPAS 2017 …" for one, "Province-level agencies: SIPAS-2017; Communes: SIPAS-2023"
    where the levels answered different versions."""
    presentation = report.presentation
    if not presentation.mixed:
        return presentation.questionnaire.methodology.label
    return "; ".join(f"{level.title}: {presentation.version_of(level.key)}" for level in presentation.levels)


def paper(report: Report) -> PaperTally:
    """The campaign's paper forms issued, returned and valid: the one source of these numbers (surveys.services.paper);
    `issued` is None while not recorded for every agency that returned forms."""
    return paper_total(paper_tallies(report.participants.values()).values())


def _method(report: Report) -> dict:
    campaign, run = report.campaign, report.run
    forms = paper(report)
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
        "methodology": versions_text(report),
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
            "issued": count(forms.issued),
            "returned": count(forms.returned),
            "valid": count(forms.valid),
            "returned_share": number(100 * forms.returned / forms.issued) + " %" if forms.issued else "—",
            "valid_share": number(100 * forms.valid / forms.returned) + " %" if forms.returned else "—",
        },
        "samples": samples,
        "agencies": count(len(report.presentation.agencies)),
        "enough": count(sum(1 for r in report.presentation.agencies if r.enough_sample)),
        "ranking_note": ranking_note(),
        "uncertainty_note": uncertainty_note(parts=report.presentation.in_parts),
    }
