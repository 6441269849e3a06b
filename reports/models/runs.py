"""Index runs: immutable results of one computation, their appraisal and publication, and action plans."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency


class IndexRun(models.Model):
    """One computation of a campaign's index. Written whole in one transaction (never half), never edited
    afterwards; appraisal and publication are recorded beside it. `checksum` fingerprints the inputs."""

    class State(models.TextChoices):
        COMPUTED = "computed", _("Computed")
        APPRAISED = "appraised", _("Appraised")
        REJECTED = "rejected", _("Rejected at appraisal")
        PUBLISHED = "published", _("Published")

    campaign = models.ForeignKey("surveys.Campaign", on_delete=models.PROTECT, related_name="runs")
    number = models.PositiveIntegerField(_("run number"))
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.COMPUTED)
    scoring = models.CharField(_("scoring"), max_length=16)
    checksum = models.CharField(_("inputs checksum"), max_length=64)
    responses_counted = models.PositiveIntegerField(_("responses counted"))
    responses_excluded = models.PositiveIntegerField(_("responses excluded"))
    excluded_by_rule = models.JSONField(_("excluded by rule"), default=dict)
    summary = models.JSONField(_("summary"), default=dict)  # campaign-level figures, drivers, thresholds
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The job that computed it: a redelivered job finds its run instead of computing a second one.
    job = models.OneToOneField("sipas.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="index_run")
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("index run")
        verbose_name_plural = _("index runs")
        ordering = ["campaign", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "number"], name="run_number_per_campaign"),
            # At most one published run per campaign: the published figures are the campaign's figures.
            models.UniqueConstraint(
                fields=["campaign"], condition=Q(state="published"), name="one_published_run_per_campaign"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.slug} #{self.number}"


class AgencyResult(models.Model):
    """Every figure of one agency in one run (the export contract's per-agency object), plus the counts by name
    it was computed from (reports.services.aggregate), so groups, changes and predecessors' figures can be
    recomputed exactly. An agency without responses has the counts {"n": 0}."""

    run = models.ForeignKey(IndexRun, on_delete=models.CASCADE, related_name="agency_results")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="results")
    level = models.CharField(_("level"), max_length=16)
    n = models.PositiveIntegerField(_("responses counted"))
    excluded = models.PositiveIntegerField(_("responses excluded"))
    sipas = models.FloatField(_("SIPAS"), null=True)
    rank = models.PositiveIntegerField(_("rank"), null=True)
    enough_sample = models.BooleanField(_("enough responses"))
    figures = models.JSONField(_("figures"))
    counts = models.JSONField(_("counts"))

    class Meta:
        verbose_name = _("agency result")
        verbose_name_plural = _("agency results")
        ordering = ["run", "level", "rank", "agency__path"]
        constraints = [models.UniqueConstraint(fields=["run", "agency"], name="one_result_per_agency_per_run")]

    def __str__(self) -> str:
        return f"{self.run} {self.agency.code}"


class GroupResult(models.Model):
    """Figures of a level (province-level agencies, districts, communes) or of the whole campaign."""

    run = models.ForeignKey(IndexRun, on_delete=models.CASCADE, related_name="group_results")
    key = models.CharField(_("group"), max_length=32)  # an agency kind, or "campaign"
    figures = models.JSONField(_("figures"))
    counts = models.JSONField(_("counts"))

    class Meta:
        verbose_name = _("group result")
        verbose_name_plural = _("group results")
        constraints = [models.UniqueConstraint(fields=["run", "key"], name="one_result_per_group_per_run")]

    def __str__(self) -> str:
        return f"{self.run} {self.key}"


class Appraisal(models.Model):
    """Home Affairs' appraisal (thẩm định) of a run computed by the institute or the portal."""

    run = models.ForeignKey(IndexRun, on_delete=models.PROTECT, related_name="appraisals")
    approved = models.BooleanField(_("approved"))
    note = models.TextField(_("note"))
    # Sections III and IV of the report, drafted by the portal from the figures and edited by the officer.
    assessment = models.TextField(_("overall assessment"), blank=True)
    recommendations = models.TextField(_("recommendations"), blank=True)
    # Who signs the report and the decision, and by when agencies under the target submit their action plans.
    signer_title = models.CharField(_("signer's position"), max_length=120, blank=True)
    signer_name = models.CharField(_("signer's name"), max_length=120, blank=True)
    plans_due = models.DateField(_("action plans due"), null=True, blank=True)
    appraised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    appraised_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("appraisal")
        verbose_name_plural = _("appraisals")
        ordering = ["-appraised_at"]

    def __str__(self) -> str:
        return f"{self.run}: {'approved' if self.approved else 'rejected'}"


class ActionPlan(models.Model):
    """An agency leader's plan for a weak criterion: what, who, by when, and its follow-up."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")

    campaign = models.ForeignKey("surveys.Campaign", on_delete=models.PROTECT, related_name="action_plans")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="action_plans")
    criterion = models.CharField(_("criterion"), max_length=16)
    action = models.TextField(_("what will be done"))
    owner = models.CharField(_("who is responsible"), max_length=255)
    due = models.DateField(_("by when"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PLANNED)
    follow_up = models.TextField(_("follow-up"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("action plan")
        verbose_name_plural = _("action plans")
        ordering = ["agency", "criterion", "due"]

    def __str__(self) -> str:
        return f"{self.agency.code} {self.criterion}: {self.action[:40]}"
