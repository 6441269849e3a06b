from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from surveys.models import Campaign
from surveys.services.links import ensure_reusable_links, link_url


class Command(BaseCommand):
    help = (
        "Print the reusable survey link of every agency surveyed in CAMPAIGN, one line each: "
        "AGENCY_CODE<TAB>URL (service points' links and single-use invitations are left out). "
        "Missing links are created first."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the campaign's short name (slug)")

    def handle(self, *args, campaign, **options):
        found = Campaign.objects.filter(slug=campaign).first()
        if found is None:
            raise CommandError(_("No campaign with the short name %(slug)s.") % {"slug": campaign})
        for link in ensure_reusable_links(campaign=found):
            if link.service_point_id is None:
                self.stdout.write(f"{link.agency.code}\t{link_url(link)}")
