"""The Home Affairs officer's questionnaire screens (/methods/): the versions an officer may read (shipped ones and
their province's), cloning, editing a version that has no responses (settings, factors, questions, skip logic,
scoring), a preview of the citizen form as a phone shows it, the spreadsheet export and import, and a campaign's
version, target and bands per level.

Scope: only officers of a province (or superusers) reach these pages; a version of another province is a 404, like a
missing one. Shipped versions are read and cloned, never edited. Every change goes through a service of
surveys.services.methodology (audited, refused once the version has responses)."""

from __future__ import annotations

import io

from csp.constants import SELF
from csp.decorators import csp_replace
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from agencies.models import Agency, AgencyKind, Membership, Role
from surveys.forms import SurveyForm
from surveys.method_forms import CloneForm, FactorForm, ImportForm, LevelsForm, QuestionForm, SettingsForm
from surveys.methodology.spreadsheet import SpreadsheetRejected
from surveys.models import Methodology
from surveys.selectors import get_managed_campaign
from surveys.services.answers import QuestionSet
from surveys.services.campaigns import CampaignStateError, set_level_settings
from surveys.services.methodology import (
    MethodologyError,
    MethodologyLocked,
    clone_methodology,
    confirm_weights,
    delete_factor,
    delete_question,
    export_methodology,
    import_methodology,
    is_locked,
    move_factor,
    move_question,
    save_factor,
    save_question,
    update_settings,
    weights_unconfirmed,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_KINDS = (AgencyKind.DEPARTMENT, AgencyKind.DISTRICT, AgencyKind.COMMUNE)


def officer_provinces(user) -> list[Agency]:
    """The provinces whose questionnaires `user` authors: those where they are a Home Affairs officer."""
    if user.is_superuser:
        return list(Agency.objects.filter(kind=AgencyKind.PROVINCE).order_by("code"))
    ids = Membership.objects.filter(user=user, role=Role.OFFICER, agency__kind=AgencyKind.PROVINCE).values("agency")
    return list(Agency.objects.filter(pk__in=ids).order_by("code"))


def visible_versions(user):
    """The versions `user` may read: the shipped ones and their provinces' own."""
    return Methodology.objects.filter(Q(owner__isnull=True) | Q(owner__in=officer_provinces(user)))


def _require_author(user) -> list[Agency]:
    provinces = officer_provinces(user)
    if not provinces:
        raise Http404("Province officers only")
    return provinces


def _version(request, code: str, *, edit: bool = False) -> Methodology:
    """The version `code` if the user may read it (404 otherwise); with `edit`, only a version of their province."""
    provinces = _require_author(request.user)
    version = get_object_or_404(visible_versions(request.user).select_related("owner", "based_on"), code=code)
    if edit and (version.owner_id is None or version.owner not in provinces):
        raise Http404("Not an editable version")
    return version


def _refused(request, version: Methodology, error: Exception):
    messages.error(request, str(error))
    return redirect("methods:detail", code=version.code)


@login_required
@require_GET
def method_list(request):
    provinces = _require_author(request.user)
    versions = visible_versions(request.user).select_related("owner").order_by("owner__code", "code")
    return render(
        request, "surveys/methods/list.html",
        {"versions": versions, "import_form": ImportForm(), "provinces": provinces},
    )  # fmt: skip


@login_required
@require_POST
def method_import(request):
    provinces = _require_author(request.user)
    form = ImportForm(request.POST, request.FILES)
    errors = []
    if form.is_valid():
        try:
            version = import_methodology(
                source=form.cleaned_data["file"], owner=provinces[0], code=form.cleaned_data["code"] or None,
                acting_user=request.user,
            )  # fmt: skip
        except SpreadsheetRejected as rejected:
            form.add_error(None, rejected.message)
            errors = rejected.errors
        else:
            messages.success(request, _("Version %(code)s imported.") % {"code": version.code})
            return redirect("methods:detail", code=version.code)
    versions = visible_versions(request.user).select_related("owner").order_by("owner__code", "code")
    return render(
        request, "surveys/methods/list.html",
        {"versions": versions, "import_form": form, "import_errors": errors, "provinces": provinces},
        status=400,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def method_detail(request, code: str):
    version = _version(request, code)
    provinces = officer_provinces(request.user)
    editable = version.owner_id is not None and version.owner in provinces
    clone_form = CloneForm(request.POST or None, prefix="clone")
    if request.method == "POST" and request.POST.get("action") == "clone":
        if clone_form.is_valid():
            try:
                clone = clone_methodology(
                    source=version, code=clone_form.cleaned_data["code"].strip(), name=clone_form.cleaned_data["name"],
                    owner=version.owner if editable else provinces[0], acting_user=request.user,
                )  # fmt: skip
            except MethodologyError as error:
                clone_form.add_error("code", str(error))
            else:
                messages.success(request, _("Version %(code)s created: you can edit it now.") % {"code": clone.code})
                return redirect("methods:detail", code=clone.code)
    elif request.method == "POST":
        if not editable:
            raise Http404("Not an editable version")
        return _detail_action(request, version)
    locked = is_locked(version)
    return render(
        request, "surveys/methods/detail.html",
        {
            "version": version, "editable": editable and not locked, "locked": locked, "clone_form": clone_form,
            "factors": list(version.factors.order_by("order")),
            "questions": list(version.questions.select_related("factor").order_by("order")),
            "weights_unconfirmed": weights_unconfirmed(version), "preview_kinds": PREVIEW_KINDS,
        },
    )  # fmt: skip


def _detail_action(request, version: Methodology):
    """Move or delete a factor or a question, or confirm the weights."""
    action = request.POST.get("action", "")
    try:
        if action in ("question_up", "question_down", "question_delete"):
            question = get_object_or_404(version.questions, code=request.POST.get("code", ""))
            if action == "question_delete":
                delete_question(question=question, acting_user=request.user)
            else:
                move_question(question=question, up=action == "question_up", acting_user=request.user)
        elif action in ("factor_up", "factor_down", "factor_delete"):
            factor = get_object_or_404(version.factors, code=request.POST.get("code", ""))
            if action == "factor_delete":
                delete_factor(factor=factor, acting_user=request.user)
            else:
                move_factor(factor=factor, up=action == "factor_up", acting_user=request.user)
        elif action == "confirm_weights":
            confirm_weights(methodology=version, acting_user=request.user)
            messages.success(request, _("The weights are recorded as confirmed by you."))
        else:
            raise Http404("Unknown action")
    except (MethodologyLocked, MethodologyError) as error:
        return _refused(request, version, error)
    return redirect("methods:detail", code=version.code)


@login_required
@require_http_methods(["GET", "POST"])
def method_settings(request, code: str):
    version = _version(request, code, edit=True)
    form = SettingsForm(request.POST or None, initial=SettingsForm.initial_of(version))
    if request.method == "POST" and form.is_valid():
        try:
            update_settings(methodology=version, acting_user=request.user, **form.cleaned_data)
        except MethodologyLocked as error:
            return _refused(request, version, error)
        except MethodologyError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Settings saved."))
            return redirect("methods:detail", code=version.code)
    return render(request, "surveys/methods/form.html", {"version": version, "form": form, "title": _("Settings")})


@login_required
@require_http_methods(["GET", "POST"])
def factor_edit(request, code: str, factor_code: str | None = None):
    version = _version(request, code, edit=True)
    factor = get_object_or_404(version.factors, code=factor_code) if factor_code else None
    initial = (
        {"code": factor.code, "name": factor.name, "name_en": factor.name_en, "part": factor.part} if factor else {}
    )
    form = FactorForm(request.POST or None, initial=initial, methodology=version)
    if request.method == "POST" and form.is_valid():
        try:
            save_factor(methodology=version, factor=factor, acting_user=request.user, **form.cleaned_data)
        except MethodologyLocked as error:
            return _refused(request, version, error)
        except MethodologyError as error:
            form.add_error(None, str(error))
        else:
            return redirect("methods:detail", code=version.code)
    title = _("Factor %(code)s") % {"code": factor.code} if factor else _("New factor")
    return render(request, "surveys/methods/form.html", {"version": version, "form": form, "title": title})


@login_required
@require_http_methods(["GET", "POST"])
def question_edit(request, code: str, question_code: str | None = None):
    version = _version(request, code, edit=True)
    question = get_object_or_404(version.questions, code=question_code) if question_code else None
    initial = QuestionForm.initial_of(question) if question else {}
    form = QuestionForm(request.POST or None, initial=initial, methodology=version, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            save_question(methodology=version, question=question, acting_user=request.user, **form.service_fields())
        except MethodologyLocked as error:
            return _refused(request, version, error)
        except MethodologyError as error:
            form.add_error(None, str(error))
        else:
            return redirect("methods:detail", code=version.code)
    title = _("Question %(code)s") % {"code": question.code} if question else _("New question")
    return render(request, "surveys/methods/form.html", {"version": version, "form": form, "title": title})


@xframe_options_sameorigin  # shown in a phone-sized frame on the version's own page, nowhere else
@csp_replace({"frame-ancestors": [SELF]})
@login_required
@require_GET
def method_preview(request, code: str):
    """The citizen form of the version as an agency of the chosen kind is asked it, as a phone shows it; it sends
    nothing."""
    version = _version(request, code)
    kind = request.GET.get("kind") if request.GET.get("kind") in PREVIEW_KINDS else AgencyKind.COMMUNE
    questions = QuestionSet.for_agency(
        version.questions.select_related("factor", "methodology").order_by("order"), kind, version.scale
    )
    form = SurveyForm(questions=questions, scale=questions.scale)
    return render(
        request, "surveys/methods/preview.html",
        {"version": version, "form": form, "sections": form.sections({}), "kind": kind, "kinds": PREVIEW_KINDS},
    )  # fmt: skip


@login_required
@require_GET
def method_export(request, code: str):
    version = _version(request, code)
    out = io.BytesIO()
    export_methodology(methodology=version, target=out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{version.code}.xlsx"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def campaign_levels(request, slug: str):
    """A campaign's version, target and grading bands for each level."""
    campaign = get_managed_campaign(request.user, slug)
    form = LevelsForm(request.POST or None, versions=visible_versions(request.user).order_by("code"), campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            set_level_settings(campaign=campaign, acting_user=request.user, **form.service_kwargs())
        except (CampaignStateError, ValueError) as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Versions, targets and bands per level saved."))
            return redirect("officer:detail", slug=campaign.slug)
    return render(request, "surveys/methods/levels.html", {"campaign": campaign, "form": form})
