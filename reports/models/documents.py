"""A province's own DOCX templates of its documents (letterhead, signer, recipients, wording), uploaded by an
officer in place of the defaults that ship with the portal (reports/documents/templates/)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency


class DocumentKind(models.TextChoices):
    REPORT = "report", _("Province report")
    DECISION = "decision", _("Announcement decision")
    CARD = "card", _("Agency card")


class DocumentTemplate(models.Model):
    """The DOCX template a province uses for one kind of document. One per province and kind: an upload that
    renders replaces it; one that does not is refused and this row stays as it was. The file lives under
    MEDIA_ROOT and is served only through a view that checks who asks."""

    province = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="document_templates")
    kind = models.CharField(_("document"), max_length=16, choices=DocumentKind.choices)
    file = models.FileField(_("template file"), upload_to="document-templates/%Y/")
    original_name = models.CharField(_("uploaded file name"), max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now=True)

    class Meta:
        verbose_name = _("document template")
        verbose_name_plural = _("document templates")
        constraints = [models.UniqueConstraint(fields=["province", "kind"], name="one_template_per_province_kind")]

    def __str__(self) -> str:
        return f"{self.province.code} {self.kind}"
