"""What the documents the Department signs say, built once from a run's rows (reports.presentation) and read
alike by the PDF (templates/reports/documents/) and the DOCX templates (docxtpl): the report to the
Provincial People's Committee, the decision approving and announcing the results, and the agency cards.

The form is that of Decree 30/2020/NĐ-CP for administrative documents: the issuing body under its parent and the
national motto, number and symbol, place and date, title, "Kính gửi", the body, "Nơi nhận" and the signer.
Everything here is words around the rows; no figure is computed or formatted here but by the presenter."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from reports.comments import THEMES
from reports.documents import drafts
from reports.documents.tables import version_tables
from reports.models import IndexRun
from reports.presentation import (
    CAMPAIGN,
    AgencyRow,
    Figures,
    Level,
    count,
    day,
    moment,
    number,
    place_date,
    target_text,
)
from reports.rendering.report import Report, _method, versions_text
from surveys.models.methodology import pick_language

TOP = 3  # agencies named at the top and the bottom of each level's ranking in the body


@dataclass(frozen=True)
class Letterhead:
    parent: str  # the issuing body's parent, upper case: "ỦY BAN NHÂN DÂN TỈNH LẠNG SƠN"
    body: str  # "SỞ NỘI VỤ"
    number: str  # "Số: ……/BC-SNV"
    reference: str  # "……/BC-SNV", as another document cites it
    place_date: str  # "Lạng Sơn, ngày 07 tháng 12 năm 2026"


@dataclass(frozen=True)
class Signer:
    lines: tuple[str, ...]  # "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"
    name: str


def place_of(province) -> str:
    """ "Tỉnh Lạng Sơn" -> "Lạng Sơn": the place a document is dated at."""
    place = province.name
    if province.unit_type and place.lower().startswith(province.unit_type.lower() + " "):
        place = place[len(province.unit_type) + 1 :]
    return place


def in_text(province) -> str:
    """A province's name inside a sentence: "tỉnh Lạng Sơn" (its unit type in lower case), as Vietnamese
    writes it after "Ủy ban nhân dân" or "của"."""
    name = province.name
    if province.unit_type and name.lower().startswith(province.unit_type.lower() + " "):
        return province.unit_type.lower() + name[len(province.unit_type) :]
    return name


def document_date(report: Report) -> datetime.date:
    """The date a document bears: the publication's, else the appraisal's, else the computation's, so that a
    document of a run in a given state reads the same however often it is rendered."""
    run, appraisal = report.run, report.appraisal
    moment_ = run.published_at or (appraisal.appraised_at if appraisal else None) or run.computed_at
    return timezone.localtime(moment_).date()


def letterhead(report: Report, symbol: str) -> Letterhead:
    province = report.campaign.root
    return Letterhead(
        parent=(_("People's Committee of %(province)s") % {"province": in_text(province)}).upper(),
        body=_("Department of Home Affairs").upper(),
        number=_("No.: ……/%(symbol)s") % {"symbol": symbol},
        reference=f"……/{symbol}",
        place_date=place_date(place_of(province), document_date(report)),
    )


def signer(report: Report) -> Signer:
    appraisal = report.appraisal
    title = (appraisal.signer_title if appraisal else "") or _("p.p. DIRECTOR\nDEPUTY DIRECTOR")
    name = (appraisal.signer_name if appraisal else "") or "……………………"
    return Signer(tuple(line.strip() for line in title.splitlines() if line.strip()), name)


def paragraphs(text: str) -> list[str]:
    """Text an officer typed, as paragraphs: blank lines separate them, single line breaks too."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def subject(report: Report) -> str:
    """What the documents are about: "the satisfaction index ... of Tỉnh Lạng Sơn in 2026"."""
    campaign = report.campaign
    return _(
        "the satisfaction index of citizens and organisations with the service of state administrative agencies "
        "of %(province)s in %(year)s"
    ) % {"province": in_text(campaign.root), "year": campaign.year}


