"""Forms of the index screens: the appraisal (thẩm định) of a run, publishing it, and agency action plans.

Forms only parse and validate what a person typed; the rules (which run may be appraised, which criterion a
plan may name) live in reports.services.publication and come back as form errors."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Hidden, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from reports.models import ActionPlan, DocumentKind

YES, NO = "yes", "no"


class AppraisalForm(forms.Form):
    """Home Affairs' conclusion on a run: approved or rejected, and why."""

    action = "appraise"

    run = forms.IntegerField(widget=forms.HiddenInput)
    approved = forms.ChoiceField(
        label=_("Conclusion"),
        choices=[(YES, _("Approved: the figures may be published")), (NO, _("Rejected: a new computation is needed"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Appraisal note"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What was checked and the conclusion, as it will appear in the report."),
    )

    # --- The report's sections III and IV and its signer, saved with the appraisal (issue 17) ---
    assessment = forms.CharField(
        label=_("III. Overall assessment"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Drafted by the portal from the figures: strengths, weaknesses and causes. Edit it as it "
                    "should appear in the report; a blank line separates paragraphs."),
    )  # fmt: skip
    recommendations = forms.CharField(
        label=_("IV. Recommendations"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Drafted by the portal from the figures. Edit it as it should appear in the report."),
    )
    signer_title = forms.CharField(
        label=_("Signer's position"),
        required=False,
        max_length=120,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One line each, e.g. “KT. GIÁM ĐỐC” then “PHÓ GIÁM ĐỐC”."),
    )
    signer_name = forms.CharField(label=_("Signer's name"), required=False, max_length=120)
    plans_due = forms.DateField(
        label=_("Action plans due by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Agencies under the target submit their action plans by this date (Article 2 of the decision)."),
    )

    def __init__(self, *args, run_id: int | None = None, drafts: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if run_id is not None:
            self.fields["run"].initial = run_id
        for name, value in (drafts or {}).items():
            self.fields[name].initial = value
        self.helper = FormHelper()
        self.helper.form_id = "appraisal-form"
        self.helper.layout = Layout(
            Hidden("action", self.action), "run", "approved", "note", "assessment", "recommendations",
            Row(Column("signer_title", css_class="col-md-4"), Column("signer_name", css_class="col-md-4"),
                Column("plans_due", css_class="col-md-4")),
        )  # fmt: skip
        self.helper.add_input(Submit("save", _("Record the appraisal")))

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "approved": data["approved"] == YES,
            "note": data["note"],
            "assessment": data["assessment"],
            "recommendations": data["recommendations"],
            "signer_title": data["signer_title"],
            "signer_name": data["signer_name"],
            "plans_due": data["plans_due"],
        }


class DocumentForm(forms.Form):
    """Ask for one document of a run (reports.jobs.DOCUMENTS)."""

    action = "document"

    run = forms.IntegerField(widget=forms.HiddenInput)
    document = forms.CharField(max_length=16)
    format = forms.CharField(max_length=8)


class TemplateUploadForm(forms.Form):
    """A province's own DOCX template of one document, edited in Word from the one it downloaded."""

    action = "upload_template"

    kind = forms.ChoiceField(label=_("Document"), choices=DocumentKind.choices)
    file = forms.FileField(label=_("Template (.docx)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "template-form"
        self.helper.layout = Layout(
            Hidden("action", self.action),
            Row(Column("kind", css_class="col-md-4"), Column("file", css_class="col-md-8")),
        )
        self.helper.add_input(Submit("upload", _("Upload the template"), css_class="btn-outline-primary"))


class RunForm(forms.Form):
    """A button that acts on one run (publish it); the run id guards against acting on a stale page."""

    run = forms.IntegerField(widget=forms.HiddenInput)


class ActionPlanForm(forms.Form):
    """A leader's plan for a criterion: what will be done, who is responsible, by when."""

    action = "add_plan"

    criterion = forms.ChoiceField(label=_("Criterion"))
    what = forms.CharField(label=_("What will be done"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.CharField(label=_("Who is responsible"), max_length=255)
    due = forms.DateField(label=_("By when"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, criteria: list[tuple[str, str]], initial_criterion: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["criterion"].choices = criteria
        if initial_criterion:
            self.fields["criterion"].initial = initial_criterion
        self.helper = FormHelper()
        self.helper.form_id = "action-plan-form"
        self.helper.layout = Layout(
            Hidden("action", self.action),
            "criterion",
            "what",
            Row(Column("owner", css_class="col-md-8"), Column("due", css_class="col-md-4")),
        )
        self.helper.add_input(Submit("save", _("Add the action plan")))

    def clean_due(self):
        due = self.cleaned_data["due"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("A plan is due today or later, not in the past."), code="past")
        return due

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {"criterion": data["criterion"], "action": data["what"], "owner": data["owner"], "due": data["due"]}


class ActionPlanUpdateForm(forms.Form):
    """The follow-up of one plan: its status and what has been done."""

    action = "update_plan"

    plan = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=ActionPlan.Status.choices)
    follow_up = forms.CharField(
        label=_("Follow-up"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, plan: ActionPlan | None = None, **kwargs):
        if plan is not None and not args and "data" not in kwargs:
            kwargs.setdefault("initial", {"plan": plan.pk, "status": plan.status, "follow_up": plan.follow_up})
        # Each plan's form on the page gets its own ids, so labels point at the right field.
        kwargs.setdefault("auto_id", f"id_plan{plan.pk if plan is not None else ''}_%s")
        super().__init__(*args, **kwargs)
        suffix = plan.pk if plan is not None else self.data.get("plan", "")
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Hidden("action", self.action, css_id=f"plan-action-{suffix}"),
            "plan",
            Row(Column("status", css_class="col-md-4"), Column("follow_up", css_class="col-md-8")),
        )
        self.helper.add_input(Submit("save", _("Save the follow-up"), css_class="btn-sm", css_id=f"save-plan-{suffix}"))
