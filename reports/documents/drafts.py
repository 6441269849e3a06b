"""The first draft of the report's sections III (overall assessment) and IV (recommendations), written by the
portal from a run's rows: the officer edits it on the dashboard and saves it with the appraisal, and the report
prints what was saved. Each paragraph says one thing the figures show; nothing here is a figure of its own
(the numbers are those of reports.presentation, formatted by it)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from reports.presentation import CAMPAIGN, Figures, RunPresentation, number

WEAKEST = 3
NAMED_AGENCIES = 5  # agencies under the target named in a sentence; the others are counted

# Reported facts of the shipped questionnaires whose share a document comments on: per fact, the (question,
# options) of each version that asks it (SIPAS-2017's yes/no questions, SIPAS-2023's "none / some / many").
LATE = (("TH", ("3",)),)  # the result came late
NO_APOLOGY = (("XL", ("2",)),)  # asked only when late: no written apology
HARASSED = (("PH", ("2",)), ("NK", ("2", "3")))  # a servant caused trouble
EXTRA_PAID = (("TN", ("2",)), ("CP", ("2", "3")))  # asked to pay beyond the regulated fees


def fact_share(figures: Figures, fact: tuple[tuple[str, tuple[str, ...]], ...]) -> float | None:
    """The share (0–100) of respondents who gave one of `fact`'s options, by the first of its questions the
    figures hold; None when the questionnaire has no such question or nobody answered it."""
    for code, options in fact:
        for row in figures.facts:
            if row.code == code:
                values = [o.share.value for o in row.options if o.code in options]
                return None if not values or all(v is None for v in values) else sum(v or 0 for v in values)
    return None


def percent(value: float | None) -> str:
    return number(value) + " %"


def _names(rows) -> str:
    names = [r.name for r in rows[:NAMED_AGENCIES]]
    if len(rows) > NAMED_AGENCIES:
        names.append(_("and %(count)s more") % {"count": len(rows) - NAMED_AGENCIES})
    return ", ".join(names)


def _criteria(figures: Figures) -> str:
    return "; ".join(f"{c.label} ({c.index.text})" for c in figures.weakest(WEAKEST))


def under_target(presentation: RunPresentation) -> list:
    """Ranked agencies whose SIPAS is under their level's target, lowest first (none without a target)."""
    rows = [r for r in presentation.agencies if r.meets_target is False and r.enough_sample]
    return sorted(rows, key=lambda r: r.sipas.value)


def _best_factor(figures: Figures) -> tuple[str, float] | None:
    """The factor respondents were most satisfied with (by its satisfaction; by the evaluation of its criteria for
    a version that asks no satisfaction per factor), with its figure."""
    if figures.has_satisfaction:
        scored = [(f.label, f.satisfaction.value) for f in figures.factors if f.satisfaction.value is not None]
    else:
        scored = [(f.label, f.evaluation.value) for f in figures.factors if f.evaluation.value is not None]
    return max(scored, key=lambda item: item[1]) if scored else None


