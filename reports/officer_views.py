"""The index screens: the Home Affairs officer's dashboard of a campaign (the latest run's inputs, runs,
computing, appraisal and publication, headline figures and rankings per level) and the agency page that officers
and the agency's own leaders read (factors, criteria, intervals, trend, comments, action plans).

Scope: the dashboard is reached through surveys.selectors.get_managed_campaign only; the agency page through
agencies.scope.get_agency_in_scope with the officer or leader role, for a campaign that surveys the agency,
and only by an officer who manages the campaign or a leader (Role.MANAGER) of that very agency. Everyone
else gets a 404, so nobody learns that a campaign or an agency exists outside their area. Leaders see the
published run only; officers see the latest run.

The views only read, call one service per POST and render the rows of reports.presentation; every rule lives
in reports.services. The dashboard counts no responses: it shows what the run it shows counted (its stored
results), so it answers as fast with a million responses as with a hundred; live progress per agency is on
the campaign page."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from agencies.models import Agency, Membership, Role
from agencies.scope import get_agency_in_scope
from reports import charts
from reports.documents.drafts import draft_assessment, draft_recommendations
from reports.documents.services import reset_document_template, template_file, upload_document_template
from reports.jobs import DOCUMENTS, FORMATS, document_jobs, enqueue_compute, enqueue_document, pending_computations
from reports.models import ActionPlan, AgencyResult, DocumentKind, DocumentTemplate, IndexRun
from reports.officer_forms import (
    ActionPlanForm,
    ActionPlanUpdateForm,
    AppraisalForm,
    DocumentForm,
    RunForm,
    TemplateUploadForm,
)
from reports.presentation import (
    CAMPAIGN,
    Level,
    Questionnaire,
    agency_questionnaire,
    factor_chart,
    interval,
    number,
    present_agency,
    present_run,
    ranking_bars,
    signed,
)
from reports.rendering.docx import TemplateError
from reports.selectors import latest_run, published_run
from reports.services.figures import difference_is_real
from reports.services.publication import (
    PublicationError,
    appraise_run,
    publish_run,
    record_action_plan,
    unconfirmed_versions,
    update_action_plan,
)
from surveys.models import Campaign, CampaignState, Response
from surveys.selectors import get_managed_campaign, managed_campaigns

# compute_campaign_index refuses these states (ComputeError); the button is not offered there.
NOT_COMPUTABLE = (CampaignState.DRAFT, CampaignState.PUBLISHED)
WEAKEST_CRITERIA = 3
DASHBOARD_SHOWN = 10  # agencies shown at the top and at the bottom of each level's ranking on the dashboard
RANKING_PAGE = 100  # agencies per page of a level's whole ranking
COMMENTS_PER_PAGE = 20
COMMENT_CODE = "YK"

embed = charts.as_html


def _wants_json(request) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


# --- The officer's dashboard -------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dashboard(request, slug: str):
    campaign = get_managed_campaign(request.user, slug)
    appraisal_form = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "compute":
            return _compute(request, campaign)
        if action == "publish":
            return _publish(request, campaign)
        # --- documents (issue 17) ---
        if action == DocumentForm.action:
            return _ask_document(request, campaign)
        if action == TemplateUploadForm.action:
            template_form = TemplateUploadForm(request.POST, request.FILES)
            if template_form.is_valid() and _upload_template(request, campaign, template_form):
                return redirect(reverse("index:dashboard", kwargs={"slug": campaign.slug}) + "#documents")
            context = _dashboard_context(request, campaign, None)
            context["template_form"] = template_form
            return render(request, "reports/officer/dashboard.html", context, status=400)
        # --- end of documents ---
        if action != AppraisalForm.action:
            messages.error(request, _("This action is not available here."))
            return redirect("index:dashboard", slug=campaign.slug)
        appraisal_form = AppraisalForm(request.POST)
        if appraisal_form.is_valid() and _appraise(request, campaign, appraisal_form):
            return redirect("index:dashboard", slug=campaign.slug)
    return render(request, "reports/officer/dashboard.html", _dashboard_context(request, campaign, appraisal_form))


def _compute(request, campaign: Campaign):
    if campaign.state in NOT_COMPUTABLE:
        messages.error(request, _("A %(state)s campaign cannot be computed.") % {"state": campaign.get_state_display()})
        return redirect("index:dashboard", slug=campaign.slug)
    job = enqueue_compute(campaign=campaign, acting_user=request.user)
    status_url = reverse("job-status", kwargs={"job_id": job.pk})
    if _wants_json(request):  # job_progress.js shows the progress on the dashboard itself
        return JsonResponse({"job": job.pk, "status_url": status_url}, status=202)
    return redirect(status_url)


def _appraise(request, campaign: Campaign, form: AppraisalForm) -> bool:
    run = get_object_or_404(campaign.runs, pk=form.cleaned_data["run"])
    try:
        appraisal = appraise_run(run=run, acting_user=request.user, **form.service_kwargs())
    except PublicationError as exc:
        form.add_error(None, str(exc))
        return False
    if appraisal.approved:
        messages.success(request, _("Run %(number)s approved. It can now be published.") % {"number": run.number})
    else:
        messages.warning(request, _("Run %(number)s rejected. Compute the index again.") % {"number": run.number})
    return True


def _publish(request, campaign: Campaign):
    """Publishing is never one click: the dashboard's button leads to the confirmation page (publish_confirm)."""
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the run to publish."))
        return redirect("index:dashboard", slug=campaign.slug)
    return redirect(f"{reverse('index:publish', kwargs={'slug': campaign.slug})}?run={form.cleaned_data['run']}")


