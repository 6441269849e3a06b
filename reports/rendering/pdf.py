"""The documents as PDF (WeasyPrint, templates/reports/documents/): the report, the decision and the agency
cards laid out in the form of Decree 30/2020/NĐ-CP, from reports.documents.context (the rows of
reports.presentation with their words). Fonts are the vendored Liberation Serif, embedded in the file."""

from __future__ import annotations

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from reports.documents import context as documents
from reports.models import IndexRun
from reports.presentation import factor_chart
from reports.rendering.report import Report, load_report

TEMPLATES = {"report": "reports/documents/report.html", "decision": "reports/documents/decision.html",
             "cards": "reports/documents/cards.html", "card": "reports/documents/cards.html"}  # fmt: skip


def render_pdf(
    run: IndexRun, *, document: str = "report", agency_id: int | None = None, language: str | None = None
) -> bytes:
    """The report ("report"), the announcement decision ("decision"), every agency's card ("cards") or one
    agency's ("card", with `agency_id`) as an A4 PDF. Raises KeyError for an unknown document or an agency
    without a result in the run."""
    from weasyprint import HTML  # imported on use: loading pango costs a second at start-up

    template = TEMPLATES[document]
    with translation.override(language or settings.LANGUAGE_CODE):
        report = load_report(run)
        html = render_to_string(template, pdf_context(report, document, agency_id=agency_id))
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def fonts() -> dict[str, str]:
    folder = settings.BASE_DIR / "static" / "fonts"
    return {
        "regular": (folder / "LiberationSerif-Regular.ttf").as_uri(),
        "bold": (folder / "LiberationSerif-Bold.ttf").as_uri(),
        "italic": (folder / "LiberationSerif-Italic.ttf").as_uri(),
        "bold_italic": (folder / "LiberationSerif-BoldItalic.ttf").as_uri(),
        "sans": (folder / "DejaVuSans.ttf").as_uri(),
        "sans_bold": (folder / "DejaVuSans-Bold.ttf").as_uri(),
    }


def frame() -> dict:
    """What every document prints around its body: the national motto block and the fonts."""
    return {
        "nation": _("Socialist Republic of Vietnam").upper(),
        "motto": _("Independence – Freedom – Happiness"),
        "fonts": fonts(),
        "language": translation.get_language(),
    }


def pdf_context(report: Report, document: str = "report", *, agency_id: int | None = None) -> dict:
    campaign = report.campaign
    if document == "report":
        context = documents.report_context(report)
        for table in context["tables"]:  # the chart of each version's first column: the campaign, or its first level
            figures, whose = table["figures"], table["columns"][0] if table["columns"] else campaign.root.name
            if not report.presentation.mixed:
                whose = campaign.root.name
            shown = report.presentation.overall.n and figures.factors
            table["chart"] = mark_safe(factor_chart(figures, whose=whose, width=600)) if shown else ""
        context["chart"] = context["tables"][0]["chart"]
        title = _("Report: %(campaign)s") % {"campaign": campaign.name}
    elif document == "decision":
        context = documents.decision_context(report)
        title = _("Decision: %(campaign)s") % {"campaign": campaign.name}
    elif document == "cards":
        context = documents.cards_context(report)
        title = _("Agency cards: %(campaign)s") % {"campaign": campaign.name}
    elif document == "card":
        found = documents.level_of(report, agency_id)
        if found is None:
            raise KeyError(agency_id)
        context = {"cards": [documents.card_context(report, *found)]}
        title = _("Results card: %(agency)s") % {"agency": found[0].name}
    else:
        raise KeyError(document)
    return {**context, **frame(), "document_title": title}
