"""Methodology versions: loading a definition, cloning, the lock of a version that has responses, and the edits an
officer makes to a version that has none (settings, factors, questions, skip logic, scoring).

A definition is a plain dict (surveys/methodology/sipas_2017.py shows its shape; `definition_of` gives it for any
stored version): the spreadsheet import and export (surveys/methodology/spreadsheet.py) read and write it, and two
versions are equal when their definitions are, apart from their code and name.

Every edit is one transaction with an audit row, and is refused (MethodologyLocked) once any response was given on
the version: responses are read against the questions they answered, so a version that has them is only cloned.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from sipas.audit import record_audit
from surveys.models import (
    Campaign,
    Factor,
    IndexRule,
    Level,
    Methodology,
    Question,
    QuestionKind,
    QuestionRole,
    Response,
    Scoring,
)
from surveys.models.campaigns import LEVEL_OF_KIND

CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,15}$")  # question, factor, part and option codes go into SQL and URLs
VERSION_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")
OPTION_CODE = re.compile(r"^[A-Za-z0-9_]{1,16}$")
CHOICE_KINDS = (QuestionKind.YES_NO, QuestionKind.SINGLE, QuestionKind.MULTI, QuestionKind.PRIORITY3)
SKIP_SOURCE_KINDS = (QuestionKind.YES_NO, QuestionKind.SINGLE)  # skip logic follows a yes/no or a single choice
FACTOR_ROLES = (QuestionRole.CRITERION, QuestionRole.FACTOR_SATISFACTION)
SETTINGS = ("name", "name_en", "scoring", "positive_min", "scale", "index_rule", "parts", "weights_note", "bands",
            "sections")  # fmt: skip
QUESTION_FIELDS = ("code", "kind", "text", "text_en", "role", "factor", "section", "options", "choice_list",
                   "max_choices", "shown_if", "agency_kinds")  # fmt: skip


class MethodologyLocked(Exception):
    """The version already has responses: it may only be cloned."""


class MethodologyError(ValueError):
    """An edit that would make the version inconsistent; the message says what to change."""


# --- reading and writing whole versions ---------------------------------------------------------------------------


def load_methodology(definition: dict, *, owner=None, based_on: Methodology | None = None) -> Methodology:
    """Create the version described by `definition` unless a version with that code exists already; return it.
    Idempotent. The definition is trusted (shipped data, or a spreadsheet already checked)."""
    with transaction.atomic():
        existing = Methodology.objects.filter(code=definition["code"]).first()
        if existing:
            return existing
        methodology = Methodology.objects.create(
            code=definition["code"],
            name=definition["name"],
            name_en=definition.get("name_en", ""),
            scoring=definition.get("scoring", Scoring.SHARE_POSITIVE),
            positive_min=definition.get("positive_min", 4),
            scale=definition.get("scale", []),
            index_rule=definition.get("index_rule", IndexRule.FACTOR_SATISFACTION),
            parts=definition.get("parts", []),
            weights_note=definition.get("weights_note", ""),
            bands=definition.get("bands", []),
            sections=definition.get("sections", []),
            owner=owner,
            based_on=based_on,
        )
        factors = {
            f["code"]: Factor.objects.create(
                methodology=methodology,
                order=i,
                code=f["code"],
                name=f["name"],
                name_en=f.get("name_en", ""),
                part=f.get("part", ""),
            )
            for i, f in enumerate(definition["factors"])
        }
        Question.objects.bulk_create(
            Question(
                methodology=methodology,
                order=i,
                factor=factors.get(q["factor"]) if q.get("factor") else None,
                **{k: v for k, v in q.items() if k != "factor"},
            )
            for i, q in enumerate(definition["questions"])
        )
    return methodology


def definition_of(methodology: Methodology) -> dict:
    """The version as a definition, every field written out (the shape load_methodology takes)."""
    factors = list(methodology.factors.order_by("order"))
    codes = {f.pk: f.code for f in factors}
    return {
        "code": methodology.code,
        "name": methodology.name,
        "name_en": methodology.name_en,
        "scoring": methodology.scoring,
        "positive_min": methodology.positive_min,
        "scale": [_option(o) for o in methodology.scale],
        "index_rule": methodology.index_rule,
        "parts": [
            {"code": p["code"], "name": p.get("name", ""), "name_en": p.get("name_en", ""), "weight": p["weight"]}
            for p in methodology.parts
        ],
        "weights_note": methodology.weights_note,
        "bands": [
            {"min": b["min"], "label": b.get("label", ""), "label_en": b.get("label_en", "")} for b in methodology.bands
        ],
        "sections": [
            {"code": s["code"], "title": s.get("title", ""), "title_en": s.get("title_en", "")}
            for s in methodology.sections
        ],
        "factors": [{"code": f.code, "name": f.name, "name_en": f.name_en, "part": f.part} for f in factors],
        "questions": [
            {
                "code": q.code,
                "kind": q.kind,
                "text": q.text,
                "text_en": q.text_en,
                "role": q.role,
                "factor": codes.get(q.factor_id),
                "section": q.section,
                "options": [_option(o) for o in q.options],
                "choice_list": q.choice_list or (q.code if q.options else ""),
                "max_choices": q.max_choices,
                "shown_if": q.shown_if,
                "agency_kinds": list(q.agency_kinds),
            }
            for q in methodology.questions.order_by("order")
        ],
    }


def _option(option: dict) -> dict:
    return {"code": option["code"], "label": option.get("label", ""), "label_en": option.get("label_en", "")}


# --- the lock ----------------------------------------------------------------------------------------------------


def is_locked(methodology: Methodology) -> bool:
    """Whether any response was given on this version: by an agency of a level that uses it in some campaign
    (its own version for the level, or the campaign's default where the level has none). One query."""
    uses = Q(agency__kind="province", campaign__methodology=methodology)
    for kind, level in LEVEL_OF_KIND.items():
        if level not in Level.values:
            continue
        own = f"campaign__{level}_methodology"
        uses |= Q(agency__kind=kind) & (
            Q(**{own: methodology}) | Q(**{f"{own}__isnull": True, "campaign__methodology": methodology})
        )
    return Response.objects.filter(uses).exists()


def campaigns_using(methodology: Methodology):
    return Campaign.objects.filter(
        Q(methodology=methodology)
        | Q(department_methodology=methodology)
        | Q(district_methodology=methodology)
        | Q(commune_methodology=methodology)
    ).distinct()


def ensure_editable(methodology: Methodology) -> None:
    """Raises MethodologyLocked if the version has responses. Call inside the edit's transaction, after locking
    the version's row, so that two edits and a first response cannot interleave unseen."""
    if is_locked(methodology):
        raise MethodologyLocked(
            _("Version %(code)s already has responses: clone it and change the clone.") % {"code": methodology.code}
        )


def _locked_row(methodology: Methodology) -> Methodology:
    row = Methodology.objects.select_for_update().get(pk=methodology.pk)
    ensure_editable(row)
    return row


# --- clone and settings -----------------------------------------------------------------------------------------


def clone_methodology(
    *, source: Methodology, code: str, name: str, owner=None, acting_user=None, name_en: str | None = None
) -> Methodology:
    """Copy a version with all its settings, factors and questions under a new code (any version, locked or not,
    may be cloned). The clone's weights are not confirmed. Raises ValueError if the code is taken or malformed."""
    if not VERSION_CODE.match(code or ""):
        raise MethodologyError(_("Write a version code of letters, digits, dots and dashes, e.g. LS-2026."))
    with transaction.atomic():
        if Methodology.objects.filter(code=code).exists():
            raise MethodologyError(_("A methodology version with the code %(code)s exists already.") % {"code": code})
        definition = {**definition_of(source), "code": code, "name": name}
        if name_en is not None:
            definition["name_en"] = name_en
        clone = load_methodology(definition, owner=owner, based_on=source)
        record_audit(actor=acting_user, action="methodology.cloned", target=clone, source=source.code)
    return clone


def update_settings(*, methodology: Methodology, acting_user=None, **changes: Any) -> Methodology:
    """Change the version's settings (names, scoring, lowest positive answer, scale labels, index rule, parts and
    their weights, weights note, grading bands, section titles). A change of the weights or the index rule clears
    their confirmation. Raises MethodologyLocked or MethodologyError."""
    unknown = set(changes) - set(SETTINGS)
    if unknown:
        raise MethodologyError(f"unknown settings: {sorted(unknown)}")
    with transaction.atomic():
        row = _locked_row(methodology)
        merged = {field: changes.get(field, getattr(row, field)) for field in SETTINGS}
        factors = list(row.factors.all())
        _check_settings(merged, [f.part for f in factors])
        changed = sorted(field for field in changes if getattr(row, field) != changes[field])
        for field in changed:
            setattr(row, field, changes[field])
        if {"parts", "index_rule"} & set(changed):
            row.weights_confirmed_by, row.weights_confirmed_at = None, None
        row.save()
        record_audit(actor=acting_user, action="methodology.settings", target=row, fields=changed)
    return row


def _check_settings(settings: dict, factor_parts: list[str]) -> None:
    if not settings["name"].strip():
        raise MethodologyError(_("Give the version a name."))
    if settings["scoring"] not in Scoring.values:
        raise MethodologyError(_("Choose a scoring."))
    if settings["index_rule"] not in IndexRule.values:
        raise MethodologyError(_("Choose how the index is computed."))
    if not 1 <= int(settings["positive_min"]) <= 5:
        raise MethodologyError(_("The lowest positive answer is a level from 1 to 5."))
    if [level["code"] for level in settings["scale"]] != ["1", "2", "3", "4", "5"]:
        raise MethodologyError(_("The answer scale has the five levels 1 to 5, each with its wording."))
    codes = [part["code"] for part in settings["parts"]]
    if len(set(codes)) != len(codes) or any(not CODE.match(code) for code in codes):
        raise MethodologyError(_("Each part needs its own short code of letters and digits."))
    if any(not isinstance(part.get("weight"), (int, float)) or part["weight"] <= 0 for part in settings["parts"]):
        raise MethodologyError(_("Each part's weight is a number above 0."))
    if settings["index_rule"] == IndexRule.PARTS and not codes:
        raise MethodologyError(_("An index combined from parts needs at least one part with its weight."))
    unknown = sorted({part for part in factor_parts if part and part not in codes})
    if unknown:
        raise MethodologyError(
            _("Factors belong to parts that are not defined: %(parts)s.") % {"parts": ", ".join(unknown)}
        )
    bounds = [band.get("min") for band in settings["bands"]]
    if any(not isinstance(b, (int, float)) or not 0 <= b <= 100 for b in bounds) or bounds != sorted(
        bounds, reverse=True
    ):
        raise MethodologyError(_("Grading bands start at a number from 0 to 100, the best band first."))


def confirm_weights(*, methodology: Methodology, acting_user) -> Methodology:
    """Record that an officer checked the index rule and the parts' weights against the Decision's text."""
    with transaction.atomic():
        row = Methodology.objects.select_for_update().get(pk=methodology.pk)
        row.weights_confirmed_by, row.weights_confirmed_at = acting_user, timezone.now()
        row.save(update_fields=["weights_confirmed_by", "weights_confirmed_at"])
        record_audit(
            actor=acting_user, action="methodology.weights_confirmed", target=row,
            parts=[[p["code"], p["weight"]] for p in row.parts],
        )  # fmt: skip
    return row


def weights_unconfirmed(methodology: Methodology) -> bool:
    """A version whose index combines parts by weights that no officer has confirmed yet."""
    return methodology.index_rule == IndexRule.PARTS and methodology.weights_confirmed_at is None


# --- factors ------------------------------------------------------------------------------------------------------


def save_factor(
    *, methodology: Methodology, code: str, name: str, name_en: str = "", part: str = "", factor: Factor | None = None,
    acting_user=None,
) -> Factor:  # fmt: skip
    """Add a factor at the end, or change one. Raises MethodologyLocked or MethodologyError."""
    with transaction.atomic():
        row = _locked_row(methodology)
        if not CODE.match(code or ""):
            raise MethodologyError(_("Write a short code that starts with a letter, e.g. TC or I_A."))
        if not name.strip():
            raise MethodologyError(_("Give the factor a name."))
        if row.factors.filter(code=code).exclude(pk=factor.pk if factor else None).exists():
            raise MethodologyError(_("Factor %(code)s exists already in this version.") % {"code": code})
        if part and part not in {p["code"] for p in row.parts}:
            raise MethodologyError(_("Part %(part)s is not defined in the settings.") % {"part": part})
        if factor is None:
            last = row.factors.aggregate(top=Max("order"))["top"]
            factor = Factor(methodology=row, order=0 if last is None else last + 1)
        factor.code, factor.name, factor.name_en, factor.part = code, name, name_en, part
        factor.save()
        record_audit(actor=acting_user, action="methodology.factor_saved", target=row, factor=code)
    return factor


def delete_factor(*, factor: Factor, acting_user=None) -> None:
    with transaction.atomic():
        row = _locked_row(factor.methodology)
        if factor.questions.exists():
            raise MethodologyError(
                _("Factor %(code)s still has questions: delete them or move them to another factor first.")
                % {"code": factor.code}
            )
        factor.delete()
        record_audit(actor=acting_user, action="methodology.factor_deleted", target=row, factor=factor.code)


def move_factor(*, factor: Factor, up: bool, acting_user=None) -> None:
    with transaction.atomic():
        row = _locked_row(factor.methodology)
        factors = list(row.factors.order_by("order", "pk"))
        _swap(factors, next(i for i, f in enumerate(factors) if f.pk == factor.pk), up)
        for i, f in enumerate(factors):
            f.order = i
        Factor.objects.bulk_update(factors, ["order"])
        record_audit(actor=acting_user, action="methodology.factor_moved", target=row, factor=factor.code, up=up)


def _swap(items: list, index: int, up: bool) -> None:
    other = index - 1 if up else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]


