"""Officer and agency screens. Scope comes from agencies.scope only; out of scope is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from agencies import selectors, services
from agencies.forms import AgencyFileForm, AgencyFilterForm, ServicePointForm
from agencies.jobs import IMPORT_FILE
from agencies.models import Role
from agencies.scope import agencies_in_scope, get_agency_in_scope, roles_at
from agencies.text import fold
from sipas.jobs import enqueue_job


@login_required
def agency_list(request):
    """The officer's tree: every agency under their agencies, filterable, 100 a page."""
    queryset = agencies_in_scope(request.user, [Role.OFFICER]).select_related("parent")
    if not request.user.is_superuser and not request.user.memberships.filter(role=Role.OFFICER).exists():
        raise Http404("Officers only")
    form = AgencyFilterForm(request.GET or None)
    if form.is_valid():
        if query := form.cleaned_data["q"]:
            queryset = queryset.filter(search_text__contains=fold(query))
        if kind := form.cleaned_data["kind"]:
            queryset = queryset.filter(kind=kind)
    page = Paginator(queryset.order_by("path"), 100).get_page(request.GET.get("page"))
    return render(request, "agencies/agency_list.html", {"form": form, "page": page})


@login_required
def agency_detail(request, code: str):
    agency = get_agency_in_scope(request.user, code)
    can_manage = Role.OFFICER in roles_at(request.user, agency)
    form = ServicePointForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if not can_manage:
            raise Http404("Officers only")
        if form.is_valid():
            try:
                services.add_service_point(agency=agency, acting_user=request.user, **form.cleaned_data)
            except ValueError as exc:
                form.add_error("code", str(exc))
            else:
                messages.success(request, _("Service point added."))
                return redirect("agencies:detail", code=agency.code)
    children = agencies_in_scope(request.user, base=selectors.children_of(agency))
    context = {
        "agency": agency,
        "children": children,
        "service_points": agency.service_points.all(),
        "service_point_form": form,
        "can_manage": can_manage,
    }
    return render(request, "agencies/agency_detail.html", context)


@login_required
def agency_import(request):
    """Officers upload their own list; a worker imports it and the job page shows the outcome."""
    if not agencies_in_scope(request.user, [Role.OFFICER]).exists():
        raise Http404("Officers only")
    form = AgencyFileForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = enqueue_job(kind=IMPORT_FILE, acting_user=request.user, params={"filename": upload.name}, upload=upload)
        return redirect("job-status", job_id=job.pk)
    return render(request, "agencies/agency_import.html", {"form": form})
