"""`python manage.py import_methodology FILE.xlsx`: create a methodology version from a spreadsheet."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyKind
from surveys.methodology.spreadsheet import SpreadsheetRejected
from surveys.services.methodology import import_methodology


class Command(BaseCommand):
    help = (
        "Create a methodology version from an XLSX workbook in the layout of docs/methodology-spreadsheet.md, all or "
        "nothing: a file with any problem imports nothing and every problem is reported by sheet, row and column."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the .xlsx workbook")
        parser.add_argument("--code", help="the new version's code, instead of the one in the settings sheet")
        parser.add_argument("--province", help="the code of the province whose officers may edit the version")

    def handle(self, *args, file: str, code: str | None = None, province: str | None = None, **options):
        owner = None
        if province:
            owner = Agency.objects.filter(code=province, kind=AgencyKind.PROVINCE).first()
            if owner is None:
                raise CommandError(_("There is no province with the code %(code)s.") % {"code": province})
        try:
            with open(file, "rb") as source:
                methodology = import_methodology(source=source, owner=owner, code=code)
        except OSError as exc:
            raise CommandError(_("Cannot open %(path)s: %(reason)s") % {"path": file, "reason": exc.strerror}) from exc
        except SpreadsheetRejected as rejected:
            for error in rejected.errors:
                self.stderr.write(str(error))
            raise CommandError(_("Nothing was imported. %(reason)s") % {"reason": rejected.message}) from rejected
        self.stdout.write(
            _("Imported version %(code)s: %(factors)s factors, %(questions)s questions.")
            % {"code": methodology.code, "factors": methodology.factors.count(),
               "questions": methodology.questions.count()}
        )  # fmt: skip
