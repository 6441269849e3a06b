from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.charts import number
from reports.services.compute import ComputeError, compute_campaign_index
from surveys.models import Campaign


class Command(BaseCommand):
    help = "Compute a campaign's SIPAS index now (in this process) and print the run id and a short summary."

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the campaign's slug")

    def handle(self, *args, campaign, **options):
        found = Campaign.objects.select_related("methodology", "root").filter(slug=campaign).first()
        if found is None:
            raise CommandError(_("No campaign with the short name %(slug)s.") % {"slug": campaign})
        try:
            run = compute_campaign_index(campaign=found)
        except ComputeError as exc:
            raise CommandError(str(exc)) from None
        summary = run.summary
        self.stdout.write(f"run {run.pk}")
        self.stdout.write(
            _(
                "Campaign %(slug)s, run #%(number)s: %(counted)s responses counted, %(excluded)s excluded; "
                "%(agencies)s agencies, %(ranked)s ranked; SIPAS %(sipas)s, overall satisfaction %(hl)s."
            )
            % {
                "slug": found.slug,
                "number": run.number,
                "counted": run.responses_counted,
                "excluded": run.responses_excluded,
                "agencies": summary["agencies"],
                "ranked": summary["ranked"],
                "sipas": _fmt(summary["sipas"]),
                "hl": _fmt(summary["hl"]),
            }
        )


def _fmt(value) -> str:
    return number(value)  # in the active language: 81,41 in Vietnamese