# --- Documents of a run (issue 17) -----------------------------------------------------------------------------

DOCUMENT_LABELS = {
    "report": _lazy("Province report"),
    "decision": _lazy("Announcement decision with its appendix"),
    "cards": _lazy("Agency cards (every agency in one file, or a ZIP of one DOCX per agency)"),
    "workbook": _lazy("Workbook of the figures"),
    "responses": _lazy("Anonymised raw responses"),
}


def _ask_document(request, campaign: Campaign):
    """Queue a document of one of the campaign's runs (or find it already queued or rendered) and follow it."""
    form = DocumentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a document and its format."))
        return redirect("index:dashboard", slug=campaign.slug)
    run = get_object_or_404(campaign.runs, pk=form.cleaned_data["run"])
    try:
        job = enqueue_document(
            run=run, document=form.cleaned_data["document"], fmt=form.cleaned_data["format"], acting_user=request.user
        )
    except ValueError:
        messages.error(request, _("This document is not available in this format."))
        return redirect("index:dashboard", slug=campaign.slug)
    status_url = reverse("job-status", kwargs={"job_id": job.pk})
    if _wants_json(request):
        return JsonResponse({"job": job.pk, "status_url": status_url}, status=202)
    return redirect(status_url)


def _upload_template(request, campaign: Campaign, form: TemplateUploadForm) -> bool:
    run = latest_run(campaign)
    if run is None:
        form.add_error(None, _("Compute the index first: an uploaded template is checked by filling it in."))
        return False
    upload = form.cleaned_data["file"]
    try:
        upload_document_template(
            run=run, kind=form.cleaned_data["kind"], content=upload.read(), filename=upload.name,
            acting_user=request.user,
        )  # fmt: skip
    except TemplateError as exc:
        form.add_error("file", _("The template was not saved; the previous one stays. %(reason)s") % {"reason": exc})
        return False
    messages.success(request, _("Template saved: the next documents of this province are filled from it."))
    return True


