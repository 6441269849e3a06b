"""The officer's review of flagged responses (/campaigns/<slug>/flags/): counts per rule, the flagged responses
with their answers and comments in words, and decisions. A decision on every response of a rule is asked for
twice: the first POST shows what it would change, only the confirmed one acts. Once the results are published,
decisions are refused with a message (surveys.services.quality.decide_flagged says why).

Scope: the campaign is reached through surveys.selectors.get_managed_campaign only (404 outside the officer's
subtree)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from surveys.forms import localized_option
from surveys.models import Campaign, CampaignState, FlagRule, QuestionKind, Response, ResponseFlag
from surveys.officer_forms import FlagDecisionForm, FlagFilterForm
from surveys.officer_views import rule_label
from surveys.selectors import get_managed_campaign
from surveys.services.campaigns import CampaignStateError
from surveys.services.quality import decide_flagged, flagged_responses

FLAGGED_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def campaign_flags(request, slug: str):
    campaign = get_managed_campaign(request.user, slug)
    if request.method == "POST":
        return _decide(request, campaign)
    filters = FlagFilterForm(request.GET or None)
    rule = decision = ""
    if filters.is_valid():
        rule, decision = filters.cleaned_data["rule"], filters.cleaned_data["decision"]
    queryset = flagged_responses(campaign, rule=rule or None)
    if decision == FlagFilterForm.UNDECIDED:
        queryset = queryset.filter(decided_at__isnull=True)
    elif decision == FlagFilterForm.INCLUDED:
        queryset = queryset.filter(decided_at__isnull=False, excluded=False)
    elif decision == FlagFilterForm.EXCLUDED:
        queryset = queryset.filter(excluded=True)
    queryset = (
        queryset.select_related("agency", "decided_by").prefetch_related("flags").order_by("-submitted_at", "-pk")
    )
    page = Paginator(queryset, FLAGGED_PER_PAGE).get_page(request.GET.get("page"))
    answers = AnswerReader(campaign)
    for response in page:
        response.decision_label = rule_label(response.decision_rule) if response.decided_at else ""
        response.answer_rows = answers.rows(response.answers)
        response.comments = [row for row in response.answer_rows if row["text"]]
    summary = Response.objects.filter(campaign=campaign, flags__isnull=False).aggregate(
        flagged=Count("pk", distinct=True),
        excluded=Count("pk", distinct=True, filter=Q(excluded=True)),
        undecided=Count("pk", distinct=True, filter=Q(decided_at__isnull=True)),
    )
    context = {
        "campaign": campaign,
        "rules": _rule_counts(campaign),
        "summary": summary,
        "filters": filters,
        "page": page,
        "decisions_open": campaign.state != CampaignState.PUBLISHED,
        "tab": "flags",
    }
    return render(request, "surveys/officer/campaign_flags.html", context)


class AnswerReader:
    """A response's answers in words: each answered question (code and wording) with its answer's label, in the
    questionnaire's order. The campaign's questions are read once per page."""

    def __init__(self, campaign: Campaign):
        self.questions = list(campaign.methodology.questions.order_by("order", "pk"))
        self.scale = {str(option["code"]): localized_option(option) for option in campaign.methodology.scale}

    def rows(self, answers: dict) -> list[dict]:
        return [
            {
                "code": question.code,
                "question": question.label,
                "answer": self._answer(question, answers[question.code]),
                "text": question.kind == QuestionKind.TEXT,
            }
            for question in self.questions
            if question.code in answers
        ]

    def _answer(self, question, value) -> str:
        if question.kind == QuestionKind.TEXT:
            return str(value)
        if question.kind == QuestionKind.SCALE5:
            label = self.scale.get(str(value))
            return f"{value} — {label}" if label else str(value)
        labels = {option["code"]: localized_option(option) for option in question.options}
        codes = value if isinstance(value, list) else [value]
        return "; ".join(f"{code} — {labels[code]}" if code in labels else str(code) for code in codes)


def _rule_counts(campaign: Campaign) -> list[dict]:
    """Per rule that occurs: responses flagged, excluded and still awaiting a decision (one GROUP BY)."""
    counts = {
        row["rule"]: row
        for row in ResponseFlag.objects.filter(response__campaign=campaign)
        .values("rule")
        .annotate(
            flagged=Count("response_id"),
            excluded=Count("response_id", filter=Q(response__excluded=True)),
            undecided=Count("response_id", filter=Q(response__decided_at__isnull=True)),
        )
        .order_by("rule")
    }
    return [
        {"rule": rule, "label": rule.label, **{k: counts[rule][k] for k in ("flagged", "excluded", "undecided")}}
        for rule in FlagRule
        if rule in counts
    ]


def _decide(request, campaign: Campaign):
    form = FlagDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose to include or exclude, and a rule or one response."))
        return redirect(request.get_full_path())
    if campaign.state == CampaignState.PUBLISHED:
        messages.error(request, _("The results are published: decisions on responses can no longer change."))
        return redirect(request.get_full_path())
    kwargs = form.service_kwargs()
    if "rule" in kwargs and not form.cleaned_data["confirmed"]:
        return _confirm_by_rule(request, campaign, kwargs["rule"], include=kwargs["include"])
    try:
        count = decide_flagged(campaign=campaign, acting_user=request.user, **kwargs)
    except CampaignStateError as exc:  # published meanwhile
        messages.error(request, str(exc))
        return redirect(request.get_full_path())
    if count == 0:
        messages.warning(request, _("No flagged response matched; nothing changed."))
    elif kwargs["include"]:
        messages.success(
            request,
            ngettext(
                "%(count)s response included: it counts in the index.",
                "%(count)s responses included: they count in the index.",
                count,
            )
            % {"count": count},
        )
    else:
        messages.success(
            request,
            ngettext(
                "%(count)s response excluded from the index.", "%(count)s responses excluded from the index.", count
            )
            % {"count": count},
        )
    return redirect(request.get_full_path())


def _confirm_by_rule(request, campaign: Campaign, rule: str, *, include: bool):
    """The page that asks to confirm a decision on every response of a rule, with the counts it concerns."""
    row = next((r for r in _rule_counts(campaign) if r["rule"] == rule), None)
    counts = {"flagged": 0, "excluded": 0, "undecided": 0} if row is None else row
    context = {
        "campaign": campaign,
        "rule": rule,
        "rule_label": FlagRule(rule).label,
        "include": include,
        "counts": {**counts, "included": counts["flagged"] - counts["excluded"] - counts["undecided"]},
        "back": request.get_full_path(),
        "tab": "flags",
    }
    return render(request, "surveys/officer/flags_confirm.html", context)
