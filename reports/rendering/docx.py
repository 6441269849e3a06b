"""The documents as DOCX through docxtpl: the province's own template of the document when an officer uploaded
one (reports.models.DocumentTemplate), else the default that ships with the portal
(reports/documents/templates/, built by reports/documents/build_templates.py), rendered with the same context
as the PDF (reports.documents.context), so the officer edits the document in Word before signing it."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.utils import translation

from reports.documents import context as documents
from reports.documents.build_templates import template_path
from reports.models import IndexRun
from reports.rendering.pdf import frame
from reports.rendering.report import Report, load_report

KIND_OF = {"report": "report", "decision": "decision", "cards": "card", "card": "card"}


class TemplateError(Exception):
    """A template that does not render: its message says why, in words an officer can act on."""


def default_template(kind: str, language: str) -> Path:
    path = template_path(kind, language)
    return path if path.exists() else template_path(kind, settings.LANGUAGE_CODE)


def province_template(run: IndexRun, kind: str):
    from reports.models import DocumentTemplate

    return DocumentTemplate.objects.filter(province_id=run.campaign.root_id, kind=kind).first()


def render_docx(
    run: IndexRun,
    *,
    document: str = "report",
    agency_id: int | None = None,
    template: bytes | None = None,
    language: str | None = None,
) -> bytes:
    """The document as a DOCX, from `template` (the bytes of a .docx) when given, else the province's uploaded
    template, else the default. Raises KeyError for an unknown document and TemplateError for a template that
    does not render."""
    kind = KIND_OF[document]
    with translation.override(language or settings.LANGUAGE_CODE):
        if template is None:
            uploaded = province_template(run, kind)
            if uploaded is not None:
                with uploaded.file.open("rb") as handle:
                    template = handle.read()
        source = io.BytesIO(template) if template is not None else default_template(kind, translation.get_language())
        report = load_report(run)
        return render_template(source, docx_context(report, document, agency_id=agency_id))


def docx_context(report: Report, document: str, *, agency_id: int | None = None) -> dict:
    if document == "report":
        context = documents.report_context(report)
    elif document == "decision":
        context = documents.decision_context(report)
    elif document == "cards":
        context = documents.cards_context(report)
    else:
        found = documents.level_of(report, agency_id)
        if found is None:
            raise KeyError(agency_id)
        context = {"cards": [documents.card_context(report, *found)]}
    return {**context, **frame()}


def render_template(source, context: dict) -> bytes:
    """Render a docxtpl template (a path or a file of bytes) with `context`; every way a template can fail
    (not a Word file, a broken tag, a name it uses wrongly) is a TemplateError."""
    import zipfile

    import jinja2
    from docxtpl import DocxTemplate
    from lxml import etree

    try:
        template = DocxTemplate(source)
        template.render(context, autoescape=True)
        out = io.BytesIO()
        template.save(out)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise TemplateError(_message("not_docx", exc)) from exc
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(_message("syntax", exc)) from exc
    except (jinja2.UndefinedError, TypeError, AttributeError) as exc:
        raise TemplateError(_message("name", exc)) from exc
    except etree.XMLSyntaxError as exc:
        raise TemplateError(_message("xml", exc)) from exc
    return out.getvalue()


def _message(problem: str, exc: Exception) -> str:
    from django.utils.translation import gettext as _

    messages = {
        "not_docx": _("The file is not a Word document (.docx)."),
        "syntax": _("A template tag is not written correctly: %(detail)s"),
        "name": _("The template uses a value that does not exist or in a way that does not work: %(detail)s"),
        "xml": _("The document's content could not be read after filling in the template: %(detail)s"),
    }
    return messages[problem] % {"detail": str(exc)[:300]}
