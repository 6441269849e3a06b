from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    COMPUTED = "computed", _("Computed")
    APPRAISED = "appraised", _("Appraised")
    PUBLISHED = "published", _("Published")


class Channel(models.TextChoices):
    QR = "qr", _("QR code")
    WEB = "web", _("Web link")
    PAPER = "paper", _("Paper form")
    ENUMERATOR = "enumerator", _("Enumerator")
    KIOSK = "kiosk", _("Kiosk")
    API = "api", _("API")
    POST = "post", _("Mailed form")
    PHONE = "phone", _("Phone")


class Level(models.TextChoices):
    """The levels of the rankings (sipas-methodology.md, "Sample, fieldwork and ranking")."""

    DEPARTMENT = "department", _("Province-level agencies")
    DISTRICT = "district", _("Districts")
    COMMUNE = "commune", _("Communes")


# The level of each kind of agency; a special zone (đặc khu) ranks with the communes. A province surveyed as an
# agency has no level of its own: it answers the campaign's default version.
LEVEL_OF_KIND = {
    "department": Level.DEPARTMENT.value,
    "district": Level.DISTRICT.value,
    "commune": Level.COMMUNE.value,
    "special_zone": Level.COMMUNE.value,
    "province": "province",
}


def level_of_kind(kind: str) -> str:
    return LEVEL_OF_KIND.get(kind, kind)


class SampleMode(models.TextChoices):
    FIXED = "fixed", _("Fixed per level")
    VOLUME = "volume", _("From the dossier volume: n = N / (1 + N·e²)")


class Campaign(models.Model):
    year = models.PositiveSmallIntegerField(_("year"))
    name = models.CharField(_("name"), max_length=255)
    slug = models.SlugField(_("short name (slug)"), max_length=64, unique=True)
    root = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("root agency"))
    # The default version: the questionnaire of every level without a version of its own below.
    methodology = models.ForeignKey(
        "surveys.Methodology", on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("methodology version")
    )
    department_methodology = models.ForeignKey(
        "surveys.Methodology", null=True, blank=True, on_delete=models.PROTECT, related_name="department_campaigns",
        verbose_name=_("version for province-level agencies"),
    )  # fmt: skip
    district_methodology = models.ForeignKey(
        "surveys.Methodology", null=True, blank=True, on_delete=models.PROTECT, related_name="district_campaigns",
        verbose_name=_("version for districts"),
    )  # fmt: skip
    commune_methodology = models.ForeignKey(
        "surveys.Methodology", null=True, blank=True, on_delete=models.PROTECT, related_name="commune_campaigns",
        verbose_name=_("version for communes"),
    )  # fmt: skip
    period_start = models.DateField(_("survey starts"))
    period_end = models.DateField(_("survey ends"))
    state = models.CharField(_("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT)
    channels = models.JSONField(_("channels allowed"), default=list)
    sample_mode = models.CharField(
        _("minimum sample"), max_length=8, choices=SampleMode.choices, default=SampleMode.FIXED
    )
    # Minimum sample per agency kind in fixed mode, e.g. {"department": 100, "commune": 150}.
    level_samples = models.JSONField(_("minimum sample per level"), default=dict, blank=True)
    margin_of_error = models.FloatField(_("margin of error e"), default=0.05)
    target_percent = models.FloatField(_("target (% satisfied)"), null=True, blank=True)
    thresholds = models.JSONField(_("thresholds"), default=list, blank=True)
    # Per level: {"commune": {"target": 90, "bands": [{"min": 95, "label": "Xuất sắc", "label_en": "Excellent"}]}}.
    # A level without a target uses target_percent; without bands, its version's bands.
    level_grading = models.JSONField(_("targets and grading bands per level"), default=dict, blank=True)
    min_seconds = models.PositiveSmallIntegerField(
        _("fastest plausible completion (seconds)"), default=45, help_text=_("Faster responses are flagged.")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-year", "-period_start", "slug"]
        constraints = [
            models.CheckConstraint(condition=Q(period_end__gte=F("period_start")), name="campaign_period_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year})"

    def methodology_id_for_level(self, level: str) -> int:
        """The id of the version the agencies of `level` answer: the level's own, else the default."""
        own = getattr(self, f"{level}_methodology_id", None) if level in Level.values else None
        return own or self.methodology_id

    def methodology_id_for_kind(self, agency_kind: str) -> int:
        return self.methodology_id_for_level(level_of_kind(agency_kind))

    def target_for_level(self, level: str) -> float | None:
        target = (self.level_grading.get(level) or {}).get("target")
        return self.target_percent if target is None else target

    def bands_for_level(self, level: str) -> list[dict] | None:
        """The level's own grading bands, or None when it uses its version's."""
        bands = (self.level_grading.get(level) or {}).get("bands")
        return bands or None


class CampaignAgency(models.Model):
    """An agency surveyed in a campaign, with its minimum sample and its paper-form tally."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="participants")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="participations")
    min_sample = models.PositiveIntegerField(_("minimum sample"), default=0)
    dossier_volume = models.PositiveIntegerField(_("results returned in the period"), null=True, blank=True)
    weight = models.FloatField(_("weight"), null=True, blank=True)
    forms_issued = models.PositiveIntegerField(_("forms issued"), default=0)
    forms_returned = models.PositiveIntegerField(_("forms returned"), default=0)
    forms_valid = models.PositiveIntegerField(_("valid forms"), default=0)

    class Meta:
        verbose_name = _("surveyed agency")
        verbose_name_plural = _("surveyed agencies")
        ordering = ["campaign", "agency__path"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "agency"], name="campaign_agency_once"),
            models.CheckConstraint(
                condition=Q(forms_returned__lte=F("forms_issued")) & Q(forms_valid__lte=F("forms_returned")),
                name="paper_tally_consistent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.slug} / {self.agency.code}"


class BackCheck(models.Model):
    """A back-check (phúc tra) of a sample of paper forms: how many were re-contacted and confirmed."""

    participant = models.ForeignKey(CampaignAgency, on_delete=models.CASCADE, related_name="back_checks")
    forms_checked = models.PositiveIntegerField(_("forms checked"))
    forms_confirmed = models.PositiveIntegerField(_("forms confirmed"))
    note = models.TextField(_("note"), blank=True)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    checked_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("back-check")
        verbose_name_plural = _("back-checks")
        ordering = ["-checked_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(forms_confirmed__lte=F("forms_checked")), name="backcheck_confirmed_le_checked"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant}: {self.forms_confirmed}/{self.forms_checked}"
