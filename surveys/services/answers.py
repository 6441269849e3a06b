"""Checking a respondent's answers against a methodology version: one function every channel uses
(citizen form, enumerator entry, API, file import), so a value valid in one is valid in all."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from surveys.models import Question, QuestionKind

TEXT_MAX = 2000
EMPTY = (None, "", [], ())


@dataclass(frozen=True)
class QuestionSet:
    """The questions of one methodology version that apply to one kind of agency, in form order."""

    questions: tuple[Question, ...]

    @classmethod
    def for_agency(cls, methodology_questions: Iterable[Question], agency_kind: str) -> QuestionSet:
        return cls(tuple(q for q in methodology_questions if q.applies_to(agency_kind)))

    @property
    def by_code(self) -> dict[str, Question]:
        return {q.code: q for q in self.questions}

    def scaled_codes(self) -> list[str]:
        return [q.code for q in self.questions if q.kind == QuestionKind.SCALE5]


def validate_answers(
    questions: QuestionSet, raw: Mapping[str, Any], *, strict_skips: bool = True, allow_unknown: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (clean answers, errors by question code).

    Clean answers hold only answered questions: a scale as an int 1–5, a choice as its option code, a
    multiple choice as a list of codes in option order, text trimmed. A question whose skip condition is not
    met must be empty: with `strict_skips` an answer there is an error (imports, API); without, it is
    dropped (the web form, where the question was hidden).
    """
    by_code = questions.by_code
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not allow_unknown:
        for code in raw:
            if code not in by_code:
                errors[code] = _("There is no question %(code)s in this questionnaire.") % {"code": code}
    for question in questions.questions:
        value = raw.get(question.code)
        if value in EMPTY or (isinstance(value, str) and not value.strip()):
            continue
        clean, error = _clean_value(question, value)
        if error:
            errors[question.code] = error
        else:
            answers[question.code] = clean
    for question in questions.questions:
        condition = question.shown_if
        if not condition or question.code not in answers:
            continue
        if str(answers.get(condition["question"], "")) not in condition["values"]:
            if strict_skips:
                errors[question.code] = _("Must be empty: it is asked only when %(code)s is %(values)s.") % {
                    "code": condition["question"],
                    "values": "/".join(condition["values"]),
                }
            answers.pop(question.code)
    return answers, errors


def _clean_value(question: Question, value: Any) -> tuple[Any, str | None]:
    if question.kind == QuestionKind.SCALE5:
        number = _as_int(value)
        if number is None or not 1 <= number <= 5:
            return None, _("Choose a level from 1 to 5, or leave it empty.")
        return number, None
    if question.kind in (QuestionKind.YES_NO, QuestionKind.SINGLE, QuestionKind.PRIORITY3):
        code = str(int(value)) if isinstance(value, (int, float)) and float(value).is_integer() else str(value).strip()
        if code not in question.option_codes():
            return None, _("Choose one of the listed answers.")
        return code, None
    if question.kind == QuestionKind.MULTI:
        chosen = value if isinstance(value, (list, tuple)) else str(value).split("|")
        codes = [str(item).strip() for item in chosen if str(item).strip()]
        allowed = question.option_codes()
        if any(code not in allowed for code in codes):
            return None, _("Choose among the listed answers only.")
        if question.max_choices and len(set(codes)) > question.max_choices:
            return None, _("Choose at most %(count)s answers.") % {"count": question.max_choices}
        return [code for code in allowed if code in set(codes)], None
    # NUL and other control characters (but line breaks and tabs) are dropped: PostgreSQL cannot store NUL.
    text = "".join(ch for ch in str(value) if ch in "\n\t" or ch >= " ").strip()
    if len(text) > TEXT_MAX:
        return None, _("Write at most %(count)s characters.") % {"count": TEXT_MAX}
    return text, None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    try:
        return int(str(value).strip())
    except ValueError:
        return None
