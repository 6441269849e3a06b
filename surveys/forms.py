"""The citizen survey form, built from the methodology version's questions."""

from __future__ import annotations

import math

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from surveys.models import QuestionKind, RespondentType, new_client_id
from surveys.models.methodology import pick_language
from surveys.services.answers import QuestionSet

STARTED_SALT = "surveys.form.started"
# The time the intro promises is derived from the questionnaire: the questions every respondent is asked
# (follow-ups behind a skip condition are left out) times this many seconds, rounded up to whole minutes.
# Six seconds is reading a one-line question on a phone and tapping one answer: the walk-through of issue 16
# took 3–4 minutes for the 38 questions of SIPAS-2017 on a phone-sized screen (38 × 6 s ≈ 4 minutes).
SECONDS_PER_QUESTION = 6


class SurveyForm(forms.Form):
    """Holds the raw answers; validation of values is surveys.services.answers.validate_answers, called by
    the submit service, so the form, the API and imports accept exactly the same things."""

    client_id = forms.UUIDField(widget=forms.HiddenInput)
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    website = forms.CharField(required=False, label=_("Leave this field empty"))  # honeypot
    respondent_type = forms.ChoiceField(
        label=_("You are answering as"),
        choices=RespondentType.choices,
        initial=RespondentType.INDIVIDUAL,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, questions: QuestionSet, scale: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.scale = scale
        if not self.is_bound:
            self.initial.setdefault("client_id", new_client_id())
            self.initial.setdefault("started", signing.dumps(timezone.now().timestamp(), salt=STARTED_SALT))

    def raw_answers(self) -> dict[str, object]:
        raw: dict[str, object] = {}
        for question in self.questions.questions:
            if question.kind == QuestionKind.MULTI:
                raw[question.code] = self.data.getlist(question.code)
            else:
                raw[question.code] = self.data.get(question.code, "")
        return raw

    def duration_seconds(self) -> int | None:
        """Seconds since the form was first shown, from a signed timestamp; None if missing or tampered."""
        try:
            started = signing.loads(self.cleaned_data.get("started") or "", salt=STARTED_SALT, max_age=7 * 24 * 3600)
        except signing.BadSignature:
            return None
        return max(0, int(timezone.now().timestamp() - float(started)))

    def asked_count(self) -> int:
        """How many questions every respondent is asked: those without a skip condition."""
        return sum(1 for question in self.questions.questions if not question.shown_if)

    def minutes_estimate(self) -> int:
        """The time to answer, in whole minutes (at least one), from SECONDS_PER_QUESTION."""
        return max(1, math.ceil(self.asked_count() * SECONDS_PER_QUESTION / 60))

    def error_items(self, errors: dict[str, str]) -> list[dict]:
        """The errors for the summary at the top, in form order, each naming its question in words (its text,
        never its internal code): {"anchor", "name", "message"}; a form-wide error has no anchor or name."""
        items = []
        for key, message in errors.items():
            if key not in self.questions.by_code:
                field = self.fields.get(key)
                items.append({"anchor": "", "name": str(field.label) if field else "", "message": message})
        for question in self.questions.questions:
            if question.code in errors:
                items.append({"anchor": f"q-{question.code}", "name": question.label, "message": errors[question.code]})
        return items

    def skip_rules(self) -> list[dict]:
        """One entry per distinct skip condition, for the CSS that hides follow-ups without JavaScript."""
        rules: dict[str, dict] = {}
        for question in self.questions.questions:
            if question.shown_if:
                rules.setdefault(_when(question), {"when": _when(question), **question.shown_if})
        return list(rules.values())

    def sections(self, errors: dict[str, str]) -> list[dict]:
        """Questions grouped for display, each prepared for the one loop of surveys/form.html: its code,
        label, kind, options with their checked state, current text and error. Plain values only, so the
        template reads dictionaries instead of rendering a widget per choice.

        Codes and option labels are HTML-escaped here, once: the scale's five levels appear under every scale
        question and a question's code in each of its inputs, so the template would otherwise escape the same
        strings some 800 times a page (about a fifth of its rendering time)."""
        scale = [_escaped_option(option) for option in self.scale]
        sections: list[dict] = []
        for question in self.questions.questions:
            if not sections or sections[-1]["key"] != question.section:
                sections.append({"key": question.section, "title": _section_title(question), "questions": []})
            selected = self.data.getlist(question.code) if self.is_bound else []
            if question.options:
                options = [_escaped_option(option) for option in question.options]
            else:
                options = scale if question.kind == QuestionKind.SCALE5 else []
            is_text = question.kind == QuestionKind.TEXT
            sections[-1]["questions"].append(
                {
                    "code": escape(question.code),
                    "label": question.label,
                    "is_text": is_text,
                    "is_scale": question.kind == QuestionKind.SCALE5,
                    "input_type": "checkbox" if question.kind == QuestionKind.MULTI else "radio",
                    "options": [{"code": code, "label": label, "checked": code in selected} for code, label in options],
                    "text": selected[0] if selected and is_text else "",
                    "error": errors.get(question.code, ""),
                    "max_choices": question.max_choices if question.kind == QuestionKind.MULTI else None,
                    "when": _when(question),
                }
            )
        return sections

    def respondent_choices(self) -> list[dict]:
        """The choices of "You are answering as", with the one to show checked (the answer sent, else the
        initial one)."""
        current = self["respondent_type"].value()
        return [
            {"value": value, "label": label, "checked": value == current}
            for value, label in self.fields["respondent_type"].choices
        ]


def localized_option(option: dict) -> str:
    return pick_language(option.get("label", ""), option.get("label_en", ""))


def _escaped_option(option: dict) -> tuple[str, str]:
    """(code, label in the current language), both escaped for HTML."""
    return escape(option["code"]), escape(localized_option(option))


def _when(question) -> str:
    condition = question.shown_if
    return f"{condition['question']}:{'|'.join(condition['values'])}" if condition else ""


SECTION_TITLES = {
    "overall": _("Overall"),
    "facts": _("About your dossier"),
    "needs": _("What should improve"),
    "profile": _("About you (optional)"),
    "comment": _("Your comments"),
}


def _section_title(question) -> str:
    if question.factor_id:
        return question.factor.label
    # A version names its own sections (issue 18); the usual ones of SIPAS-2017 have titles here.
    return question.methodology.section_title(question.section) or str(
        SECTION_TITLES.get(question.section, question.section)
    )
