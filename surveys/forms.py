"""The citizen survey form, built from the methodology version's questions."""

from __future__ import annotations

import uuid

from django import forms
from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from surveys.models import QuestionKind, RespondentType
from surveys.models.methodology import pick_language
from surveys.services.answers import QuestionSet

STARTED_SALT = "surveys.form.started"


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
            self.initial.setdefault("client_id", uuid.uuid4())
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

    def skip_rules(self) -> list[dict]:
        """One entry per distinct skip condition, for the CSS that hides follow-ups without JavaScript."""
        rules: dict[str, dict] = {}
        for question in self.questions.questions:
            if question.shown_if:
                rules.setdefault(_when(question), {"when": _when(question), **question.shown_if})
        return list(rules.values())

    def sections(self, errors: dict[str, str]) -> list[dict]:
        """Questions grouped for display, each with its options, current value and error."""
        sections: list[dict] = []
        for question in self.questions.questions:
            if not sections or sections[-1]["key"] != question.section:
                sections.append({"key": question.section, "title": _section_title(question), "questions": []})
            if self.is_bound:
                selected = self.data.getlist(question.code)
            else:
                selected = []
            options = question.options or (self.scale if question.kind == QuestionKind.SCALE5 else [])
            sections[-1]["questions"].append(
                {
                    "q": question,
                    "label": question.label,
                    "options": [{"code": o["code"], "label": localized_option(o)} for o in options],
                    "selected": selected,
                    "text": selected[0] if selected and question.kind == QuestionKind.TEXT else "",
                    "error": errors.get(question.code, ""),
                    "when": _when(question),
                }
            )
        return sections


def localized_option(option: dict) -> str:
    return pick_language(option.get("label", ""), option.get("label_en", ""))


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
