from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from agencies import official
from agencies.demo import seed_demo_agencies


class Command(BaseCommand):
    help = (
        "Populate a demo portal: the province from the official list, its departments and communes, and one "
        "demo account per role (printed with its password). Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", default="20", help="official province code (default 20, Lạng Sơn)")
        parser.add_argument("--responses", type=int, default=0, help="synthetic responses (needs the survey module)")
        parser.add_argument("--seed", type=int, default=1, help="random seed for synthetic data")
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (demo accounts have public passwords)"
        )

    def handle(self, *args, province, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                _("seed_demo creates accounts with public passwords: run it with DEBUG=true, or pass --force.")
            )
        try:
            report, users = seed_demo_agencies(province_code=province)
        except official.UnknownProvince:
            raise CommandError(_("Unknown province code %(code)s.") % {"code": province}) from None
        self.stdout.write(
            _("Agencies: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % report.as_dict()
        )
        self.stdout.write(_("Demo accounts (log in at /accounts/login/):"))
        for user in users:
            where = user.agency.name if user.agency else _("whole portal")
            self.stdout.write(f"  {user.username:<16} {user.password:<24} {user.role:<11} {where}")