def legal_bases(report: Report) -> list[str]:
    """The decisions the measurement rests on, by the questionnaire's model; the province's own plan is left
    for the officer to number in Word."""
    campaign = report.campaign
    bases = []
    versions = report.presentation.versions
    if any(code.startswith("SIPAS-2023") for code in versions):
        bases.append(_("Decision No. 1001/QD-BNV of 11/12/2023 of the Minister of Home Affairs on the method of "
                       "measuring the satisfaction of citizens and organisations with the service of state "
                       "administrative agencies for 2023–2026"))  # fmt: skip
    if not all(code.startswith("SIPAS-2023") for code in versions):
        bases.append(_("Decision No. 2640/QD-BNV of 10/10/2017 of the Minister of Home Affairs approving the scheme "
                       "for measuring the satisfaction of citizens and organisations with the service of state "
                       "administrative agencies"))  # fmt: skip
    bases.append(_("Plan No. ……/KH-UBND of …… of the People's Committee of %(province)s on measuring %(subject)s")
                 % {"province": in_text(campaign.root), "subject": subject(report)})  # fmt: skip
    return bases


# --- The report ---------------------------------------------------------------------------------------------


def report_context(report: Report) -> dict:
    """Every part of the province report, for the PDF and the DOCX template alike."""
    presentation, campaign = report.presentation, report.campaign
    appraisal = report.appraisal
    tables = version_tables(presentation)
    overall_figures = presentation.group_figures(CAMPAIGN)
    target = campaign.target_percent
    assessment = appraisal.assessment if appraisal and appraisal.assessment else drafts.draft_assessment(presentation)
    recommendations = (
        appraisal.recommendations
        if appraisal and appraisal.recommendations
        else drafts.draft_recommendations(presentation)
    )
    return {
        "letterhead": letterhead(report, "BC-SNV"),
        "subject": subject(report),
        "subject_title": capfirst(subject(report)),
        "campaign": campaign.name,
        "province": campaign.root.name,
        "year": campaign.year,
        "addressees": [
            _("People's Committee of %(province)s") % {"province": in_text(campaign.root)},
            _("Ministry of Home Affairs"),
        ],
        "opening": _(
            "Carrying out the plan of the People's Committee of the province, the Department of Home Affairs "
            "surveyed %(subject)s (%(campaign)s, from %(start)s to %(end)s) and reports the results as follows:"
        )
        % {
            "subject": subject(report),
            "campaign": campaign.name,
            "start": day(campaign.period_start),
            "end": day(campaign.period_end),
        },
        "general": _general(report),
        "overall": {
            "group": presentation.overall,
            "text": _overall_text(report),
            "figures": overall_figures,
            "pooled_note": presentation.overall.pooled_note,
        },
        "levels": [_level(presentation, level) for level in presentation.levels],
        # Each version's tables: one for a campaign with one version (the campaign and its levels as columns),
        # one per version (its levels as columns) where the levels answered different versions.
        "tables": tables,
        # The first (the default version's) tables under their earlier names, for templates written before.
        **{
            key: tables[0][key]
            for key in (
                "columns",
                "factor_rows",
                "criteria_rows",
                "fact_rows",
                "expectation_rows",
                "expectations_question",
            )
        },
        # Facts and expectations of the whole campaign; per level where the levels answered different versions
        # (their pooled figures keep only what every version asks alike).
        "facts_text": _per_level(presentation, _facts_text) if presentation.mixed else _facts_text(overall_figures),
        "expectations_text": " ".join(_per_level(presentation, lambda f: [_expectations_text(f)]))
        if presentation.mixed
        else _expectations_text(overall_figures),
        "comments": _comments(report),
        "assessment": paragraphs(assessment),
        "recommendations": paragraphs(recommendations),
        "appraisal_note": paragraphs(appraisal.note) if appraisal else [],
        "appraised_on": day(appraisal.appraised_at) if appraisal else "",
        "closing": _(
            "Above is the report on %(subject)s. The Department of Home Affairs respectfully reports to the "
            "People's Committee of the province and the Ministry of Home Affairs./."
        )
        % {"subject": subject(report)},
        "recipients": [
            _("As addressed above;"),
            _("Chairman and Vice-Chairmen of the Provincial People's Committee;"),
            _("Departments, boards and sectors of the province;"),
            _("People's Committees of the communes and wards;"),
            _("Filed: Clerical office."),
        ],
        "signer": signer(report),
        "run": _run_rows(report),
        "checksum": report.run.checksum,
        "target": number(target) if target is not None else "",
        "targets_text": _targets_text(presentation),
        "status": _status(report.run),
    }