@login_required
@require_http_methods(["GET", "POST"])
def document_template(request, slug: str, kind: str):
    """GET: the province's template of `kind` (its upload, else the default) to edit in Word. POST: go back to
    the default. Officers who manage the campaign only."""
    campaign = get_managed_campaign(request.user, slug)
    if kind not in DocumentKind.values:
        raise Http404("No such document")
    if request.method == "POST":
        reset_document_template(province=campaign.root, kind=kind, acting_user=request.user)
        messages.success(request, _("The default template is used again."))
        return redirect(reverse("index:dashboard", kwargs={"slug": campaign.slug}) + "#documents")
    content, name = template_file(province=campaign.root, kind=kind)
    response = HttpResponse(content, content_type=FORMATS["docx"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _documents_context(campaign: Campaign, run: IndexRun) -> dict:
    jobs = document_jobs(run)
    documents = [
        {"key": key, "label": DOCUMENT_LABELS[key], "formats": [(fmt, jobs.get((key, fmt, None))) for fmt in formats]}
        for key, formats in DOCUMENTS.items()
        if key in DOCUMENT_LABELS
    ]
    uploaded = {t.kind: t for t in DocumentTemplate.objects.filter(province=campaign.root)}
    return {
        "documents": documents,
        "templates": [(kind, label, uploaded.get(kind)) for kind, label in DocumentKind.choices],
        "template_form": TemplateUploadForm(),
    }


def _dashboard_context(request, campaign: Campaign, appraisal_form: AppraisalForm | None) -> dict:
    runs = list(campaign.runs.select_related("computed_by").order_by("-number"))
    latest = runs[0] if runs else None
    pending = pending_computations(campaign)
    context = {
        "campaign": campaign,
        "runs": runs,
        "latest": latest,
        "pending_jobs": [(job, request.user.is_superuser or job.created_by_id == request.user.pk) for job in pending],
        "can_compute": campaign.state not in NOT_COMPUTABLE,
        "is_officer": True,
    }
    if latest is not None:
        context.update(_latest_run_context(campaign, latest, appraisal_form))
        context.update(_documents_context(campaign, latest))
    return context


def _latest_run_context(campaign: Campaign, run: IndexRun, appraisal_form: AppraisalForm | None) -> dict:
    presentation = present_run(run)
    agencies = presentation.agencies
    interim = presentation.interim
    return {
        "progress": {  # what this run counted, from its stored results
            "responses": run.responses_counted + run.responses_excluded,
            "excluded": run.responses_excluded,
            "counted": run.responses_counted,
            "agencies": len(agencies),
            "enough": sum(1 for row in agencies if row.enough_sample),
        },
        "appraisals": list(run.appraisals.select_related("appraised_by")),
        "interim": interim,
        "appraisal_form": appraisal_form
        if appraisal_form is not None
        else (
            AppraisalForm(
                run_id=run.pk,
                drafts={
                    "assessment": draft_assessment(presentation),
                    "recommendations": draft_recommendations(presentation),
                    "signer_title": _("p.p. DIRECTOR\nDEPUTY DIRECTOR"),
                },
            )
            if run.state == IndexRun.State.COMPUTED and not interim
            else None
        ),
        # One reverse() for the links of every agency (a thousand reverse() calls cost 20 ms): "/index/<slug>/agency/".
        "agency_urls": reverse("index:agency", kwargs={"slug": campaign.slug, "code": "-"}).removesuffix("-/"),
        "headline": presentation.overall,
        "headline_drivers": presentation.group_drivers(CAMPAIGN),
        "campaign_factor_chart": embed(factor_chart(presentation.group_figures(CAMPAIGN), whose=_("whole campaign")))
        if presentation.overall.n is not None
        else None,
        "levels": [_level_summary(campaign, presentation, level) for level in presentation.levels],
        "pooled_note": presentation.overall.pooled_note,
    }


def _level_summary(campaign: Campaign, presentation, level: Level) -> dict:
    """A level on the dashboard: its headline, grades and target, and the top and the bottom of its ranking (the
    whole ranking is a page of its own, a page at a time: a thousand rows and bars would not be read here)."""
    ranked = [row for row in level.agencies if row.rank is not None]
    top = ranked[:DASHBOARD_SHOWN]
    bottom = _bottom(ranked, DASHBOARD_SHOWN)
    return {
        "level": level,
        "group": level.group,
        "drivers": presentation.group_drivers(level.key),
        "top": top,
        "bottom": bottom,
        "hidden": len(ranked) - len(top) - len(bottom),
        "unranked": len(level.agencies) - len(ranked),
        "chart": _ranking_chart(level, [*top, *bottom]),
        "ranking_url": reverse("index:ranking", kwargs={"slug": campaign.slug, "level": level.key}),
    }


def _ranking_chart(level: Level, rows) -> str:
    svg = charts.ranking_chart(
        ranking_bars(rows, note=_("(not enough responses)")),
        title=_("SIPAS per agency: %(level)s") % {"level": level.title},
        description=_(
            "SIPAS of each agency of the level, 0–100, highest first, with its 95% interval; agencies under "
            "their minimum sample are drawn lighter and are not ranked."
        ),
        target=level.group.target,
    )
    return embed(svg)


@login_required
@require_http_methods(["GET"])
def level_ranking(request, slug: str, level: str):
    """A level's whole ranking in the latest run, RANKING_PAGE agencies a page at a time, with the chart of the
    page's agencies. Officers who manage the campaign only; a level the run has not is a 404."""
    campaign = get_managed_campaign(request.user, slug)
    run = latest_run(campaign)
    if run is None:
        raise Http404("No run")
    presentation = present_run(run)
    found = next((item for item in presentation.levels if item.key == level), None)
    if found is None:
        raise Http404("No such level in this run")
    page = Paginator(found.agencies, RANKING_PAGE).get_page(request.GET.get("page"))
    context = {
        "campaign": campaign,
        "run": run,
        "level": found,
        "group": found.group,
        "page": page,
        "chart": _ranking_chart(found, page.object_list),
        "agency_urls": reverse("index:agency", kwargs={"slug": campaign.slug, "code": "-"}).removesuffix("-/"),
        "is_officer": True,
    }
    return render(request, "reports/officer/ranking.html", context)


# --- Publication, confirmed ---------------------------------------------------------------------------------

PUBLISH_SHOWN = 3  # agencies shown at the top and at the bottom of each level's ranking


@login_required
@require_http_methods(["GET", "POST"])
def publish_confirm(request, slug: str):
    """What publishing a run makes public (its number, counts, the top and bottom agencies of each level, and a
    warning when the survey period has not ended), and the confirmed POST that publishes it."""
    campaign = get_managed_campaign(request.user, slug)
    form = RunForm(request.POST if request.method == "POST" else request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose the run to publish."))
        return redirect("index:dashboard", slug=campaign.slug)
    run = get_object_or_404(campaign.runs.select_related("computed_by"), pk=form.cleaned_data["run"])
    if request.method == "POST":
        try:
            publish_run(run=run, acting_user=request.user)
        except PublicationError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, _("Run %(number)s published: its figures are the campaign's results.") % {"number": run.number}
            )
        return redirect("index:dashboard", slug=campaign.slug)
    presentation = present_run(run)
    levels = [
        {
            "level": level,
            "top": level.agencies[:PUBLISH_SHOWN],
            "bottom": _bottom([a for a in level.agencies if a.rank is not None], PUBLISH_SHOWN),
            "unranked": sum(1 for a in level.agencies if a.rank is None),
        }
        for level in presentation.levels
    ]
    unconfirmed = unconfirmed_versions(run)
    context = {
        "campaign": campaign,
        "run": run,
        "publishable": run.state == IndexRun.State.APPRAISED and not unconfirmed,
        "appraised": run.state == IndexRun.State.APPRAISED,
        "unconfirmed": unconfirmed,
        "appraisals": list(run.appraisals.select_related("appraised_by")),
        "agencies": len(presentation.agencies),
        "enough": sum(1 for row in presentation.agencies if row.enough_sample),
        "levels": levels,
        "period_open": timezone.localdate() <= campaign.period_end,
        "is_officer": True,
    }
    return render(request, "reports/officer/publish_confirm.html", context)


def _bottom(ranked: list, count: int) -> list:
    """The last `count` ranked agencies not already among the first `count`, lowest last."""
    return ranked[max(count, len(ranked) - count) :]


# --- The agency page ------------------------------------------------------------------------------------------


@dataclass
class AgencyAccess:
    campaign: Campaign
    agency: Agency
    is_officer: bool
    run: IndexRun | None


def agency_access(user, slug: str, code: str) -> AgencyAccess:
    """Who may read an agency's page, and which run they see; Http404 for everyone else."""
    agency = get_agency_in_scope(user, code, [Role.OFFICER, Role.MANAGER])
    campaign = (
        Campaign.objects.select_related("methodology", "root").filter(slug=slug, participants__agency=agency).first()
    )
    if campaign is None:
        raise Http404("The campaign does not survey this agency")
    is_officer = managed_campaigns(user).filter(pk=campaign.pk).exists()
    if not is_officer and not Membership.objects.filter(user=user, agency=agency, role=Role.MANAGER).exists():
        raise Http404("Neither the campaign's officer nor the agency's leader")
    run = latest_run(campaign) if is_officer else published_run(campaign)
    return AgencyAccess(campaign, agency, is_officer, run)


@login_required
@require_http_methods(["GET", "POST"])
def agency_page(request, slug: str, code: str):
    access = agency_access(request.user, slug, code)
    if access.run is None:
        return render(request, "reports/officer/agency_unavailable.html", {**vars(access)})
    questionnaire = agency_questionnaire(access.campaign, access.agency)
    plan_form = update_form = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == ActionPlanForm.action:
            plan_form = ActionPlanForm(request.POST, criteria=_criterion_choices(questionnaire))
            if plan_form.is_valid() and _add_plan(request, access, plan_form):
                return redirect(_agency_url(access, "action-plans"))
        elif action == ActionPlanUpdateForm.action:
            update_form = ActionPlanUpdateForm(request.POST)
            if update_form.is_valid() and _update_plan(request, access, update_form):
                return redirect(_agency_url(access, "action-plans"))
        else:
            messages.error(request, _("This action is not available here."))
            return redirect(_agency_url(access))
    context = _agency_context(request, access, questionnaire, plan_form, update_form)
    return render(request, "reports/officer/agency.html", context)


@login_required
@require_http_methods(["POST"])
def agency_card(request, slug: str, code: str):
    """Queue the agency's results card (or find it rendered) and follow it: its leaders once the run is
    published, the campaign's officers for any run."""
    access = agency_access(request.user, slug, code)
    if access.run is None:
        raise Http404("No run")
    try:
        job = enqueue_document(
            run=access.run, document="card", fmt=request.POST.get("format", ""), agency_id=access.agency.pk,
            acting_user=request.user,
        )  # fmt: skip
    except ValueError:
        messages.error(request, _("This document is not available in this format."))
        return redirect(_agency_url(access))
    return redirect("job-status", job_id=job.pk)


def _agency_url(access: AgencyAccess, anchor: str = "") -> str:
    url = reverse("index:agency", kwargs={"slug": access.campaign.slug, "code": access.agency.code})
    return f"{url}#{anchor}" if anchor else url


def _criterion_choices(questionnaire: Questionnaire) -> list[tuple[str, str]]:
    return [(q.code, f"{q.code} — {q.label}") for q in questionnaire.criteria]


def _add_plan(request, access: AgencyAccess, form: ActionPlanForm) -> bool:
    try:
        record_action_plan(
            campaign=access.campaign, agency=access.agency, acting_user=request.user, **form.service_kwargs()
        )
    except ValueError as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, _("Action plan recorded."))
    return True


def _update_plan(request, access: AgencyAccess, form: ActionPlanUpdateForm) -> bool:
    plan = get_object_or_404(ActionPlan, pk=form.cleaned_data["plan"], campaign=access.campaign, agency=access.agency)
    try:
        update_action_plan(
            plan=plan,
            status=form.cleaned_data["status"],
            follow_up=form.cleaned_data["follow_up"],
            acting_user=request.user,
        )
    except ValueError as exc:
        form.add_error(None, str(exc))
        return False
    messages.success(request, _("Follow-up saved."))
    return True


def _agency_context(request, access: AgencyAccess, questionnaire: Questionnaire, plan_form, update_form) -> dict:
    campaign, agency, run = access.campaign, access.agency, access.run
    presentation = present_agency(run, agency.code, questionnaire=questionnaire)
    trend = _trend(campaign, agency)
    context = {
        **vars(access),
        "published": run.state == IndexRun.State.PUBLISHED,
        "interim": bool(run.summary.get("interim")),
        "row": presentation.row if presentation else None,
        "comments": _comments(request, campaign, agency),
        "card_formats": DOCUMENTS["card"] if presentation else (),
    }
    if presentation is None:
        return context
    row, figures, result = presentation.row, presentation.figures, presentation.result
    weakest = figures.weakest(WEAKEST_CRITERIA)
    labels = {c.code: c.label for c in figures.criteria}
    context.update(
        {
            "level": presentation.level,
            "previous_name": _previous_name(row.change.previous_campaign, trend) if row.change else "",
            "figures": figures,
            "factor_chart": embed(factor_chart(figures, whose=agency.name)),
            "weakest": weakest,
            "weakest_codes": {c.code for c in weakest},
            "trend_rows": [_trend_row(r, agency, campaign) for r in [*trend, result]],
            "trend_chart": _trend_chart(agency, [*trend, result]) if trend else None,
            **_plans(campaign, agency, trend, result.figures, update_form, labels),
            "plan_form": plan_form
            or ActionPlanForm(
                criteria=_criterion_choices(questionnaire), initial_criterion=weakest[0].code if weakest else None
            ),
        }
    )
    return context


def _previous_name(slug: str, trend: list[AgencyResult]) -> str:
    """The previous campaign's name, from the trend already read (its slug if the trend lacks it)."""
    return next((r.run.campaign.name for r in trend if r.run.campaign.slug == slug), slug)


def _trend(campaign: Campaign, agency: Agency) -> list[AgencyResult]:
    """The agency's published results in earlier campaigns, and those of the units it absorbed (successor
    links), oldest first. Two queries."""
    ids = [agency.pk, *agency.predecessors.values_list("pk", flat=True)]
    return list(
        AgencyResult.objects.filter(
            agency_id__in=ids,
            run__state=IndexRun.State.PUBLISHED,
            run__campaign__period_start__lt=campaign.period_start,
        )
        .select_related("agency", "run__campaign")
        .order_by("run__campaign__period_start", "agency__path")
    )


def _trend_row(result: AgencyResult, agency: Agency, campaign: Campaign) -> dict:
    return {
        "campaign": result.run.campaign,
        "current": result.run.campaign_id == campaign.pk,
        "published": result.run.state == IndexRun.State.PUBLISHED,
        "predecessor": result.agency if result.agency_id != agency.pk else None,
        "sipas": number(result.sipas),
        "interval": interval(result.figures["intervals"].get("sipas")),
        "hl": number(result.figures.get("hl")),
        "rank": result.rank,
        "n": result.n,
        "enough": result.enough_sample,
    }


def _trend_chart(agency: Agency, results: list[AgencyResult]) -> str:
    bars = [
        charts.Bar(
            label=f"{r.run.campaign.year} · {r.agency.name}" if r.agency_id != agency.pk else str(r.run.campaign.year),
            value=r.sipas,
            interval=r.figures["intervals"].get("sipas"),
            weak=not r.enough_sample,
        )
        for r in results
    ]
    svg = charts.ranking_chart(
        bars,
        title=_("SIPAS across campaigns: %(agency)s") % {"agency": agency.name},
        description=_(
            "SIPAS of the agency (or of the units it absorbed) in each campaign, 0–100, with its 95% interval."
        ),
    )
    return embed(svg)


def _comments(request, campaign: Campaign, agency: Agency):
    """The free comments (YK) of the counted responses of this agency, newest first, a page at a time."""
    answers = (
        Response.objects.filter(campaign=campaign, agency=agency, excluded=False, answers__has_key=COMMENT_CODE)
        .exclude(**{f"answers__{COMMENT_CODE}": ""})
        .order_by("-submitted_at", "-pk")
        .values_list("submitted_at", f"answers__{COMMENT_CODE}")
    )
    return Paginator(answers, COMMENTS_PER_PAGE).get_page(request.GET.get("page"))


def _plans(campaign: Campaign, agency: Agency, trend, figures: dict, update_form, labels: dict[str, str]) -> dict:
    """This campaign's action plans with their follow-up forms, and earlier campaigns' plans of this agency
    (or of the units it absorbed) with how their criterion moved since."""
    ids = {r.agency_id for r in trend} | {agency.pk}
    plans = list(
        ActionPlan.objects.filter(agency_id__in=ids, campaign__period_start__lte=campaign.period_start)
        .select_related("campaign", "agency", "created_by")
        .order_by("-campaign__period_start", "criterion", "due")
    )
    current = [p for p in plans if p.campaign_id == campaign.pk]
    earlier = [p for p in plans if p.campaign_id != campaign.pk]
    bound = update_form.cleaned_data.get("plan") if update_form is not None and update_form.is_bound else None
    then = {(r.run.campaign_id, r.agency_id): r for r in trend}
    change = figures.get("change") or {}
    return {
        "plans": [
            {
                "plan": plan,
                "label": labels.get(plan.criterion, ""),
                "form": update_form if bound == plan.pk else ActionPlanUpdateForm(plan=plan),
            }
            for plan in current
        ],
        "earlier_plans": [
            {
                **_moved(plan, then.get((plan.campaign_id, plan.agency_id)), figures, change),
                "label": labels.get(plan.criterion, ""),
            }
            for plan in earlier
        ],
    }


def _moved(plan: ActionPlan, before: AgencyResult | None, figures: dict, change: dict) -> dict:
    """How a plan's criterion moved from the plan's campaign to this one: the run's own change against the
    previous campaign when the plan belongs to it, else the difference with the plan agency's result then."""
    code = plan.criterion
    now = figures["criteria"].get(code)
    then = before.figures["criteria"].get(code) if before is not None else None
    if plan.campaign.slug == change.get("previous_campaign") and code in (change.get("criteria") or {}):
        moved = change["criteria"][code]
    else:
        moved = None if now is None or then is None else now - then
    real = None
    if before is not None:
        real = difference_is_real(
            now,
            figures["intervals"]["criteria"].get(code),
            then,
            before.figures["intervals"]["criteria"].get(code),
        )
    return {
        "plan": plan,
        "then": number(then),
        "now": number(now),
        "moved": signed(moved),
        "direction": None if moved is None else ("up" if moved > 0 else "down" if moved < 0 else "same"),
        "real": real,
    }
