"""Paper and mailed forms: entry of one form by an enumerator (điều tra viên), each agency's tally of forms
issued, returned and valid (phiếu phát ra / thu về / hợp lệ: the first two recorded, the valid ones counted from
the responses), and the back-check (phúc tra) of a sample.

Entry goes through surveys.services.responses.submit_response, so a paper form is validated exactly like
the citizen form, the API and the file import, with the skip rules enforced (strict_skips)."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from sipas.audit import record_audit
from surveys.models import BackCheck, Campaign, CampaignAgency, CampaignState, Channel, Response
from surveys.services.answers import QuestionSet, validate_answers
from surveys.services.campaigns import ENTRY_CHANNELS, accepts
from surveys.services.responses import SubmissionRejected, question_set, submit_response

ENTERED = "response.entered"
FORM_TIME = datetime.time(12, 0)  # a paper form carries a date, not a time: noon keeps the local day safe


def enter_paper_form(
    *,
    campaign: Campaign,
    agency: Agency,
    answers: dict[str, Any],
    client_id: uuid.UUID,
    channel: str,
    respondent_type: str,
    form_date: datetime.date,
    serial: str = "",
    entered_by,
    questions: QuestionSet | None = None,
) -> tuple[Response, bool]:
    """Store one paper, mailed, phone or enumerator form with the same validation as every channel and an
    audit entry naming the enumerator (and the form's serial number, if any). Returns (response, created):
    a replay of a client_id already stored returns the stored response and created=False.

    Raises SubmissionRejected: "channel" for an online channel, accepts()'s refusal for the campaign's
    state, "invalid" with errors by question code, or by `submitted_at` (a date after today) and `serial`
    (a serial number already entered for this agency in this campaign). Nothing is written then."""
    if channel not in ENTRY_CHANNELS:
        raise SubmissionRejected("channel")
    questions = questions or question_set(campaign, agency)
    serial = serial.strip()
    with transaction.atomic():
        replay = Response.objects.filter(campaign=campaign, client_id=client_id).first()
        if replay is not None:
            return replay, False
        reason = accepts(campaign, channel)
        if reason:
            raise SubmissionRejected(reason)
        errors: dict[str, str] = {}
        if form_date > timezone.localdate():
            errors["submitted_at"] = _("The date on the form cannot be later than today.")
        if serial and Response.objects.filter(campaign=campaign, agency=agency, form_serial=serial).exists():
            errors["serial"] = _("Form number %(serial)s has already been entered for this agency.") % {
                "serial": serial
            }
        if errors:
            _clean, answer_errors = validate_answers(questions, answers, strict_skips=True)
            raise SubmissionRejected("invalid", {**answer_errors, **errors})
        submitted_at = timezone.make_aware(datetime.datetime.combine(form_date, FORM_TIME))
        response, created = submit_response(
            campaign=campaign,
            agency=agency,
            answers=answers,
            client_id=client_id,
            channel=channel,
            respondent_type=respondent_type,
            entered_by=entered_by,
            form_serial=serial,
            submitted_at=submitted_at,
            strict_skips=True,
            questions=questions,
        )
        if created:
            record_audit(
                actor=entered_by, action=ENTERED, target=response, campaign=campaign.pk, agency=agency.pk,
                channel=channel, serial=serial,
            )  # fmt: skip
    return response, created


def entered_today(*, campaign: Campaign, agency: Agency, user) -> int:
    """How many forms `user` entered today (local time) for `agency` in `campaign` on the entry screen."""
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    return Response.objects.filter(campaign=campaign, agency=agency, entered_by=user, created_at__gte=midnight).count()


# Forms handed out and collected (phiếu phát ra / thu về): on paper at the agency, or mailed to people who
# received a result. Phone and enumerator interviews issue no form.
PAPER_CHANNELS = (Channel.PAPER, Channel.POST)


@dataclass(frozen=True)
class PaperTally:
    """An agency's (or a campaign's) paper forms. `valid` is derived: the paper and mailed responses stored and
    counted (not excluded). `returned` is recorded but never fewer than `valid` (every valid form came back).
    `issued` is recorded; None while not recorded (or recorded below the forms returned): only the enumerator
    knows it."""

    issued: int | None
    returned: int
    valid: int

    @property
    def missing(self) -> bool:
        """Whether the forms issued are still to be recorded although paper forms were entered."""
        return self.issued is None and self.returned > 0


def paper_tallies(participants: Iterable[CampaignAgency]) -> dict[int, PaperTally]:
    """Each participant's PaperTally by participant id, from its recorded figures and one GROUP BY over the
    responses of their campaigns and agencies. The one source of these numbers for pages and documents."""
    participants = list(participants)
    if not participants:
        return {}
    counted = {
        (row["campaign_id"], row["agency_id"]): row["n"]
        for row in Response.objects.filter(
            campaign_id__in={p.campaign_id for p in participants},
            agency_id__in={p.agency_id for p in participants},
            channel__in=PAPER_CHANNELS,
            excluded=False,
        )
        .values("campaign_id", "agency_id")
        .annotate(n=Count("pk"))
        .order_by()
    }
    tallies = {}
    for participant in participants:
        valid = counted.get((participant.campaign_id, participant.agency_id), 0)
        returned = max(participant.forms_returned, valid)
        issued = participant.forms_issued if participant.forms_issued and participant.forms_issued >= returned else None
        tallies[participant.pk] = PaperTally(issued=issued, returned=returned, valid=valid)
    return tallies


def paper_total(tallies: Iterable[PaperTally]) -> PaperTally:
    """A campaign's paper forms: the sums, with the forms issued known only if known for every agency that
    returned forms."""
    tallies = list(tallies)
    issued = None if any(t.missing for t in tallies) else sum(t.issued or 0 for t in tallies)
    return PaperTally(issued=issued, returned=sum(t.returned for t in tallies), valid=sum(t.valid for t in tallies))


def record_paper_tally(*, participant: CampaignAgency, issued: int, returned: int, acting_user) -> CampaignAgency:
    """Record the agency's paper forms issued and returned for the campaign (valid forms are counted from the
    responses, see paper_tallies). Audited with the previous figures. Raises ValueError (nothing written)
    unless forms valid ≤ returned ≤ issued, or when the campaign's results are published."""
    if min(issued, returned) < 0:
        raise ValueError(_("The numbers of forms cannot be negative."))
    if returned > issued:
        raise ValueError(
            _("More forms returned (%(returned)s) than issued (%(issued)s).") % {"returned": returned, "issued": issued}
        )
    with transaction.atomic():
        participant = _locked(participant)
        valid = paper_tallies([participant])[participant.pk].valid
        if returned < valid:
            raise ValueError(
                _(
                    "%(valid)s paper and mailed forms of this agency are stored and counted: at least %(valid)s "
                    "were returned, not %(returned)s."
                )
                % {"valid": valid, "returned": returned}
            )
        previous = [participant.forms_issued, participant.forms_returned]
        participant.forms_issued, participant.forms_returned = issued, returned
        # forms_valid is superseded by the count (paper_tallies); it is kept at that count only so that its
        # constraint (valid ≤ returned ≤ issued) holds for rows written before, until the column is dropped.
        participant.forms_valid = valid
        participant.save(update_fields=["forms_issued", "forms_returned", "forms_valid"])
        record_audit(
            actor=acting_user,
            action="paper.tally",
            target=participant,
            previous=previous,
            issued=issued,
            returned=returned,
        )
    return participant