def _targets_text(presentation) -> str:
    """The levels' targets and bands, as the report's ranking appendix states them."""
    lines = []
    for level in presentation.levels:
        group = level.group
        parts = []
        if group.target is not None:
            parts.append(_("target %(target)s") % {"target": group.target_text})
        if group.grades:
            parts.append(", ".join(f"{g.label} ≥ {g.lower_text}" for g in group.grades))
        if parts:
            lines.append(f"{level.title}: {'; '.join(parts)}")
    return ". ".join(lines) + ("." if lines else "")


def _status(run: IndexRun) -> str:
    if run.state == IndexRun.State.PUBLISHED:
        return ""
    if run.summary.get("interim"):
        return _("Interim figures: computed while the survey was still open. Not for publication.")
    return _("Draft: this run has not been published yet; the published figures may differ.")


def _general(report: Report) -> dict:
    method = _method(report)
    campaign = report.campaign
    levels = ", ".join(f"{level.title}: {level.group.agencies_text}" for level in report.presentation.levels)
    return {
        "bases": legal_bases(report),
        "purpose": _(
            "To know objectively how satisfied citizens and organisations are with the service of the "
            "province's state administrative agencies, so that each agency sees its weak points and improves "
            "them, and to rank the agencies of each level."
        ),
        "scope": _("%(count)s agencies were surveyed (%(levels)s), from %(start)s to %(end)s.")
        % {
            "count": method["agencies"],
            "levels": levels,
            "start": day(campaign.period_start),
            "end": day(campaign.period_end),
        },
        "subjects": _(
            "Citizens and representatives of organisations who received the result of an administrative "
            "procedure from a surveyed agency during the period."
        ),
        "method": method,
        "method_text": " ".join(
            [
                _(
                    "The questionnaire %(methodology)s was used. Each index is computed by the rule “%(scoring)s”: an "
                    "answer of %(positive)s or more on the 5-level scale is positive, and a question left empty is "
                    "left out of its count."
                )
                % {
                    "methodology": method["methodology"],
                    "scoring": method["scoring"],
                    "positive": method["positive_min"],
                },
                *_index_rules(report),
            ]
        ),
        "sample_text": _(
            "Responses counted: %(counted)s; excluded by a recorded decision: %(excluded)s. "
            "Agencies with enough responses: %(enough)s of %(agencies)s."
        )
        % {key: method[key] for key in ("counted", "excluded", "enough", "agencies")},
    }


def _index_rules(report: Report) -> list[str]:
    """How each version used combines its figures into SIPAS, one sentence per version."""
    presentation = report.presentation
    sentences = []
    for code in presentation.versions:
        questionnaire = presentation.questionnaire_for(code)
        prefix = f"{code}: " if presentation.mixed else ""
        if questionnaire.in_parts:
            weights = ", ".join(
                f"{pick_language(p.get('name', p['code']), p.get('name_en', ''))} {p.get('weight', 0):g}"
                for p in questionnaire.methodology.parts
            )
            sentences.append(prefix + _(
                "SIPAS is the weighted mean of the indices of its parts (weights: %(weights)s), each part's index "
                "being the mean of its items' indices."
            ) % {"weights": weights})  # fmt: skip
        else:
            sentences.append(prefix + _("SIPAS is the mean of the satisfaction indices of the factors."))
    return sentences


def _overall_text(report: Report) -> str:
    overall = report.presentation.overall
    if not overall.pooled_index:
        return " ".join([overall.pooled_note, _("Responses counted: %(n)s.") % {"n": overall.n_text}])
    if overall.sipas.value is None:
        return _("No response was counted.")
    text = _(
        "The satisfaction index (SIPAS) of %(province)s is %(sipas)s %% (95%% interval %(interval)s); "
        "overall satisfaction is %(hl)s %%, from %(n)s responses."
    ) % {"province": in_text(report.campaign.root), "sipas": overall.sipas.text, "interval": overall.sipas.interval_text,
         "hl": overall.hl.text, "n": overall.n_text}  # fmt: skip
    target = report.campaign.target_percent
    if target is not None:
        met = overall.sipas.value >= target
        text += " " + (_("It meets the target of %(target)s %%.") if met else _("It is under the target of %(target)s %%.")) % {
            "target": number(target)}  # fmt: skip
    return text