# --- questions ----------------------------------------------------------------------------------------------------


def save_question(
    *, methodology: Methodology, question: Question | None = None, acting_user=None, **fields
) -> Question:
    """Add a question at the end, or change one: its code, kind, role, factor, wording, answers, skip logic
    (`shown_if`: ask only after given answers to an earlier yes/no or single-choice question) and the kinds of
    agency it is asked of. Raises MethodologyLocked or MethodologyError."""
    with transaction.atomic():
        row = _locked_row(methodology)
        if question is None:
            last = row.questions.aggregate(top=Max("order"))["top"]
            question = Question(methodology=row, order=0 if last is None else last + 1)
        old_code = question.code
        for field, value in fields.items():
            if field not in QUESTION_FIELDS:
                raise MethodologyError(f"unknown question field {field}")
            setattr(question, field, value)
        question.factor_id = question.factor.pk if question.factor else None
        others = list(row.questions.exclude(pk=question.pk).select_related("factor"))
        _check_question(row, question, others)
        if question.pk and old_code != question.code:
            dependants = [q.code for q in others if q.shown_if and q.shown_if.get("question") == old_code]
            if dependants:
                raise MethodologyError(
                    _("Questions %(codes)s are asked after answers to %(code)s: change them first.")
                    % {"codes": ", ".join(dependants), "code": old_code}
                )
        if question.kind not in CHOICE_KINDS:
            question.options, question.choice_list = [], ""
        question.save()
        record_audit(actor=acting_user, action="methodology.question_saved", target=row, question=question.code)
    return question


