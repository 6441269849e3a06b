"""Storing responses. The write path needs the database and nothing else: no cache, broker or worker."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency, ServicePoint
from surveys.models import Campaign, Question, RespondentType, Response, ResponseFlag, SurveyLink
from surveys.services.answers import QuestionSet, validate_answers
from surveys.services.campaigns import accepts, methodology_for
from surveys.services.links import dossier_answered_elsewhere, keyed_hash
from surveys.services.quality import flags_for


class SubmissionRejected(Exception):
    """The response cannot be stored. `reason`: not_started, closed, channel, agency, used or invalid; for
    invalid, `errors` maps question codes (or "__all__") to messages."""

    def __init__(self, reason: str, errors: dict[str, str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or {}


def question_set(campaign: Campaign, agency: Agency) -> QuestionSet:
    """The questions `agency` is asked in `campaign`: those of its level's version (the campaign's default version
    where its level has none) that apply to its kind. The version is read once (not at all when the caller loaded
    the campaign's default with it) and set on every question, rather than joined to each question's row."""
    version = methodology_for(campaign, agency)
    # Ordered by "order" alone: the model's default order also joins the version's table to sort by its code.
    questions = list(Question.objects.filter(methodology=version).select_related("factor").order_by("order"))
    for question in questions:
        question.methodology = version
    scale = version.scale if questions else ()
    return QuestionSet.for_agency(questions, agency.kind, scale)


def submit_response(
    *,
    campaign: Campaign,
    agency: Agency,
    answers: dict[str, Any],
    client_id: uuid.UUID,
    channel: str,
    respondent_type: str = RespondentType.INDIVIDUAL,
    link: SurveyLink | None = None,
    service_point: ServicePoint | None = None,
    duration_seconds: int | None = None,
    ip: str = "",
    device: str = "",
    entered_by=None,
    form_serial: str = "",
    submitted_at: datetime.datetime | None = None,
    honeypot: bool = False,
    strict_skips: bool = True,
    reject_used_invitation: bool = True,
    questions: QuestionSet | None = None,
) -> tuple[Response, bool]:
    """Store one response with all its answers in one transaction. Returns (response, created): a replay of
    a client_id already stored returns the stored response and created=False, so a retry or double submit
    counts once. Raises SubmissionRejected (nothing is written)."""
    replay = Response.objects.filter(campaign=campaign, client_id=client_id).first()
    if replay:
        return replay, False
    reason = accepts(campaign, channel)
    if reason:
        raise SubmissionRejected(reason)
    if not campaign.participants.filter(agency=agency).exists():
        raise SubmissionRejected("agency")
    if respondent_type not in RespondentType.values:
        raise SubmissionRejected("invalid", {"respondent_type": _("Choose individual or organisation.")})
    questions = questions or question_set(campaign, agency)
    clean, errors = validate_answers(questions, answers, strict_skips=strict_skips)
    if not errors and not clean:
        errors = {"__all__": _("Please answer at least one question.")}
    if errors:
        raise SubmissionRejected("invalid", errors)
    with transaction.atomic():
        reused = False
        if link is not None and link.single_use:
            link = SurveyLink.objects.select_for_update().get(pk=link.pk)
            replay = Response.objects.filter(campaign=campaign, client_id=client_id).first()
            if replay:  # the same submission raced itself: the first one holds the link
                return replay, False
            if link.used_at is not None:
                if reject_used_invitation:
                    raise SubmissionRejected("used")
                reused = True
            else:
                reused = dossier_answered_elsewhere(link)  # the same dossier through another agency's invitation
                link.used_at = timezone.now()
                link.save(update_fields=["used_at"])
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    campaign=campaign, agency=agency, service_point=service_point, link=link, client_id=client_id,
                    channel=channel, respondent_type=respondent_type, answers=clean,
                    submitted_at=submitted_at or timezone.now(), duration_seconds=duration_seconds,
                    ip_hash=keyed_hash(ip, purpose="ip") if ip else "",
                    device_hash=keyed_hash(device, purpose="device") if device else "", entered_by=entered_by,
                    form_serial=form_serial,
                )  # fmt: skip
        except IntegrityError:
            replay = Response.objects.filter(campaign=campaign, client_id=client_id).first()
            if replay is None and form_serial:  # another enterer stored this form number a moment ago
                raise SubmissionRejected(
                    "invalid",
                    {
                        "serial": _("Form number %(serial)s has already been entered for this agency.")
                        % {"serial": form_serial}
                    },
                ) from None
            if replay is None:
                raise
            return replay, False
        ResponseFlag.objects.bulk_create(flags_for(response, questions, honeypot=honeypot, reused=reused))
    return response, True