def _level(presentation, level: Level) -> dict:
    ranked = [r for r in level.agencies if r.rank is not None]
    changed = [r for r in level.agencies if r.change and r.change.sipas_change is not None]
    figures = presentation.group_figures(level.key)
    previous = presentation.previous_name(level)
    group = level.group
    text = _(
        "%(level)s: %(agencies)s agencies, %(ranked)s ranked; SIPAS of the level %(sipas)s %% (95%% interval "
        "%(interval)s), from %(low)s to %(high)s."
    ) % {"level": level.title, "agencies": group.agencies_text, "ranked": group.ranked_text, "sipas": group.sipas.text,
         "interval": group.sipas.interval_text, "low": group.sipas_min.text, "high": group.sipas_max.text}  # fmt: skip
    if presentation.mixed:
        text += " " + _("Questionnaire: %(version)s.") % {"version": group.version}
    if group.target is not None and ranked:
        text += " " + _("%(count)s agencies meet the target of %(target)s %%.") % {
            "count": sum(1 for r in ranked if r.meets_target), "target": group.target_text}  # fmt: skip
    if group.grades:
        text += " " + _("Grades: %(grades)s.") % {
            "grades": "; ".join(f"{g.label} (≥ {g.lower_text}): {count(g.agencies)}" for g in group.grades)}  # fmt: skip
    if figures.parts:
        text += " " + _("Parts: %(parts)s.") % {
            "parts": "; ".join(f"{p.label} {p.index.text}" for p in figures.parts)}  # fmt: skip
    change_text = ""
    if previous and changed:
        change_text = _(
            "Against %(previous)s: %(up)s agencies rose and %(down)s fell; %(real)s of these changes are beyond chance."
        ) % {"previous": previous, "up": sum(1 for r in changed if r.change.sipas_change > 0),
             "down": sum(1 for r in changed if r.change.sipas_change < 0),
             "real": sum(1 for r in changed if r.change.real)}  # fmt: skip
    return {
        "level": level,
        "group": group,
        "title": level.title,
        "text": text,
        "top": ranked[:TOP],
        "bottom": ranked[-TOP:][::-1] if len(ranked) > TOP else [],
        "not_enough": [r for r in level.agencies if not r.enough_sample],
        "weakest": figures.weakest(drafts.WEAKEST),
        "previous": previous or "",
        "change_text": change_text,
        "graded": bool(group.grades),
        "targeted": group.target is not None,
        "rows": [_ranking_row(r) for r in level.agencies],
    }


def _ranking_row(row: AgencyRow) -> dict:
    change = row.change
    return {
        "rank": str(row.rank) if row.rank is not None else "—",
        "name": row.name,
        "n": row.n_text,
        "sipas": row.sipas.text,
        "interval": row.sipas.interval_text,
        "sample": _("yes") if row.enough_sample else _("under %(minimum)s") % {"minimum": row.minimum_text},
        "change": (change.sipas_change_text + (" *" if change.real else "")) if change else "—",
        "rank_change": (change.rank_change_text or "—") if change else "—",
        "target": row.meets_target_text,
        "grade": row.grade or "—",
        "weak": not row.enough_sample,
    }


def _facts_text(figures: Figures) -> list[str]:
    lines = []
    for fact, message in (
        (drafts.LATE, _("Results returned late: %(share)s of respondents.")),
        (drafts.NO_APOLOGY, _("Late results without a written apology: %(share)s of those returned late.")),
        (drafts.HARASSED, _("Respondents to whom a civil servant caused trouble: %(share)s.")),
        (drafts.EXTRA_PAID, _("Respondents asked to pay beyond the regulated fees: %(share)s.")),
    ):
        share = drafts.fact_share(figures, fact)
        if share is not None:
            lines.append(message % {"share": drafts.percent(share)})
    return lines


def _per_level(presentation, lines_of) -> list[str]:
    """`lines_of` each level's figures, each line after its level's title."""
    return [
        f"{level.title}: {line}"
        for level in presentation.levels
        for line in lines_of(presentation.group_figures(level.key))
        if line
    ]