def add_question(*, methodology: Methodology, acting_user=None, **fields) -> Question:
    """Add a question (e.g. a criterion only for communes, with `agency_kinds=["commune"]`) at the end."""
    fields.setdefault("section", "")
    if fields.get("factor") is None and fields.get("section") and fields.get("role") in FACTOR_ROLES:
        fields["factor"] = methodology.factors.filter(code=fields["section"]).first()
    return save_question(methodology=methodology, acting_user=acting_user, **fields)


def _check_question(methodology: Methodology, q: Question, others: list[Question]) -> None:
    if not CODE.match(q.code or ""):
        raise MethodologyError(_("Write a short code that starts with a letter, e.g. TC5 or HL_TC."))
    if any(o.code == q.code for o in others):
        raise MethodologyError(_("Question %(code)s exists already in this version.") % {"code": q.code})
    if q.kind not in QuestionKind.values or q.role not in QuestionRole.values:
        raise MethodologyError(_("Choose the question's kind and role."))
    if not (q.text or "").strip():
        raise MethodologyError(_("Write the question in Vietnamese."))
    if q.factor is not None and q.factor.methodology_id != methodology.pk:
        raise MethodologyError(_("Choose a factor of this version."))
    if q.role == QuestionRole.FACTOR_SATISFACTION and q.factor is None:
        raise MethodologyError(_("A factor's satisfaction question belongs to a factor."))
    if q.role in (*FACTOR_ROLES, QuestionRole.OVERALL) and q.kind != QuestionKind.SCALE5:
        raise MethodologyError(_("Criteria and satisfaction questions use the 5-level scale."))
    if q.role == QuestionRole.FACTOR_SATISFACTION and any(
        o.role == q.role and o.factor_id == q.factor.pk for o in others
    ):
        raise MethodologyError(_("Factor %(code)s has a satisfaction question already.") % {"code": q.factor.code})
    if q.role == QuestionRole.OVERALL and any(o.role == QuestionRole.OVERALL for o in others):
        raise MethodologyError(_("The version has an overall satisfaction question already."))
    if q.kind in CHOICE_KINDS:
        codes = [o.get("code", "") for o in q.options]
        if len(codes) < 2 or len(set(codes)) != len(codes) or not all(OPTION_CODE.match(c) for c in codes):
            raise MethodologyError(_("A choice needs at least two answers, each with its own short code."))
        if any(not (o.get("label") or "").strip() for o in q.options):
            raise MethodologyError(_("Write the wording of every answer."))
    if q.max_choices is not None and q.kind != QuestionKind.MULTI:
        q.max_choices = None
    if q.shown_if:
        _check_skip(q, others)
    unknown = set(q.agency_kinds or []) - set(LEVEL_OF_KIND)
    if unknown:
        raise MethodologyError(_("Unknown kinds of agency: %(kinds)s.") % {"kinds": ", ".join(sorted(unknown))})


