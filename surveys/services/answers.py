"""Checking a respondent's answers against a methodology version: one function every channel uses
(citizen form, enumerator entry, API, file import), so a value valid in one is valid in all."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, partial
from typing import Any

from django.utils.translation import gettext as _

from surveys.models import Question, QuestionKind

TEXT_MAX = 2000
EMPTY = (None, "", [], ())
# Control characters but line breaks and tabs: dropped from free text (PostgreSQL cannot store NUL).
_CONTROL = dict.fromkeys([*range(0x09), *range(0x0B, 0x20)])
_BLANK = object()  # a blank cell in a table of usual spellings


@dataclass(frozen=True)
class QuestionSet:
    """The questions of one methodology version that apply to one kind of agency, in form order, and the wording of
    the version's 5-level scale."""

    questions: tuple[Question, ...]
    scale: tuple[dict, ...] = ()

    @classmethod
    def for_agency(
        cls, methodology_questions: Iterable[Question], agency_kind: str, scale: Iterable[dict] = ()
    ) -> QuestionSet:
        return cls(tuple(q for q in methodology_questions if q.applies_to(agency_kind)), tuple(scale))

    @cached_property
    def by_code(self) -> dict[str, Question]:
        return {q.code: q for q in self.questions}

    def scaled_codes(self) -> list[str]:
        return [q.code for q in self.questions if q.kind == QuestionKind.SCALE5]

    @cached_property
    def _fields(self) -> tuple[tuple[str, dict[str, Any], Callable[[Any], tuple[Any, str | None]]], ...]:
        """Each question with the usual spellings of its accepted answers (exact text → clean value), looked up
        first, and the check of any other value (_check_for): worked out once per question set, so that a bulk
        import checks most cells by a dictionary look-up. The check gives the same result as the look-up for
        every usual spelling (tests/surveys/test_answers.py checks every entry)."""
        return tuple((q.code, _usual_spellings(q), _check_for(q)) for q in self.questions)

    @cached_property
    def _conditions(self) -> tuple[tuple[str, str, list[str]], ...]:
        """(question, the question it depends on, the answers that show it), in form order."""
        return tuple((q.code, q.shown_if["question"], q.shown_if["values"]) for q in self.questions if q.shown_if)


def validate_answers(
    questions: QuestionSet, raw: Mapping[str, Any], *, strict_skips: bool = True, allow_unknown: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (clean answers, errors by question code).

    Clean answers hold only answered questions: a scale as an int 1–5, a choice as its option code, a
    multiple choice as a list of codes in option order, text trimmed. A question whose skip condition is not
    met must be empty: with `strict_skips` an answer there is an error (imports, API); without, it is
    dropped (the web form, where the question was hidden).
    """
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if not allow_unknown and not questions.by_code.keys() >= raw.keys():
        by_code = questions.by_code
        for code in raw:
            if code not in by_code:
                errors[code] = _("There is no question %(code)s in this questionnaire.") % {"code": code}
    for code, usual, check in questions._fields:
        value = raw.get(code)
        if value is None:
            continue
        if value.__class__ is str:
            clean = usual.get(value)
            if clean is not None:
                if clean is not _BLANK:
                    answers[code] = clean
                continue
        if value in EMPTY or (isinstance(value, str) and not value.strip()):
            continue
        clean, error = check(value)
        if error:
            errors[code] = error
        else:
            answers[code] = clean
    for code, source, values in questions._conditions:
        if code in answers and str(answers.get(source, "")) not in values:
            if strict_skips:
                errors[code] = _("Must be empty: it is asked only when %(code)s is %(values)s.") % {
                    "code": source,
                    "values": "/".join(values),
                }
            answers.pop(code)
    return answers, errors


def _usual_spellings(question: Question) -> dict[str, Any]:
    """The text of each usual accepted answer → its clean value (immutable ones only: a multiple choice, whose
    clean value is a list, always takes the general check). Never changed once made."""
    kind = question.kind
    if kind == _SCALE5:
        return _SCALE_SPELLINGS
    if kind in _CHOICES:
        return {"": _BLANK, **{code: code for code in question.option_codes() if code and code == code.strip()}}
    return _BLANK_SPELLING


_SCALE5 = QuestionKind.SCALE5.value
_MULTI = QuestionKind.MULTI.value
_CHOICES = (QuestionKind.YES_NO.value, QuestionKind.SINGLE.value, QuestionKind.PRIORITY3.value)
_SCALE_SPELLINGS = {"": _BLANK, **{str(level): level for level in range(1, 6)}}
_BLANK_SPELLING = {"": _BLANK}


def _check_for(question: Question) -> Callable[[Any], tuple[Any, str | None]]:
    """The check of a value given for `question`: (clean value, None) or (None, the error's message)."""
    kind = question.kind
    if kind == _SCALE5:
        return _check_scale
    if kind in _CHOICES:
        return partial(_check_choice, question.option_codes())
    if kind == _MULTI:
        return partial(_check_multi, question.option_codes(), question.max_choices)
    return _check_text


def _check_scale(value: Any) -> tuple[Any, str | None]:
    number = _as_int(value)
    if number is None or not 1 <= number <= 5:
        return None, _("Choose a level from 1 to 5, or leave it empty.")
    return number, None


def _check_choice(allowed: list[str], value: Any) -> tuple[Any, str | None]:
    code = str(int(value)) if isinstance(value, (int, float)) and float(value).is_integer() else str(value).strip()
    if code not in allowed:
        return None, _("Choose one of the listed answers.")
    return code, None


def _check_multi(allowed: list[str], max_choices: int | None, value: Any) -> tuple[Any, str | None]:
    chosen = value if isinstance(value, (list, tuple)) else str(value).split("|")
    codes = {code for code in (str(item).strip() for item in chosen) if code}
    if not codes.issubset(allowed):
        return None, _("Choose among the listed answers only.")
    if max_choices and len(codes) > max_choices:
        return None, _("Choose at most %(count)s answers.") % {"count": max_choices}
    return [code for code in allowed if code in codes], None


def _check_text(value: Any) -> tuple[Any, str | None]:
    text = str(value).translate(_CONTROL).strip()
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
