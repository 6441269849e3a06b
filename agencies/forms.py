from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import AgencyKind

MAX_UPLOAD_BYTES = 10 * 1024 * 1024


class AgencyFilterForm(forms.Form):
    q = forms.CharField(label=_("Search by name or code"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All kinds")), *AgencyKind.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.add_input(Submit("", _("Filter"), css_class="btn-secondary"))


class AgencyFileForm(forms.Form):
    file = forms.FileField(
        label=_("Agency list (.xlsx or .csv)"),
        help_text=_(
            "Columns: code, name, kind, parent_code; optional: unit_type, active_from, active_to, successor_code."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("import", _("Import")))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError(_("Upload an .xlsx workbook or a .csv file."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB."))
        return upload


class ServicePointForm(forms.Form):
    code = forms.RegexField(label=_("Code"), max_length=32, regex=r"^[A-Za-z0-9._-]+$")
    name = forms.CharField(label=_("Name"), max_length=255)
    address = forms.CharField(label=_("Address"), max_length=255, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("add", _("Add service point")))
