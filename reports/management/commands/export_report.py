import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.selectors import latest_run, published_run
from reports.services.export import export_payload
from surveys.models import Campaign

# What each --document comes in (reports.jobs.DOCUMENTS, for the shell).
FORMATS = {
    "report": ("pdf", "docx", "xlsx", "json"),
    "decision": ("pdf", "docx"),
    "cards": ("pdf", "docx"),
    "responses": ("xlsx",),
}


class Command(BaseCommand):
    help = (
        "Write a campaign's document to --out PATH: --document report (default; --format pdf or docx, xlsx for the "
        "workbook of the figures, json for the export contract), decision (pdf, docx), cards (pdf, docx: every "
        "agency's card) or responses (xlsx: the anonymised raw responses). Uses the published run, else the "
        "latest run (or --run NUMBER)."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the campaign's slug")
        parser.add_argument("--format", choices=["json", "pdf", "docx", "xlsx"], required=True)
        parser.add_argument("--document", choices=list(FORMATS), default="report")
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--run", type=int, help="run number (default: published, else latest)")

    def handle(self, *args, campaign, format, document, out, run, **options):
        from reports import rendering
        from reports.rendering.docx import TemplateError

        found = Campaign.objects.select_related("methodology").filter(slug=campaign).first()
        if found is None:
            raise CommandError(_("No campaign with the short name %(slug)s.") % {"slug": campaign})
        if format not in FORMATS[document]:
            raise CommandError(
                _("The %(document)s comes as %(formats)s, not %(format)s.")
                % {"document": document, "formats": ", ".join(FORMATS[document]), "format": format}
            )
        chosen = found.runs.filter(number=run).first() if run else (published_run(found) or latest_run(found))
        if chosen is None:
            raise CommandError(
                _("Campaign %(slug)s has no computed run: run compute_index first.") % {"slug": campaign}
                if not run
                else _("Campaign %(slug)s has no run number %(number)s.") % {"slug": campaign, "number": run}
            )
        path = Path(out)
        if not path.parent.exists():
            raise CommandError(_("Folder %(folder)s does not exist.") % {"folder": path.parent})
        try:
            if format == "json":
                path.write_text(json.dumps(export_payload(chosen), ensure_ascii=False, indent=2), encoding="utf-8")
            elif document == "responses":
                with path.open("wb") as handle:
                    rendering.render_responses_xlsx(chosen, handle)
            elif format == "xlsx":
                path.write_bytes(rendering.render_xlsx(chosen))
            elif format == "docx":
                path.write_bytes(rendering.render_docx(chosen, document=document))
            else:
                path.write_bytes(rendering.render_pdf(chosen, document=document))
        except TemplateError as exc:
            raise CommandError(_("The province's template did not render: %(error)s") % {"error": exc}) from exc
        self.stdout.write(_("Wrote %(path)s (run #%(number)s).") % {"path": path, "number": chosen.number})
