from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agencies import official
from agencies.importers import AgencyFileInvalid
from agencies.services import AgencyTreeError, import_agency_file, import_province


class Command(BaseCommand):
    help = (
        "Load agencies: --province CODE loads a province, its standard departments and all its communes from "
        "the official 2025 list (34 provinces, 3,321 communes); --file FILE.xlsx (or .csv) loads an officer's "
        "list with columns code, name, kind, parent_code (optional: unit_type, active_from, active_to, "
        "successor_code). Re-running changes nothing. A file with bad rows imports nothing."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--province", help="official province code, e.g. 20 for Lạng Sơn")
        source.add_argument("--file", help="path of an .xlsx or .csv file")

    def handle(self, *args, province=None, file=None, **options):
        try:
            if province:
                report = import_province(province_code=province)
            else:
                report = import_agency_file(source=file, name=file)
        except official.UnknownProvince:
            raise CommandError(
                _("Unknown province code %(code)s. Known codes: %(codes)s")
                % {"code": province, "codes": ", ".join(official.all_province_codes())}
            ) from None
        except FileNotFoundError:
            raise CommandError(_("File not found: %(path)s") % {"path": file}) from None
        except AgencyFileInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            raise CommandError(
                _("Nothing was imported: %(count)s error(s) in the file.") % {"count": len(invalid.errors)}
            ) from None
        except AgencyTreeError as exc:
            raise CommandError(str(exc)) from None
        if report.changed:
            self.stdout.write(
                _("Agencies: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % report.as_dict()
            )
        else:
            self.stdout.write(
                _("Nothing changed: all %(unchanged)s agencies are already up to date.") % report.as_dict()
            )
