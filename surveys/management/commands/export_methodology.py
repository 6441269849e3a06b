"""`python manage.py export_methodology CODE --out FILE.xlsx`: a methodology version as a spreadsheet."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from surveys.models import Methodology
from surveys.services.methodology import export_methodology


class Command(BaseCommand):
    help = (
        "Write a methodology version as an XLSX workbook in the layout of docs/methodology-spreadsheet.md (sheets "
        "settings, questions, choices, factors, parts, sections, bands). import_methodology reads it back."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="the version's code, e.g. SIPAS-2017")
        parser.add_argument("--out", required=True, help="path of the .xlsx file to write")

    def handle(self, *args, code: str, out: str, **options):
        methodology = Methodology.objects.filter(code=code).first()
        if methodology is None:
            known = ", ".join(Methodology.objects.values_list("code", flat=True))
            raise CommandError(
                _("There is no methodology version %(code)s. Versions: %(known)s.") % {"code": code, "known": known}
            )
        try:
            with open(out, "wb") as target:
                export_methodology(methodology=methodology, target=target)
        except OSError as exc:
            raise CommandError(_("Cannot write %(path)s: %(reason)s") % {"path": out, "reason": exc.strerror}) from exc
        self.stdout.write(_("Wrote %(code)s to %(path)s.") % {"code": code, "path": out})
