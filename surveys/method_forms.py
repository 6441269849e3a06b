"""Forms of the officer's questionnaire screens (/methods/): clone, settings, factor, question, spreadsheet import,
and a campaign's version, target and bands per level. Lists typed one item a line, fields separated by "|"
("1 | Có | Yes"), so that an officer edits answers, parts and bands in one box."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from agencies.models import AgencyKind
from surveys.models import IndexRule, Level, Methodology, QuestionKind, QuestionRole, Scoring
from surveys.services.methodology import SKIP_SOURCE_KINDS

KIND_CHOICES = [(kind.value, kind.label) for kind in AgencyKind if kind != AgencyKind.PROVINCE]


def parse_lines(text: str, names: tuple[str, ...], *, numbers: tuple[str, ...] = ()) -> list[dict]:
    """ "a | b | c" lines → [{"name1": "a", ...}]; missing trailing fields are empty. Raises ValidationError."""
    items = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        cells = [cell.strip() for cell in line.split("|")]
        if len(cells) > len(names):
            raise forms.ValidationError(
                _("Line %(line)s has more than %(count)s fields separated by |."),
                params={"line": number, "count": len(names)},
            )
        item = dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=True))
        for name in numbers:
            try:
                value = float(item[name].replace(",", "."))
            except ValueError:
                raise forms.ValidationError(
                    _("Line %(line)s: %(value)s is not a number."), params={"line": number, "value": item[name]}
                ) from None
            item[name] = int(value) if value.is_integer() else value
        items.append(item)
    return items


def format_lines(items: list[dict], names: tuple[str, ...]) -> str:
    return "\n".join(" | ".join(str(item.get(name, "")) for name in names) for item in items)


OPTION_FIELDS = ("code", "label", "label_en")
PART_FIELDS = ("code", "name", "name_en", "weight")
BAND_FIELDS = ("min", "label", "label_en")
SECTION_FIELDS = ("code", "title", "title_en")


class _CrispyForm(forms.Form):
    submit_label = _("Save")

    @property
    def helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = True
        helper.add_input(Submit("save", self.submit_label))
        return helper


class CloneForm(_CrispyForm):
    code = forms.CharField(label=_("Code of the new version"), max_length=32, help_text=_("For example LS-2026."))
    name = forms.CharField(label=_("Name"), max_length=255)
    submit_label = _("Clone")


class ImportForm(_CrispyForm):
    file = forms.FileField(label=_("Workbook (.xlsx)"))
    code = forms.CharField(
        label=_("Code of the new version"), max_length=32, required=False,
        help_text=_("Leave empty to use the code in the settings sheet."),
    )  # fmt: skip
    submit_label = _("Import")


class SettingsForm(_CrispyForm):
    name = forms.CharField(label=_("Name"), max_length=255)
    name_en = forms.CharField(label=_("Name in English"), max_length=255, required=False)
    scoring = forms.ChoiceField(label=_("Scoring"), choices=Scoring.choices)
    positive_min = forms.IntegerField(label=_("Lowest positive answer"), min_value=1, max_value=5)
    scale = forms.CharField(
        label=_("Wording of the 5-level scale"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One level a line: code | Vietnamese | English, from 1 to 5."),
    )  # fmt: skip
    index_rule = forms.ChoiceField(label=_("Index"), choices=IndexRule.choices)
    parts = forms.CharField(
        label=_("Parts and their weights"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text=_("For an index in parts, one part a line: code | name | name in English | weight."),
    )  # fmt: skip
    weights_note = forms.CharField(label=_("Where the weights come from"), widget=forms.Textarea(attrs={"rows": 3}),
                                   required=False)  # fmt: skip
    bands = forms.CharField(
        label=_("Grading bands"), widget=forms.Textarea(attrs={"rows": 3}), required=False,
        help_text=_("Best first, one a line: lowest index | name | name in English, e.g. 95 | Xuất sắc | Excellent."),
    )  # fmt: skip
    sections = forms.CharField(
        label=_("Titles of the other sections"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
        help_text=_("One a line: section code | title | title in English."),
    )  # fmt: skip

    @classmethod
    def initial_of(cls, methodology: Methodology) -> dict:
        return {
            "name": methodology.name, "name_en": methodology.name_en, "scoring": methodology.scoring,
            "positive_min": methodology.positive_min, "scale": format_lines(methodology.scale, OPTION_FIELDS),
            "index_rule": methodology.index_rule, "parts": format_lines(methodology.parts, PART_FIELDS),
            "weights_note": methodology.weights_note, "bands": format_lines(methodology.bands, BAND_FIELDS),
            "sections": format_lines(methodology.sections, SECTION_FIELDS),
        }  # fmt: skip

    def clean_scale(self):
        return parse_lines(self.cleaned_data["scale"], OPTION_FIELDS)

    def clean_parts(self):
        return parse_lines(self.cleaned_data["parts"], PART_FIELDS, numbers=("weight",))

    def clean_bands(self):
        return parse_lines(self.cleaned_data["bands"], BAND_FIELDS, numbers=("min",))

    def clean_sections(self):
        return parse_lines(self.cleaned_data["sections"], SECTION_FIELDS)


class FactorForm(_CrispyForm):
    code = forms.CharField(label=_("Code"), max_length=16, help_text=_("For example TC, or I_A."))
    name = forms.CharField(label=_("Name"), max_length=255)
    name_en = forms.CharField(label=_("Name in English"), max_length=255, required=False)
    part = forms.ChoiceField(label=_("Part"), required=False)

    def __init__(self, *args, methodology: Methodology, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [("", "—"), *((p["code"], p.get("name") or p["code"]) for p in methodology.parts)]


class QuestionForm(_CrispyForm):
    code = forms.CharField(label=_("Code"), max_length=16, help_text=_("Used in imports, exports and the API."))
    text = forms.CharField(label=_("Question"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    text_en = forms.CharField(label=_("Question in English"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    kind = forms.ChoiceField(label=_("Kind of answer"), choices=QuestionKind.choices)
    role = forms.ChoiceField(label=_("Role in the index"), choices=QuestionRole.choices)
    factor = forms.ModelChoiceField(label=_("Factor"), queryset=None, required=False)
    section = forms.CharField(label=_("Section"), max_length=32, required=False,
                              help_text=_("For questions outside factors, e.g. facts, needs, profile."))  # fmt: skip
    options = forms.CharField(
        label=_("Answers"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
        help_text=_("For a choice, one answer a line: code | Vietnamese | English."),
    )  # fmt: skip
    choice_list = forms.CharField(label=_("Name of the list of answers"), max_length=32, required=False)
    max_choices = forms.IntegerField(label=_("At most this many choices"), min_value=1, required=False)
    shown_if_question = forms.ChoiceField(label=_("Ask only after an answer to"), required=False)
    shown_if_values = forms.CharField(
        label=_("…one of these answers"), required=False, help_text=_("Answer codes separated by spaces, e.g. 1 2.")
    )
    agency_kinds = forms.MultipleChoiceField(
        label=_("Asked only of"), choices=KIND_CHOICES, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave every box empty to ask every agency."),
    )  # fmt: skip

    def __init__(self, *args, methodology: Methodology, question=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["factor"].queryset = methodology.factors.order_by("order")
        self.fields["factor"].label_from_instance = lambda factor: f"{factor.code} — {factor.label}"
        sources = methodology.questions.filter(kind__in=SKIP_SOURCE_KINDS).order_by("order")
        if question is not None:
            sources = sources.filter(order__lt=question.order)
        self.fields["shown_if_question"].choices = [("", "—"), *((q.code, f"{q.code}: {q.label}") for q in sources)]

    @classmethod
    def initial_of(cls, question) -> dict:
        return {
            "code": question.code, "text": question.text, "text_en": question.text_en, "kind": question.kind,
            "role": question.role, "factor": question.factor_id, "section": question.section,
            "options": format_lines(question.options, OPTION_FIELDS), "choice_list": question.choice_list,
            "max_choices": question.max_choices,
            "shown_if_question": (question.shown_if or {}).get("question", ""),
            "shown_if_values": " ".join((question.shown_if or {}).get("values", [])),
            "agency_kinds": question.agency_kinds,
        }  # fmt: skip

    def clean_options(self):
        return parse_lines(self.cleaned_data["options"], OPTION_FIELDS)

    def clean(self):
        data = super().clean()
        if data.get("shown_if_question") and not (data.get("shown_if_values") or "").split():
            self.add_error("shown_if_values", _("Choose the answers after which the question is asked."))
        return data

    def service_fields(self) -> dict:
        data = self.cleaned_data
        source = data["shown_if_question"]
        return {
            "code": data["code"].strip(), "text": data["text"].strip(), "text_en": data["text_en"].strip(),
            "kind": data["kind"], "role": data["role"], "factor": data["factor"],
            "section": data["section"].strip() or (data["factor"].code if data["factor"] else data["role"]),
            "options": data["options"], "choice_list": data["choice_list"].strip(),
            "max_choices": data["max_choices"] if data["kind"] == QuestionKind.MULTI else None,
            "shown_if": {"question": source, "values": data["shown_if_values"].split()} if source else None,
            "agency_kinds": data["agency_kinds"],
        }  # fmt: skip


class LevelsForm(_CrispyForm):
    """A campaign's version, target and bands for each level."""

    def __init__(self, *args, versions, campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        fieldsets = []
        for level in Level:
            field = forms.ModelChoiceField(
                label=_("Version"), queryset=versions, required=False,
                empty_label=_("The campaign's version (%(code)s)") % {"code": campaign.methodology.code},
            )  # fmt: skip
            field.label_from_instance = lambda version: f"{version.code} — {version.label}"
            self.fields[f"{level}_version"] = field
            self.fields[f"{level}_target"] = forms.FloatField(
                label=_("Target (% satisfied)"), required=False, min_value=0, max_value=100
            )
            self.fields[f"{level}_bands"] = forms.CharField(
                label=_("Grading bands"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                help_text=_("Best first, one a line: lowest index | name | name in English. Empty: the version's."),
            )  # fmt: skip
            grading = campaign.level_grading.get(level) or {}
            self.initial.update({
                f"{level}_version": getattr(campaign, f"{level}_methodology_id"),
                f"{level}_target": grading.get("target"),
                f"{level}_bands": format_lines(grading.get("bands") or [], BAND_FIELDS),
            })  # fmt: skip
            fieldsets.append(Fieldset(level.label, f"{level}_version", f"{level}_target", f"{level}_bands"))
        self.layout = Layout(*fieldsets)

    @property
    def helper(self) -> FormHelper:
        helper = super().helper
        helper.layout = self.layout
        return helper

    def clean(self):
        data = super().clean()
        for level in Level:
            try:
                data[f"{level}_bands"] = parse_lines(data.get(f"{level}_bands") or "", BAND_FIELDS, numbers=("min",))
            except forms.ValidationError as error:
                self.add_error(f"{level}_bands", error)
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "versions": {level.value: data[f"{level}_version"] for level in Level},
            "grading": {
                level.value: {"target": data[f"{level}_target"], "bands": data[f"{level}_bands"]} for level in Level
            },
        }