def draft_assessment(presentation: RunPresentation) -> str:
    """Strengths, weaknesses and their likely causes, one paragraph each, as the figures state them."""
    overall = presentation.overall
    campaign = presentation.group_figures(CAMPAIGN)
    paragraphs = []
    if overall.n is None or not overall.n:
        return _("No response was counted: the figures allow no assessment.")
    if overall.pooled_index and overall.sipas.value is not None:
        strengths = _("Strengths: the satisfaction index of the province reached %(sipas)s.") % {
            "sipas": percent(overall.sipas.value)
        }
    else:  # levels on different versions: each level's own index
        strengths = _("Strengths: %(levels)s.") % {
            "levels": "; ".join(
                _("the satisfaction index of %(level)s reached %(sipas)s")
                % {"level": level.title, "sipas": percent(level.group.sipas.value)}
                for level in presentation.levels
                if level.group.sipas.value is not None
            )
        }
    for level in presentation.levels:
        best = _best_factor(presentation.group_figures(level.key))
        if best:
            strengths += " " + _("%(level)s: respondents rated %(factor)s best (%(value)s).") % {
                "level": level.title, "factor": best[0], "value": percent(best[1])}  # fmt: skip
        target = level.group.target
        if target is not None and level.group.ranked:
            meeting = level.group.meets_target
            if meeting is None:  # a run computed before targets per level
                meeting = sum(1 for r in level.agencies if r.meets_target)
            strengths += " " + _(
                "%(level)s: %(meeting)s of %(ranked)s ranked agencies meet the target of %(target)s."
            ) % {"level": level.title, "meeting": meeting, "ranked": level.group.ranked, "target": percent(target)}
    paragraphs.append(strengths)

    weaknesses = [_("Weaknesses:")]
    for level in presentation.levels:
        criteria = _criteria(presentation.group_figures(level.key))
        if criteria:
            weaknesses.append(
                _("%(level)s: the weakest criteria are %(criteria)s.") % {"level": level.title, "criteria": criteria}
            )
    below = under_target(presentation)
    if below:
        weaknesses.append(
            _("%(count)s agencies are under the target: %(names)s.") % {"count": len(below), "names": _names(below)}
        )
    late, no_apology = fact_share(campaign, LATE), fact_share(campaign, NO_APOLOGY)
    if late:
        sentence = _("%(late)s of the results were returned late") % {"late": percent(late)}
        if no_apology:
            sentence += _(", and %(share)s of the late results came without the written apology the law requires") % {
                "share": percent(no_apology)
            }
        weaknesses.append(sentence + ".")
    for fact, message in (
        (HARASSED, _("%(share)s of respondents say a civil servant caused them trouble.")),
        (EXTRA_PAID, _("%(share)s of respondents were asked to pay beyond the regulated fees.")),
    ):
        share = fact_share(campaign, fact)
        if share:
            weaknesses.append(message % {"share": percent(share)})
    if len(weaknesses) > 1:
        paragraphs.append(" ".join(weaknesses))

    wanted = [e for e in campaign.expectations_ranked if e.share.value][:WEAKEST]
    if wanted:
        paragraphs.append(
            _("Causes: what respondents most want improved points at them: %(wanted)s.")
            % {"wanted": "; ".join(f"{e.label} ({percent(e.share.value)})" for e in wanted)}
        )
    return "\n\n".join(paragraphs)


def draft_recommendations(presentation: RunPresentation) -> str:
    """One recommendation per weakness the assessment names, addressed to those who can act on it."""
    campaign = presentation.group_figures(CAMPAIGN)
    paragraphs = []
    for level in presentation.levels:
        weakest = presentation.group_figures(level.key).weakest(WEAKEST)
        if weakest:
            paragraphs.append(
                _("%(level)s: give priority to improving %(criteria)s.")
                % {"level": level.title, "criteria": "; ".join(c.label for c in weakest)}
            )
    below = under_target(presentation)
    if below:
        paragraphs.append(
            _(
                "Agencies under the target (%(names)s) draw up action plans for their weakest criteria and report on them in the portal."
            )
            % {"names": _names(below)}
        )
    if fact_share(campaign, NO_APOLOGY):
        paragraphs.append(
            _(
                "Heads of agencies make sure that every late result is accompanied by a written apology, as the law requires."
            )
        )
    if fact_share(campaign, HARASSED) or fact_share(campaign, EXTRA_PAID):
        paragraphs.append(
            _(
                "Inspect the one-stop shops where respondents report trouble or payments beyond the regulated fees, and handle the servants responsible."
            )
        )
    wanted = [e for e in campaign.expectations_ranked if e.share.value][:1]
    if wanted:
        paragraphs.append(_("Answer what respondents want most: %(wanted)s.") % {"wanted": wanted[0].label})
    paragraphs.append(
        _("Keep measuring satisfaction every year and publish the results, so that changes can be followed.")
    )
    return "\n\n".join(paragraphs)
