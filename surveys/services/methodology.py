"""Methodology versions: loading a definition, cloning, and adding level-specific questions to a clone."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from sipas.audit import record_audit
from surveys.models import Factor, Methodology, Question, Response


class MethodologyLocked(Exception):
    """The version already has responses: it may only be cloned."""


def load_methodology(definition: dict) -> Methodology:
    """Create the version described by `definition` (see surveys/methodology/sipas_2017.py) unless a version
    with that code exists already; return it. Idempotent."""
    with transaction.atomic():
        existing = Methodology.objects.filter(code=definition["code"]).first()
        if existing:
            return existing
        methodology = Methodology.objects.create(
            code=definition["code"],
            name=definition["name"],
            name_en=definition.get("name_en", ""),
            scoring=definition.get("scoring", "share-positive"),
            positive_min=definition.get("positive_min", 4),
            scale=definition.get("scale", []),
        )
        factors = {
            f["code"]: Factor.objects.create(methodology=methodology, order=i, **f)
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


def is_locked(methodology: Methodology) -> bool:
    return Response.objects.filter(campaign__methodology=methodology).exists()


def clone_methodology(*, source: Methodology, code: str, name: str, acting_user=None) -> Methodology:
    """Copy a version with all its factors and questions under a new code. Raises ValueError if the code is
    taken."""
    with transaction.atomic():
        if Methodology.objects.filter(code=code).exists():
            raise ValueError(_("A methodology version with the code %(code)s exists already.") % {"code": code})
        clone = Methodology.objects.create(
            code=code,
            name=name,
            name_en=source.name_en,
            scoring=source.scoring,
            positive_min=source.positive_min,
            scale=source.scale,
            based_on=source,
        )
        factors = {}
        for factor in source.factors.all():
            factors[factor.pk] = Factor.objects.create(
                methodology=clone, code=factor.code, name=factor.name, name_en=factor.name_en, order=factor.order
            )
        copies = []
        for question in source.questions.all():
            question.pk = None
            question.methodology = clone
            question.factor = factors.get(question.factor_id)
            copies.append(question)
        Question.objects.bulk_create(copies)
        record_audit(actor=acting_user, action="methodology.cloned", target=clone, source=source.code)
    return clone


def add_question(*, methodology: Methodology, acting_user=None, **fields) -> Question:
    """Add a question (e.g. a criterion only for communes, with `agency_kinds=["commune"]`) to a version
    that has no responses yet. Raises MethodologyLocked or ValueError for a duplicate code."""
    with transaction.atomic():
        if is_locked(methodology):
            raise MethodologyLocked(
                _("Version %(code)s already has responses: clone it and change the clone.") % {"code": methodology.code}
            )
        if methodology.questions.filter(code=fields["code"]).exists():
            raise ValueError(_("Question %(code)s exists already in this version.") % {"code": fields["code"]})
        last = methodology.questions.order_by("-order").values_list("order", flat=True).first() or 0
        fields.setdefault("order", last + 1)
        question = Question.objects.create(methodology=methodology, **fields)
        record_audit(actor=acting_user, action="methodology.question_added", target=question, code=question.code)
    return question
