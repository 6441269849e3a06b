from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import official
from agencies.demo import seed_demo_agencies
from agencies.models import Agency
from reports.demo import ensure_published_demo_campaign
from reports.services.compute import compute_campaign_index
from surveys.demo import ensure_demo_campaign, synthetic_responses
from surveys.services.links import link_url


class Command(BaseCommand):
    help = (
        "Populate a demo portal: the province from the official list, its departments and communes, and one "
        "demo account per role (printed with its password). Refuses to run with DEBUG off unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("--province", default="20", help="official province code (default 20, Lạng Sơn)")
        parser.add_argument(
            "--responses",
            type=int,
            default=3000,
            help="synthetic responses the demo campaign should have (default 3000; topped up, never duplicated)",
        )
        parser.add_argument("--campaign", default="demo", help="slug of the demo campaign (default demo)")
        parser.add_argument("--seed", type=int, default=1, help="random seed for synthetic data")
        parser.add_argument(
            "--force", action="store_true", help="run even with DEBUG off (demo accounts have public passwords)"
        )

    def handle(self, *args, province, force, responses, seed, campaign, **options):
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
        province_agency = Agency.objects.get(code=f"{int(province):02d}")
        admin = get_user_model().objects.get(username="demo_admin")
        previous = ensure_published_demo_campaign(
            province=province_agency,
            slug=f"{campaign}-{timezone.localdate().year - 1}",
            responses=responses,
            seed=seed,
            acting_user=admin,
        )
        self.stdout.write(_("Published campaign of last year: %(slug)s.") % {"slug": previous.slug})
        demo = ensure_demo_campaign(province=province_agency, slug=campaign)
        missing = max(0, responses - demo.responses.count())  # top up to N: running the demo again adds nothing
        added = synthetic_responses(campaign=demo, count=missing, seed=seed) if missing else 0
        self.stdout.write(
            _(
                "Campaign %(slug)s: %(agencies)s agencies surveyed, %(added)s synthetic responses added (%(total)s in all)."
            )
            % {
                "slug": demo.slug,
                "agencies": demo.participants.count(),
                "added": added,
                "total": demo.responses.count(),
            }
        )
        run = compute_campaign_index(campaign=demo, acting_user=admin) if added else None
        if run:
            self.stdout.write(
                _("Interim index computed for %(slug)s (run #%(number)s).") % {"slug": demo.slug, "number": run.number}
            )
        link = demo.links.filter(single_use=False).select_related("agency").first()
        if link:
            self.stdout.write(_("Try the citizen form: %(url)s") % {"url": link_url(link)})