def _expectations_text(figures: Figures) -> str:
    wanted = [e for e in figures.expectations_ranked if e.share.value][:TOP]
    if wanted:
        return _("What respondents most want improved: %(wanted)s.") % {
            "wanted": "; ".join(f"{e.label} ({drafts.percent(e.share.value)})" for e in wanted)}  # fmt: skip
    # Expectations rated on a scale (SIPAS-2023): those most often given the scale's top answer.
    top = [(r.label, r.options[-1]) for r in figures.ratings if r.options and r.options[-1].share.value]
    top = sorted(top, key=lambda item: -item[1].share.value)[:TOP]
    if not top:
        return ""
    return _("Expectations most often given the top answer (%(answer)s): %(wanted)s.") % {
        "answer": top[0][1].label,
        "wanted": "; ".join(f"{label} ({drafts.percent(option.share.value)})" for label, option in top)}  # fmt: skip


def _comments(report: Report) -> dict:
    names = {r.agency_id: r.name for r in report.presentation.agencies}
    labels = {theme.code: str(theme.label) for theme in THEMES}
    themes = [
        {
            "label": labels.get(theme.code, str(theme.label)),
            "count": count(theme.count),
            "share": drafts.percent(100 * theme.count / report.comment_count) if report.comment_count else "—",
            "examples": [{"text": e.text, "agency": names.get(e.agency_id, "")} for e in theme.examples[:2]],
        }
        for theme in report.themes
        if theme.count  # a theme nobody wrote about says nothing in a signed report
    ]
    return {"total": count(report.comment_count), "themes": themes}


def _run_rows(report: Report) -> list[tuple[str, str]]:
    run, appraisal = report.run, report.appraisal
    return [
        (_("Campaign"), report.campaign.name),
        (_("Methodology"), versions_text(report)),
        (_("Run number"), str(run.number)),
        (_("State of the run"), str(IndexRun.State(run.state).label)),
        (_("Computed at"), moment(run.computed_at)),
        (_("Appraised at"), moment(appraisal.appraised_at) if appraisal else "—"),
        (_("Published at"), moment(run.published_at)),
    ]


# --- The decision -------------------------------------------------------------------------------------------


def decision_context(report: Report) -> dict:
    """The decision approving and announcing the results: legal bases, Articles 1–3, appendix per level."""
    context = report_context(report)
    presentation, campaign, appraisal = report.presentation, report.campaign, report.appraisal
    below = drafts.under_target(presentation)
    due = appraisal.plans_due if appraisal and appraisal.plans_due else None
    overall = presentation.overall
    targets = {level.group.target for level in presentation.levels if level.group.target is not None}
    article2 = ""
    if len(targets) == 1:
        article2 = _(
            "Agencies whose satisfaction index is under the target of %(target)s %% (listed in the appendix) draw up "
            "action plans for their weakest criteria and send them to the Department of Home Affairs by %(due)s, "
            "recording them in the portal."
        ) % {"target": target_text(targets.pop()), "due": day(due) if due else "……/……/……"}  # fmt: skip
    elif targets:
        article2 = _(
            "Agencies whose satisfaction index is under the target of their level (%(targets)s; listed in the "
            "appendix) draw up action plans for their weakest criteria and send them to the Department of Home "
            "Affairs by %(due)s, recording them in the portal."
        ) % {"targets": "; ".join(f"{level.title}: {level.group.target_text} %" for level in presentation.levels
                                  if level.group.target is not None),
             "due": day(due) if due else "……/……/……"}  # fmt: skip
    if overall.pooled_index:
        article1 = _(
            "To approve and announce the results of %(subject)s: the index of the province is %(sipas)s %%, with "
            "the results of each agency by level in the appendix to this decision."
        ) % {"subject": subject(report), "sipas": overall.sipas.text}
    else:
        article1 = _(
            "To approve and announce the results of %(subject)s: the index of each level and of each agency by level, "
            "in the appendix to this decision (the levels answered different questionnaires: %(versions)s)."
        ) % {"subject": subject(report), "versions": versions_text(report)}
    context.update(
        letterhead=letterhead(report, "QĐ-SNV"),
        authority=_("Director of the Department of Home Affairs of %(province)s")
        % {"province": in_text(campaign.root)},
        authority_upper=(
            _("Director of the Department of Home Affairs of %(province)s") % {"province": in_text(campaign.root)}
        ).upper(),
        bases=[*legal_bases(report), _("The appraisal of the results by the Department of Home Affairs")],
        article1=article1,
        article2=article2,
        below=[{"name": r.name, "level": r.level_title, "sipas": r.sipas.text} for r in below],
        article3=_(
            "This decision takes effect from the date of signing. The Chief of Office of the Department, heads of "
            "departments, boards and sectors and chairmen of the People's Committees of communes and wards are "
            "responsible for carrying it out./."
        ),
        recipients=[
            _("As in Article 3;"),
            _("Provincial People's Committee (to report);"),
            _("Ministry of Home Affairs (to report);"),
            _("Portal of the province;"),
            _("Filed: Clerical office."),
        ],
    )
    return context


