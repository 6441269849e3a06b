"""Counts already aggregated: what makes a computation over a million responses take a fraction of a second."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.models.fields import IntegerJSONDecoder, JSONTextField


class CountTally(models.Model):
    """A campaign's aggregate counts (reports.services.aggregate) over every response with an id up to
    `upto`, excluded or not, kept so that the next computation aggregates only the responses stored since.

    Counts add up, so a computation takes these counts, adds the responses stored after `upto` that are not
    excluded and subtracts the excluded ones up to `upto`. `plan_key` names the aggregation query the counts
    came from: when the questionnaire or the query changes, the tally no longer applies and is ignored.

    Only PostgreSQL keeps tallies. Triggers (migrations 0002 and 0004) keep them true: every statement that
    inserts responses holds a shared advisory lock until its transaction ends, and a tally is closed only at an
    id below which no insert can still be in flight (tallies.closable_upto); deleting, truncating or changing
    the answers, agency or campaign of a stored response deletes the campaign's tallies and raises its
    tally_epoch, so a tally read before that change is not stored after it (tallies.store_tally).
    """

    campaign = models.ForeignKey("surveys.Campaign", on_delete=models.CASCADE, related_name="count_tallies")
    plan_key = models.CharField(_("aggregation"), max_length=64)
    upto = models.BigIntegerField(_("responses up to id"))
    rows = models.BigIntegerField(_("responses"))  # every response with an id up to `upto`, excluded or not
    id_sum = models.BigIntegerField()  # sum and largest of their ids: part of the inputs' fingerprint
    id_max = models.BigIntegerField()
    names = models.JSONField()  # the names of the counts, in the order of each agency's list below
    agencies = JSONTextField(decoder=IntegerJSONDecoder)  # {agency id: [count, ...]}
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("count tally")
        verbose_name_plural = _("count tallies")
        constraints = [models.UniqueConstraint(fields=["campaign", "plan_key"], name="one_tally_per_plan")]

    def __str__(self) -> str:
        return f"{self.campaign_id}/{self.plan_key[:8]} ≤ {self.upto}"
