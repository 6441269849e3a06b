"""Forms of the enumerator's entry screen: one paper form typed as codes, the paper-form tally and the
back-check. Values are only parsed here; the rules live in surveys.services (answers, paper)."""

from __future__ import annotations

import contextlib
import datetime
import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.forms import SECTION_TITLES, localized_option
from surveys.models import Channel, QuestionKind, RespondentType, new_client_id
from surveys.services.answers import TEXT_MAX, QuestionSet

CHOICE_KINDS = (QuestionKind.YES_NO, QuestionKind.SINGLE, QuestionKind.PRIORITY3)
CODE_SEPARATORS = re.compile(r"[\s|,;]+")
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"]
SERIAL_MAX = 32
MAX_FORMS = 10_000_000  # far above any agency's forms, far below the database's integer limit
FORM_FIELDS = ("channel", "submitted_at", "serial", "respondent_type")  # in screen order


class PaperFormEntry(forms.Form):
    """One paper form. Question inputs are named by question code and read from the raw data: a scale as
    1–5, a choice as its option code, a multiple choice as codes separated by spaces or |, text as typed."""

    client_id = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This entry screen could not be read. Reload the page and enter the form again."),
            "invalid": _("This entry screen could not be read. Reload the page and enter the form again."),
        },
    )
    channel = forms.ChoiceField(
        label=_("Channel"), widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": _("Choose one of the channels this campaign allows.")},
    )  # fmt: skip
    submitted_at = forms.DateField(
        label=_("Date on the form"),
        input_formats=DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d"),
        error_messages={
            "required": _("Enter the date written on the form."),
            "invalid": _("Enter the date written on the form as a date, e.g. 31/03/2025."),
        },
    )
    serial = forms.CharField(
        label=_("Form number"), max_length=SERIAL_MAX, required=False,
        help_text=_("The serial number printed on the paper form, if any."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "form-control"}),
    )  # fmt: skip
    respondent_type = forms.ChoiceField(
        label=_("Respondent"), choices=RespondentType.choices, initial=RespondentType.INDIVIDUAL,
        widget=forms.Select(attrs={"class": "form-select"}),
        error_messages={"invalid_choice": _("Choose individual or organisation.")},
    )  # fmt: skip

    def __init__(self, *args, questions: QuestionSet, channels: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields["channel"].choices = [(channel, Channel(channel).label) for channel in channels]
        if not self.is_bound:
            self.initial.setdefault("client_id", new_client_id())
            self.initial.setdefault("submitted_at", timezone.localdate())
            if channels:
                self.initial.setdefault("channel", channels[0])

    @staticmethod
    def batch_initial(query, channels: list[str]) -> dict:
        """Channel and date of the previous form, kept for the next one: a stack of forms usually shares them."""
        initial: dict = {}
        if query.get("channel") in channels:
            initial["channel"] = query["channel"]
        with contextlib.suppress(ValueError):
            initial["submitted_at"] = datetime.date.fromisoformat(query.get("date", ""))
        return initial

    def focus(self, errors: dict[str, str]) -> str:
        """The field to put the cursor in: the first wrong one, else the first of the next form."""
        wrong = [name for name in FORM_FIELDS if name in self.errors]
        wrong += [q.code for q in self.questions.questions if q.code in errors]
        if wrong:
            target = wrong[0]
        elif "__all__" in errors and self.questions.questions:
            target = self.questions.questions[0].code
        else:
            target = "serial"
        if target in self.fields:
            self.fields[target].widget.attrs["autofocus"] = True
        return target

    def raw_answers(self) -> dict[str, object]:
        """The typed answers by question code, multiple choices split into lists of option codes."""
        raw: dict[str, object] = {}
        for question in self.questions.questions:
            value = str(self.data.get(question.code, "")).strip()
            if question.kind == QuestionKind.MULTI:
                raw[question.code] = [_option_code(question, token) for token in CODE_SEPARATORS.split(value) if token]
            else:
                raw[question.code] = value
        return raw

    def sections(self, errors: dict[str, str], focus: str = "") -> list[dict]:
        """Questions grouped as on the paper form, each with its typed value, hint and error."""
        sections: list[dict] = []
        for question in self.questions.questions:
            if not sections or sections[-1]["key"] != question.section:
                sections.append({"key": question.section, "title": _section_title(question), "rows": []})
            sections[-1]["rows"].append(
                {
                    "q": question,
                    "value": str(self.data.get(question.code, "")) if self.is_bound else "",
                    "error": errors.get(question.code, ""),
                    "hint": _hint(question),
                    "input": _input_attrs(question),
                    "when": question.shown_if,
                    "autofocus": question.code == focus,
                }
            )
        return sections


def _option_code(question, token: str) -> str:
    """Accept a bare number for a prefixed option code: "3" for NC3 (fewer keystrokes on a stack of forms)."""
    codes = question.option_codes()
    for candidate in (token, token.upper(), f"{question.code}{token}"):
        if candidate in codes:
            return candidate
    return token


def _hint(question) -> str:
    if question.kind in (QuestionKind.SCALE5, QuestionKind.TEXT):
        return ""  # the scale's key is shown once above the questions
    options = " · ".join(f"{option['code']} {localized_option(option)}" for option in question.options)
    if question.kind == QuestionKind.MULTI:
        if question.max_choices:
            return str(_("Up to %(count)s codes, separated by spaces: %(options)s")) % {
                "count": question.max_choices,
                "options": options,
            }
        return str(_("Codes separated by spaces: %(options)s")) % {"options": options}
    return options


def _input_attrs(question) -> dict:
    """Attributes of the question's input. A scale is a text input with a numeric keypad, not type=number: a
    browser sends an empty value for a mistyped number, which would silently store "no answer". No maxlength
    on codes either: "45" typed into one box must come back as an error, not be cut to "4"."""
    if question.kind == QuestionKind.SCALE5:
        return {"inputmode": "numeric", "size": 2, "class": "scale"}
    if question.kind in CHOICE_KINDS:
        numeric = all(code.isdigit() for code in question.option_codes())
        return {"inputmode": "numeric" if numeric else "text", "size": 3}
    if question.kind == QuestionKind.MULTI:
        return {"inputmode": "text", "maxlength": 200, "size": 16}
    return {"inputmode": "text", "maxlength": TEXT_MAX, "size": 60, "class": "text"}


def _section_title(question) -> str:
    if question.factor_id:
        return question.factor.label
    # A version names its own sections (issue 18); the usual ones of SIPAS-2017 have titles here.
    return question.methodology.section_title(question.section) or str(
        SECTION_TITLES.get(question.section, question.section)
    )


class PaperTallyForm(forms.Form):
    """The forms issued and returned, as the enumerator counted them; the valid forms are counted from the
    responses entered (surveys.services.paper.paper_tallies)."""

    forms_issued = forms.IntegerField(label=_("Forms issued"), min_value=0, max_value=MAX_FORMS)
    forms_returned = forms.IntegerField(label=_("Forms returned"), min_value=0, max_value=MAX_FORMS)


class BackCheckForm(forms.Form):
    forms_checked = forms.IntegerField(label=_("Forms checked"), min_value=1, max_value=MAX_FORMS)
    forms_confirmed = forms.IntegerField(label=_("Forms confirmed"), min_value=0, max_value=MAX_FORMS)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("How the forms were checked (e.g. by phone), and what did not match."),
    )  # fmt: skip