def record_back_check(
    *, participant: CampaignAgency, forms_checked: int, forms_confirmed: int, note: str, acting_user
) -> BackCheck:
    """Record a back-check (phúc tra): how many paper forms were re-contacted and how many confirmed. Audited.
    Raises ValueError (nothing written) unless 1 ≤ checked ≤ forms returned and confirmed ≤ checked, or when
    the campaign's results are published."""
    if forms_checked < 1:
        raise ValueError(_("A back-check covers at least one form."))
    if forms_confirmed < 0:
        raise ValueError(_("The numbers of forms cannot be negative."))
    if forms_confirmed > forms_checked:
        raise ValueError(
            _("More forms confirmed (%(confirmed)s) than checked (%(checked)s).")
            % {"confirmed": forms_confirmed, "checked": forms_checked}
        )
    with transaction.atomic():
        participant = _locked(participant)
        if forms_checked > participant.forms_returned:
            raise ValueError(
                _(
                    "More forms checked (%(checked)s) than returned (%(returned)s). Record the forms returned in "
                    "the tally first."
                )
                % {"checked": forms_checked, "returned": participant.forms_returned}
            )
        back_check = BackCheck.objects.create(
            participant=participant,
            forms_checked=forms_checked,
            forms_confirmed=forms_confirmed,
            note=note.strip(),
            checked_by=acting_user,
        )
        record_audit(
            actor=acting_user,
            action="paper.back_check",
            target=back_check,
            participant=participant.pk,
            checked=forms_checked,
            confirmed=forms_confirmed,
        )
    return back_check


def _locked(participant: CampaignAgency) -> CampaignAgency:
    """The participant row locked for the change; refuses once the campaign's results are published, since a
    published report quotes these figures and must never change."""
    locked = (
        CampaignAgency.objects.select_for_update(of=("self",))
        .select_related("campaign", "agency")
        .get(pk=participant.pk)
    )
    if locked.campaign.state == CampaignState.PUBLISHED:
        raise ValueError(_("The campaign's results are published: its paper-form records can no longer change."))
    return locked
