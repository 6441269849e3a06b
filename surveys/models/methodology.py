"""Questionnaires as versioned data ("methodology versions"): a campaign pins one, and a version that has
responses is never edited, only cloned (surveys.services.methodology)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Scoring(models.TextChoices):
    SHARE_POSITIVE = "share-positive", _("Share of positive answers")
    MEAN_SCORE = "mean-score", _("Mean score converted to 0–100")


class IndexRule(models.TextChoices):
    # SIPAS-2017 (Decision 2640/QĐ-BNV): the mean of the factors' satisfaction indices S(f).
    FACTOR_SATISFACTION = "factor-satisfaction", _("Mean of the factors' satisfaction indices")
    # SIPAS-2023 (Decision 1001/QĐ-BNV): each part's index is the mean of its items' indices; the index combines
    # the parts by the weights of the version's setting.
    PARTS = "parts", _("Parts combined by weights (each part: the mean of its items)")


class QuestionKind(models.TextChoices):
    SCALE5 = "scale5", _("5-level satisfaction scale")
    YES_NO = "yes_no", _("Yes / no")
    SINGLE = "single", _("Single choice")
    MULTI = "multi", _("Multiple choice")
    PRIORITY3 = "priority3", _("3-level priority")
    TEXT = "text", _("Free text")


class QuestionRole(models.TextChoices):
    CRITERION = "criterion", _("Criterion")
    FACTOR_SATISFACTION = "factor_satisfaction", _("Satisfaction with a factor")
    OVERALL = "overall", _("Overall satisfaction")
    FILTER = "filter", _("Filter")
    FACT = "fact", _("Reported fact")
    NEEDS = "needs", _("Needs and expectations")
    PROFILE = "profile", _("Profile")
    COMMENT = "comment", _("Comment")


def pick_language(vi: str, en: str) -> str:
    """The English text when English is active and a translation exists, else the Vietnamese one."""
    return en if en and (get_language() or "vi").startswith("en") else vi


def localized(obj, field: str) -> str:
    return pick_language(getattr(obj, field), getattr(obj, f"{field}_en", ""))


class Methodology(models.Model):
    code = models.CharField(_("version code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    scoring = models.CharField(_("scoring"), max_length=16, choices=Scoring.choices, default=Scoring.SHARE_POSITIVE)
    positive_min = models.PositiveSmallIntegerField(_("lowest positive answer"), default=4)
    scale = models.JSONField(_("answer scale"), default=list)
    index_rule = models.CharField(
        _("index"), max_length=24, choices=IndexRule.choices, default=IndexRule.FACTOR_SATISFACTION
    )
    # With the "parts" rule: [{"code": "I", "name": ..., "name_en": ..., "weight": 23}, ...]; a factor names its part.
    parts = models.JSONField(_("parts and their weights"), default=list, blank=True)
    weights_note = models.TextField(_("where the weights come from"), blank=True)
    weights_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("weights confirmed by"),
    )  # fmt: skip
    weights_confirmed_at = models.DateTimeField(_("weights confirmed at"), null=True, blank=True)
    # Default grading bands, best first: [{"min": 95, "label": "Xuất sắc", "label_en": "Excellent"}, ...]; a campaign
    # may set its own per level.
    bands = models.JSONField(_("grading bands"), default=list, blank=True)
    # Titles of the form's sections that are not factors: [{"code": "facts", "title": ..., "title_en": ...}].
    sections = models.JSONField(_("section titles"), default=list, blank=True)
    # The province whose Home Affairs officers author this version; empty for a version shipped with the portal
    # (every officer may read and clone it, nobody edits it).
    owner = models.ForeignKey(
        "agencies.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="methodologies",
        verbose_name=_("province"),
    )  # fmt: skip
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="clones", verbose_name=_("cloned from")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("methodology version")
        verbose_name_plural = _("methodology versions")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return localized(self, "name")

    @property
    def shipped(self) -> bool:
        """Shipped with the portal (SIPAS-2017, SIPAS-2023): read and cloned by every officer, edited by none."""
        return self.owner_id is None

    def section_title(self, code: str) -> str:
        for section in self.sections:
            if section.get("code") == code:
                return pick_language(section.get("title", ""), section.get("title_en", ""))
        return ""


class Factor(models.Model):
    methodology = models.ForeignKey(Methodology, on_delete=models.CASCADE, related_name="factors")
    code = models.CharField(_("code"), max_length=16)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("name in English"), max_length=255, blank=True)
    part = models.CharField(_("part"), max_length=16, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("factor")
        verbose_name_plural = _("factors")
        ordering = ["methodology", "order"]
        constraints = [models.UniqueConstraint(fields=["methodology", "code"], name="factor_code_per_methodology")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def label(self) -> str:
        return localized(self, "name")


class Question(models.Model):
    methodology = models.ForeignKey(Methodology, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("code"), max_length=16)
    kind = models.CharField(_("kind"), max_length=16, choices=QuestionKind.choices)
    role = models.CharField(_("role"), max_length=24, choices=QuestionRole.choices)
    factor = models.ForeignKey(Factor, null=True, blank=True, on_delete=models.CASCADE, related_name="questions")
    section = models.CharField(_("section"), max_length=32, blank=True)
    text = models.CharField(_("question"), max_length=500)
    text_en = models.CharField(_("question in English"), max_length=500, blank=True)
    options = models.JSONField(_("options"), default=list, blank=True)
    # The name of the list the options come from (the choices sheet of the spreadsheet), e.g. "interest4".
    choice_list = models.CharField(_("list of answers"), max_length=32, blank=True)
    max_choices = models.PositiveSmallIntegerField(_("at most this many choices"), null=True, blank=True)
    # Skip logic: {"question": "PA", "values": ["1"]} asks this question only after one of those answers.
    shown_if = models.JSONField(_("asked only if"), null=True, blank=True)
    # Level-specific questions: empty means every agency; otherwise only agencies of these kinds.
    agency_kinds = models.JSONField(_("only for agency kinds"), default=list, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["methodology", "order"]
        constraints = [models.UniqueConstraint(fields=["methodology", "code"], name="question_code_per_methodology")]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    @property
    def label(self) -> str:
        return localized(self, "text")

    def option_codes(self) -> list[str]:
        return [option["code"] for option in self.options]

    def applies_to(self, agency_kind: str) -> bool:
        return not self.agency_kinds or agency_kind in self.agency_kinds