# --- The agency cards ---------------------------------------------------------------------------------------


def card_context(report: Report, row: AgencyRow, level: Level) -> dict:
    """One agency's card: its headline, place in its level, factors, weakest criteria, facts and what its
    respondents want; what it must do when it is under the target."""
    presentation, campaign = report.presentation, report.campaign
    figures = presentation.figures(row)
    appraisal = report.appraisal
    due = appraisal.plans_due if appraisal and appraisal.plans_due else None
    rank = (
        _("rank %(rank)s of %(ranked)s in its level") % {"rank": row.rank, "ranked": level.group.ranked_text}
        if row.rank is not None
        else _("not ranked (under its minimum sample of %(minimum)s)") % {"minimum": row.minimum_text}
        if not row.enough_sample
        else _("not ranked (no data)")
    )
    change = ""
    if row.change:
        change = _("Against %(previous)s: %(change)s points (%(real)s), %(rank_change)s.") % {
            "previous": presentation.previous_name(level) or "", "change": row.change.sipas_change_text,
            "real": row.change.real_text, "rank_change": row.change.rank_change_text or "—"}  # fmt: skip
    action = ""
    if row.meets_target is False:
        action = _("The agency is under the target of %(target)s %%: it draws up an action plan for its weakest "
                   "criteria and sends it to the Department of Home Affairs by %(due)s.") % {
            "target": level.group.target_text, "due": day(due) if due else "……/……/……"}  # fmt: skip
    headline = _("SIPAS %(sipas)s %% (95%% interval %(interval)s)") % {
        "sipas": row.sipas.text, "interval": row.sipas.interval_text}  # fmt: skip
    details = []
    if figures.parts:
        details.append("; ".join(f"{p.label} {p.index.text} %" for p in figures.parts))
    if row.grade:
        details.append(_("grade: %(grade)s") % {"grade": row.grade})
    if row.meets_target is not None:
        details.append(
            (_("meets its level's target of %(target)s %%") if row.meets_target
             else _("under its level's target of %(target)s %%")) % {"target": level.group.target_text}
        )  # fmt: skip
    factor_columns = [_("Evaluation of the criteria")]
    if figures.has_satisfaction:
        factor_columns += [_("Satisfaction"), _("95% interval")]
    return {
        "letterhead": letterhead(report, "SNV"),
        "campaign": campaign.name,
        "subject": subject(report),
        "subject_title": capfirst(subject(report)),
        "row": row,
        "agency": row.name,
        "level": row.level_title,
        "rank": rank,
        "change": change,
        "version": figures.version,
        "headline": headline,
        "details": capfirst("; ".join(details)),
        "factors": figures.factors,
        "has_satisfaction": figures.has_satisfaction,
        "factor_columns": factor_columns,
        "factor_rows": [
            {
                "label": f"{f.code}. {f.label}",
                "cells": [
                    f.evaluation.text,
                    *((f.satisfaction.text, f.satisfaction.interval_text) if figures.has_satisfaction else ()),
                ],
            }
            for f in figures.factors
        ],
        "weakest": figures.weakest(drafts.WEAKEST),
        "facts": _facts_text(figures),
        "expectations": _expectations_text(figures),
        "action": action,
        "status": _status(report.run),
    }


def cards_context(report: Report) -> dict:
    cards = [card_context(report, row, level) for level in report.presentation.levels for row in level.agencies]
    return {"cards": cards, "campaign": report.campaign.name, "letterhead": letterhead(report, "SNV")}


def level_of(report: Report, agency_id: int) -> tuple[AgencyRow, Level] | None:
    for level in report.presentation.levels:
        for row in level.agencies:
            if row.agency_id == agency_id:
                return row, level
    return None


__all__ = ["CAMPAIGN", "Letterhead", "Signer", "card_context", "cards_context", "decision_context", "level_of",
           "report_context"]  # fmt: skip