def _check_skip(q: Question, others: list[Question]) -> None:
    source_code, values = q.shown_if.get("question"), q.shown_if.get("values") or []
    source = next((o for o in others if o.code == source_code), None)
    if source is None:
        raise MethodologyError(_("Skip logic: there is no question %(code)s.") % {"code": source_code})
    if source.order >= q.order:  # a new question comes last, after every source
        raise MethodologyError(
            _("Skip logic: %(code)s must come before the question it opens.") % {"code": source_code}
        )
    if source.kind not in SKIP_SOURCE_KINDS:
        raise MethodologyError(_("Skip logic follows the answers to a yes/no or single-choice question."))
    if not values or not set(values) <= set(source.option_codes()):
        raise MethodologyError(
            _("Skip logic: choose among the answers of %(code)s (%(codes)s).")
            % {"code": source_code, "codes": ", ".join(source.option_codes())}
        )


def delete_question(*, question: Question, acting_user=None) -> None:
    with transaction.atomic():
        row = _locked_row(question.methodology)
        dependants = list(row.questions.filter(shown_if__question=question.code).values_list("code", flat=True))
        if dependants:
            raise MethodologyError(
                _("Questions %(codes)s are asked after answers to %(code)s: change them first.")
                % {"codes": ", ".join(dependants), "code": question.code}
            )
        question.delete()
        record_audit(actor=acting_user, action="methodology.question_deleted", target=row, question=question.code)


