import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.selectors import latest_run, published_run
from reports.services.export import export_payload
from surveys.models import Campaign


class Command(BaseCommand):
    help = (
        "Write a campaign's results: --format json (the export contract), pdf or xlsx, to --out PATH. Uses the "
        "published run, else the latest run (or --run NUMBER)."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the campaign's slug")
        parser.add_argument("--format", choices=["json", "pdf", "xlsx"], required=True)
        parser.add_argument("--out", required=True, help="file to write")
        parser.add_argument("--run", type=int, help="run number (default: published, else latest)")

    def handle(self, *args, campaign, format, out, run, **options):
        found = Campaign.objects.select_related("methodology").filter(slug=campaign).first()
        if found is None:
            raise CommandError(_("No campaign with the short name %(slug)s.") % {"slug": campaign})
        chosen = found.runs.filter(number=run).first() if run else (published_run(found) or latest_run(found))
        if chosen is None:
            raise CommandError(
                _("Campaign %(slug)s has no computed run: run compute_index first.") % {"slug": campaign}
            )
        path = Path(out)
        if not path.parent.exists():
            raise CommandError(_("Folder %(folder)s does not exist.") % {"folder": path.parent})
        if format == "json":
            path.write_text(json.dumps(export_payload(chosen), ensure_ascii=False, indent=2), encoding="utf-8")
        else:
            from reports import rendering

            renderer = rendering.render_pdf if format == "pdf" else rendering.render_xlsx
            path.write_bytes(renderer(chosen))
        self.stdout.write(_("Wrote %(path)s (run #%(number)s).") % {"path": path, "number": chosen.number})
