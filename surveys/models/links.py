from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, ServicePoint


class SurveyLink(models.Model):
    """A survey URL /s/<token>/: reusable (a poster per agency or service point) or single-use (one dossier).

    The dossier code (mã hồ sơ) is kept only as a keyed hash, so a response cannot be traced to a person.
    """

    campaign = models.ForeignKey("surveys.Campaign", on_delete=models.CASCADE, related_name="links")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="survey_links")
    service_point = models.ForeignKey(
        ServicePoint, null=True, blank=True, on_delete=models.PROTECT, related_name="survey_links"
    )
    token = models.CharField(max_length=32, unique=True)
    single_use = models.BooleanField(default=False)
    dossier_hash = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: no dossier
    used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")
        constraints = [
            # One invitation per dossier and agency: an agency asking for a dossier that another agency invited
            # gets its own, as for any other dossier, and learns nothing of the other. The order of the fields
            # also serves the look-up of a dossier's invitations at every agency (a dossier answered twice).
            models.UniqueConstraint(
                fields=["campaign", "dossier_hash", "agency"],
                condition=Q(dossier_hash__isnull=False),
                name="invitation_once_per_agency_dossier",
            ),
            models.UniqueConstraint(
                fields=["campaign", "agency"],
                condition=Q(single_use=False, service_point__isnull=True),
                name="reusable_link_per_agency",
            ),
            models.UniqueConstraint(
                fields=["campaign", "service_point"],
                condition=Q(single_use=False, service_point__isnull=False),
                name="reusable_link_per_service_point",
            ),
            models.CheckConstraint(
                condition=Q(single_use=True) | Q(dossier_hash__isnull=True), name="dossier_only_on_invitations"
            ),
        ]

    def __str__(self) -> str:
        return self.token
