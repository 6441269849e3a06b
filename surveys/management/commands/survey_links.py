from __future__ import annotations

import os
import sys

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
        lines = (
            f"{link.agency.code}\t{link_url(link)}"
            for link in ensure_reusable_links(campaign=found)
            if link.service_point_id is None
        )
        try:
            for line in lines:
                self.stdout.write(line)
            self.stdout.flush()
        except BrokenPipeError:
            # The reader stopped early (`survey_links SLUG | head`): stop quietly, as Unix tools do, rather than
            # with a traceback. What is still buffered for the closed pipe goes nowhere instead of failing again
            # when Python flushes standard output on its way out.
            if self.stdout._out is sys.stdout:
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None
