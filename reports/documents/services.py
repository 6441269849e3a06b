"""A province's own DOCX templates: upload (checked by rendering it before it replaces anything) and the file an
officer downloads to edit in Word."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from reports.models import DocumentKind, DocumentTemplate, IndexRun
from reports.rendering.docx import TemplateError, default_template, docx_context, render_template
from reports.rendering.report import load_report
from sipas.audit import record_audit

MAX_TEMPLATE_BYTES = 5 * 1024 * 1024
SAMPLE_DOCUMENT = {DocumentKind.REPORT: "report", DocumentKind.DECISION: "decision", DocumentKind.CARD: "cards"}


def template_file(*, province, kind: str, language: str | None = None) -> tuple[bytes, str]:
    """The template a province's documents of `kind` are filled from (its upload, else the default), with a
    file name."""
    uploaded = DocumentTemplate.objects.filter(province=province, kind=kind).first()
    if uploaded is not None:
        with uploaded.file.open("rb") as handle:
            return handle.read(), f"{kind}-{province.code}.docx"
    path: Path = default_template(kind, language or settings.LANGUAGE_CODE)
    return path.read_bytes(), path.name


def upload_document_template(
    *, run: IndexRun, kind: str, content: bytes, filename: str, acting_user
) -> DocumentTemplate:
    """Make `content` the template of `kind` for the province of the run's campaign, once it renders with that
    run's figures. Raises TemplateError (with the reason, in words) and leaves the previous template as it was
    when the file is too large, is not a Word document or does not render."""
    if kind not in DocumentKind.values:
        raise TemplateError(_("Unknown document."))
    if len(content) > MAX_TEMPLATE_BYTES:
        raise TemplateError(_("The file is larger than 5 MB."))
    if not content:
        raise TemplateError(_("The file is empty."))
    import io

    context = docx_context(load_report(run), SAMPLE_DOCUMENT[kind])
    render_template(io.BytesIO(content), context)  # raises TemplateError
    province = run.campaign.root
    with transaction.atomic():
        template, _created = DocumentTemplate.objects.select_for_update().get_or_create(
            province=province, kind=kind, defaults={"original_name": filename[:255], "uploaded_by": acting_user}
        )
        previous = template.file.name if template.file else ""
        template.file.save(f"{province.code}-{kind}.docx", ContentFile(content), save=False)
        template.original_name, template.uploaded_by = filename[:255], acting_user
        template.save()
        record_audit(actor=acting_user, action="document_template.uploaded", target=template, kind=kind)
        if previous and previous != template.file.name:
            storage = template.file.storage
            transaction.on_commit(lambda: storage.delete(previous))
    return template


def reset_document_template(*, province, kind: str, acting_user) -> None:
    """Go back to the default template of `kind` for the province."""
    with transaction.atomic():
        template = DocumentTemplate.objects.filter(province=province, kind=kind).first()
        if template is None:
            return
        name, storage = template.file.name, template.file.storage
        template.delete()
        record_audit(actor=acting_user, action="document_template.reset", target=province, kind=kind)
        transaction.on_commit(lambda: storage.delete(name))
