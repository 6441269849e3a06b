"""`python manage.py import_responses CAMPAIGN FILE`: load paper or mailed forms typed into a spreadsheet."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from surveys.models import Campaign
from surveys.services.imports import ResponseImportRejected, import_responses


class Command(BaseCommand):
    help = (
        "Import responses into a campaign from a CSV (UTF-8) or XLSX file, all or nothing. Columns: agency_code, "
        "respondent_type, optional channel, submitted_at and client_id, then question codes "
        "(see the import contract in sipas-methodology.md). A file with any bad row imports nothing and every "
        "bad row is reported with its row number and column."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the campaign's short name (slug)")
        parser.add_argument("file", help="path to a .csv or .xlsx file")

    def handle(self, *args, campaign: str, file: str, **options):
        target = Campaign.objects.select_related("methodology").filter(slug=campaign).first()
        if target is None:
            raise CommandError(_("There is no campaign with the short name %(slug)s.") % {"slug": campaign})
        try:
            report = import_responses(campaign=target, source=file)
        except ResponseImportRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            unlisted = rejected.error_count - len(rejected.errors)
            if unlisted > 0:
                self.stderr.write(_("… and %(count)s more problems not listed.") % {"count": unlisted})
            raise CommandError(_("Nothing was imported. %(reason)s") % {"reason": rejected.message}) from rejected
        self.stdout.write(
            _("Imported %(imported)s responses into %(slug)s; %(flagged)s flagged for review.")
            % {"imported": report.imported, "slug": target.slug, "flagged": report.flagged}
        )
        if report.skipped:
            self.stdout.write(
                _("%(count)s rows were already imported (same client_id) and were skipped.") % {"count": report.skipped}
            )
