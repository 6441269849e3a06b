"""Quality checks on responses (sipas-methodology.md, "Quality of responses"). A check only flags: the
response is kept and counted until an officer records a decision (decide_flagged)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sipas.audit import record_audit
from surveys.models import Campaign, CampaignState, FlagRule, Response, ResponseFlag
from surveys.services.answers import QuestionSet
from surveys.services.campaigns import ENTRY_CHANNELS, CampaignStateError

STRAIGHT_LINE_MIN_ANSWERS = 10  # below this, identical answers are plausible
BURST_WINDOW = datetime.timedelta(minutes=10)
BURST_LIMIT = 10  # responses from one address or device within the window before the next is flagged
# One machine legitimately sends many: enumerators' and kiosks' devices, and the one-stop-shop software
# posting its citizens' answers through the API from one server address.
BURST_EXEMPT_CHANNELS = ENTRY_CHANNELS | {"kiosk", "api"}


def flags_for(
    response: Response, questions: QuestionSet, *, honeypot: bool = False, reused: bool = False
) -> list[ResponseFlag]:
    """The flags a new response earns; call inside the transaction that stores it. Their details are written in
    the portal's language, for the officers who review them, whatever language the respondent chose."""
    with translation.override(settings.LANGUAGE_CODE):
        return _flags_for(response, questions, honeypot=honeypot, reused=reused)


def _flags_for(response: Response, questions: QuestionSet, *, honeypot: bool, reused: bool) -> list[ResponseFlag]:
    campaign = response.campaign
    flags: list[tuple[str, str]] = []
    if response.duration_seconds is not None and response.duration_seconds < campaign.min_seconds:
        flags.append(
            (
                FlagRule.TOO_FAST,
                _("%(seconds)s s, below %(min)s s")
                % {"seconds": response.duration_seconds, "min": campaign.min_seconds},
            )
        )
    scaled = [response.answers[code] for code in questions.scaled_codes() if code in response.answers]
    if len(scaled) >= STRAIGHT_LINE_MIN_ANSWERS and len(set(scaled)) == 1:
        flags.append(
            (
                FlagRule.STRAIGHT_LINED,
                _("%(count)s answers, all %(value)s") % {"count": len(scaled), "value": scaled[0]},
            )
        )
    if reused:
        flags.append((FlagRule.REUSED_INVITATION, ""))
    day = timezone.localtime(response.submitted_at).date()
    if not campaign.period_start <= day <= campaign.period_end:
        flags.append((FlagRule.OUTSIDE_PERIOD, day.isoformat()))
    if response.channel not in BURST_EXEMPT_CHANNELS:
        burst = _burst_count(response)
        if burst >= BURST_LIMIT:
            flags.append((FlagRule.BURST, _("%(count)s responses in 10 minutes") % {"count": burst + 1}))
    if honeypot:
        flags.append((FlagRule.HONEYPOT, ""))
    return [ResponseFlag(response=response, rule=rule, detail=detail) for rule, detail in flags]


def _burst_count(response: Response) -> int:
    since = response.submitted_at - BURST_WINDOW
    recent = Response.objects.filter(campaign=response.campaign, submitted_at__gte=since).exclude(pk=response.pk)
    counts = []
    if response.ip_hash:
        counts.append(recent.filter(ip_hash=response.ip_hash).count())
    if response.device_hash:
        counts.append(recent.filter(device_hash=response.device_hash).count())
    return max(counts, default=0)


def flagged_responses(campaign: Campaign, *, rule: str | None = None) -> QuerySet[Response]:
    queryset = Response.objects.filter(campaign=campaign, flags__isnull=False)
    if rule:
        queryset = queryset.filter(flags__rule=rule)
    return queryset.distinct()


def decide_flagged(
    *, campaign: Campaign, include: bool, acting_user, rule: str | None = None, response_ids=None
) -> int:
    """Record an officer's decision on flagged responses, one by one (`response_ids`) or by rule. Excluded
    responses leave the index; the decision names its rule, so reports can say how many and why. Returns how
    many responses were decided. Raises CampaignStateError once the results are published."""
    if campaign.state == CampaignState.PUBLISHED:
        raise CampaignStateError(_("The results are published: decisions on responses can no longer change."))
    with transaction.atomic():
        queryset = flagged_responses(campaign, rule=rule)
        if response_ids is not None:
            queryset = queryset.filter(pk__in=list(response_ids))
        elif include:
            # Including by rule X re-includes what was excluded under X (or not yet decided), never what an
            # officer excluded under another rule.
            queryset = queryset.exclude(Q(excluded=True) & ~Q(decision_rule=rule))
        else:
            queryset = queryset.exclude(excluded=True)  # already excluded: keep the rule it was excluded under
        ids = list(queryset.values_list("pk", flat=True))
        Response.objects.filter(pk__in=ids).update(
            excluded=not include, decision_rule=rule or "manual", decided_by=acting_user, decided_at=timezone.now()
        )
        record_audit(
            actor=acting_user,
            action="responses.decided",
            target=campaign,
            include=include,
            rule=rule or "manual",
            count=len(ids),
        )
    return len(ids)
