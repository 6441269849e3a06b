"""Appraisal (thẩm định) and publication of a run, and agency action plans. A published run never changes."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from reports.models import ActionPlan, Appraisal, IndexRun
from sipas.audit import record_audit
from surveys.models import CampaignState, Methodology
from surveys.services.methodology import weights_unconfirmed


class PublicationError(Exception):
    pass


def separate_appraisal_duties() -> bool:
    """Whether the appraiser of a run must be someone other than the officer who computed it (the setting
    SEPARATE_APPRAISAL_DUTIES; on by default whenever DEBUG is off, off for the demo)."""
    return settings.SEPARATE_APPRAISAL_DUTIES


def _check_appraiser(run: IndexRun, acting_user) -> None:
    computed_it = acting_user is not None and run.computed_by_id == acting_user.pk
    if computed_it and separate_appraisal_duties():
        raise PublicationError(
            _("You computed this run: another officer appraises it (the appraisal is a check by a second person).")
        )


def appraise_run(
    *,
    run: IndexRun,
    approved: bool,
    note: str,
    acting_user,
    assessment: str = "",
    recommendations: str = "",
    signer_title: str = "",
    signer_name: str = "",
    plans_due: datetime.date | None = None,
) -> Appraisal:
    """Record Home Affairs' appraisal of the latest run, with the texts of the report's sections III and IV
    and who signs (empty: the portal's draft and defaults). Approval moves run and campaign to "appraised";
    a rejection marks the run rejected (a new computation follows). Raises PublicationError, also when duties
    are separate (separate_appraisal_duties) and `acting_user` computed the run."""
    if not note.strip():
        raise PublicationError(_("Write the appraisal's conclusion."))
    with transaction.atomic():
        run = IndexRun.objects.select_for_update().select_related("campaign").get(pk=run.pk)
        campaign = run.campaign
        if run.state != IndexRun.State.COMPUTED:
            raise PublicationError(_("Only a computed run that is not yet appraised can be appraised."))
        _check_appraiser(run, acting_user)
        if run.summary.get("interim") or campaign.state != CampaignState.COMPUTED:
            raise PublicationError(_("Close the campaign and compute it before the appraisal."))
        if campaign.runs.filter(number__gt=run.number).exists():
            raise PublicationError(_("A newer run exists: appraise the latest run."))
        appraisal = Appraisal.objects.create(
            run=run, approved=approved, note=note.strip(), appraised_by=acting_user, assessment=assessment.strip(),
            recommendations=recommendations.strip(), signer_title=signer_title.strip(),
            signer_name=signer_name.strip(), plans_due=plans_due,
        )  # fmt: skip
        run.state = IndexRun.State.APPRAISED if approved else IndexRun.State.REJECTED
        run.save(update_fields=["state"])
        if approved:
            campaign.state = CampaignState.APPRAISED
            campaign.save(update_fields=["state", "updated_at"])
        record_audit(actor=acting_user, action="index.appraised", target=run, approved=approved, note=note.strip())
    return appraisal


def run_versions(run: IndexRun) -> list[str]:
    """The codes of the versions the run's agencies answered (the campaign's version for a run computed before
    versions per level)."""
    return run.summary.get("versions") or [run.campaign.methodology.code]


def unconfirmed_versions(run: IndexRun) -> list[Methodology]:
    """The versions of the run whose index combines parts by weights no officer has confirmed yet (one query)."""
    return [
        m for m in Methodology.objects.filter(code__in=run_versions(run)).order_by("code") if weights_unconfirmed(m)
    ]


def publish_run(*, run: IndexRun, acting_user) -> IndexRun:
    """Publish an appraised run: its figures become the campaign's public results, for good. Raises
    PublicationError for a run that is not appraised or was replaced, and when a version it used combines parts
    by weights no officer has confirmed against the Decision's text (surveys.services.methodology)."""
    with transaction.atomic():
        run = IndexRun.objects.select_for_update().select_related("campaign__methodology").get(pk=run.pk)
        if run.state != IndexRun.State.APPRAISED:
            raise PublicationError(_("Only an appraised run can be published."))
        if run.campaign.runs.filter(number__gt=run.number).exists() or run.campaign.state != CampaignState.APPRAISED:
            raise PublicationError(_("A newer computation replaced this run: appraise the latest run."))
        unconfirmed = unconfirmed_versions(run)
        if unconfirmed:
            raise PublicationError(
                _(
                    "The weights of %(versions)s are not confirmed: an officer checks them against the Decision's "
                    "text and confirms them on the questionnaire's page before the results are published."
                )
                % {"versions": ", ".join(m.code for m in unconfirmed)}
            )
        run.state = IndexRun.State.PUBLISHED
        run.published_at = timezone.now()
        run.published_by = acting_user
        run.save(update_fields=["state", "published_at", "published_by"])
        campaign = run.campaign
        campaign.state = CampaignState.PUBLISHED
        campaign.save(update_fields=["state", "updated_at"])
        record_audit(actor=acting_user, action="index.published", target=run, checksum=run.checksum)
    return run


def record_action_plan(
    *, campaign, agency: Agency, criterion: str, action: str, owner: str, due: datetime.date, acting_user
) -> ActionPlan:
    """An agency leader's plan for a criterion of the questionnaire the agency answers (its level's version).
    Raises ValueError."""
    version_id = campaign.methodology_id_for_kind(agency.kind)
    if not Methodology.objects.filter(pk=version_id, questions__code=criterion, questions__role="criterion").exists():
        raise ValueError(_("%(code)s is not a criterion of this questionnaire.") % {"code": criterion})
    if not action.strip() or not owner.strip():
        raise ValueError(_("Say what will be done and who is responsible."))
    with transaction.atomic():
        plan = ActionPlan.objects.create(
            campaign=campaign, agency=agency, criterion=criterion, action=action.strip(), owner=owner.strip(),
            due=due, created_by=acting_user,
        )  # fmt: skip
        record_audit(actor=acting_user, action="action_plan.created", target=plan, criterion=criterion)
    return plan


def update_action_plan(*, plan: ActionPlan, status: str, follow_up: str, acting_user) -> ActionPlan:
    if status not in ActionPlan.Status.values:
        raise ValueError(_("Unknown status."))
    with transaction.atomic():
        plan.status = status
        plan.follow_up = follow_up.strip()
        plan.save(update_fields=["status", "follow_up", "updated_at"])
        record_audit(actor=acting_user, action="action_plan.updated", target=plan, status=status)
    return plan