def move_question(*, question: Question, up: bool, acting_user=None) -> None:
    """Move a question one place up or down in the form. Refused where it would put a question before the one whose
    answers open it."""
    with transaction.atomic():
        row = _locked_row(question.methodology)
        questions = list(row.questions.order_by("order", "pk"))
        _swap(questions, next(i for i, q in enumerate(questions) if q.pk == question.pk), up)
        position = {q.code: i for i, q in enumerate(questions)}
        for q in questions:
            if q.shown_if and position.get(q.shown_if["question"], -1) >= position[q.code]:
                raise MethodologyError(
                    _("%(code)s must stay after %(source)s, whose answers open it.")
                    % {"code": q.code, "source": q.shown_if["question"]}
                )
        for i, q in enumerate(questions):
            q.order = i
        Question.objects.bulk_update(questions, ["order"])
        record_audit(actor=acting_user, action="methodology.question_moved", target=row, question=question.code, up=up)


# --- spreadsheets -------------------------------------------------------------------------------------------------


def import_methodology(*, source, owner=None, code: str | None = None, acting_user=None) -> Methodology:
    """Create a version from a workbook of the documented layout (docs/methodology-spreadsheet.md), or nothing.
    `code`, if given, replaces the settings sheet's code. Raises SpreadsheetRejected with every problem found
    (sheet, row, column, reason)."""
    from sipas.tabular import UnreadableFile
    from surveys.methodology.spreadsheet import SheetError, SpreadsheetRejected, read_definition

    try:
        definition, errors = read_definition(source)
    except UnreadableFile as exc:
        raise SpreadsheetRejected(str(exc)) from exc
    if definition is not None and code:
        definition["code"] = code
        if not VERSION_CODE.match(code):
            errors = [SheetError("settings", 2, "code", _("Write a version code of letters, digits, dots and dashes."))]
    with transaction.atomic():
        if definition is not None and Methodology.objects.filter(code=definition["code"]).exists():
            errors = [
                SheetError(
                    "settings", 2, "code",
                    _("A methodology version with the code %(code)s exists already.") % {"code": definition["code"]},
                )
            ]  # fmt: skip
        if errors:
            raise SpreadsheetRejected(_("Problems found in the file: %(count)s.") % {"count": len(errors)}, errors)
        methodology = load_methodology(definition, owner=owner)
        record_audit(actor=acting_user, action="methodology.imported", target=methodology, code=methodology.code)
    return methodology


def export_methodology(*, methodology: Methodology, target) -> None:
    """Write the version as a workbook that import_methodology reads back into an equal version."""
    from surveys.methodology.spreadsheet import write_definition

    write_definition(definition_of(methodology), target)
