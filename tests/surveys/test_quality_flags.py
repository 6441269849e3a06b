"""Quality checks: each rule flags a response (recorded as a ResponseFlag with its rule), a flagged response is
kept and counted, and only an officer's decision (decide_flagged) excludes it, with an audit entry."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from sipas.models import AuditEntry
from surveys.models import Channel, FlagRule, Response
from surveys.services.quality import BURST_LIMIT, decide_flagged, flagged_responses
from surveys.services.responses import submit_response

ADDRESS = "198.51.100.20"
SCALED = ["TC1", "TC2", "TC3", "TC4", "HL_TC", "TT1", "TT2", "TT3", "TT4", "TT5", "HL_TT", "HL"]


def submit(campaign, agency, answers=None, **options) -> Response:
    options.setdefault("client_id", uuid.uuid4())
    options.setdefault("channel", Channel.WEB)
    response, _created = submit_response(campaign=campaign, agency=agency, answers=answers or {"HL": 4}, **options)
    return response


def rules(response: Response) -> set[str]:
    return set(response.flags.values_list("rule", flat=True))


def same_answer(count: int, value: int = 4) -> dict:
    return {code: value for code in SCALED[:count]}


# --- too fast ---------------------------------------------------------------------------------------------------


def test_response_faster_than_the_campaign_minimum_is_flagged_too_fast(open_campaign, tree):
    response = submit(open_campaign, tree["06001"], duration_seconds=open_campaign.min_seconds - 1)

    assert rules(response) == {FlagRule.TOO_FAST}


def test_response_taking_exactly_the_minimum_is_not_flagged(open_campaign, tree):
    response = submit(open_campaign, tree["06001"], duration_seconds=open_campaign.min_seconds)

    assert rules(response) == set()


def test_response_without_a_known_duration_is_not_flagged_too_fast(open_campaign, tree):
    response = submit(open_campaign, tree["06001"], duration_seconds=None)

    assert rules(response) == set()


def test_too_fast_follows_the_campaign_setting(make_survey_campaign, tree):
    campaign = make_survey_campaign("careful", min_seconds=90)

    response = submit(campaign, tree["06001"], duration_seconds=60)

    assert rules(response) == {FlagRule.TOO_FAST}


# --- straight-lining --------------------------------------------------------------------------------------------


def test_ten_identical_scaled_answers_are_flagged_straight_lined(open_campaign, tree):
    response = submit(open_campaign, tree["06001"], same_answer(10))

    assert rules(response) == {FlagRule.STRAIGHT_LINED}


def test_nine_identical_scaled_answers_are_not_flagged(open_campaign, tree):
    response = submit(open_campaign, tree["06001"], same_answer(9))

    assert rules(response) == set()


def test_one_different_answer_among_many_is_not_straight_lining(open_campaign, tree):
    answers = {**same_answer(12, value=5), "HL": 4}

    response = submit(open_campaign, tree["06001"], answers)

    assert rules(response) == set()


def test_choices_do_not_break_a_straight_line_of_scaled_answers(open_campaign, tree):
    answers = {**same_answer(10, value=1), "DL": "3", "TH": "2", "NC": ["NC3"], "YK": "Tệ"}

    response = submit(open_campaign, tree["06001"], answers)

    assert rules(response) == {FlagRule.STRAIGHT_LINED}


def test_a_varied_complete_sheet_earns_no_flag(open_campaign, tree, varied_answers):
    response = submit(open_campaign, tree["06001"], varied_answers, duration_seconds=180, ip=ADDRESS)

    assert rules(response) == set()


# --- reused invitation ------------------------------------------------------------------------------------------


def test_second_response_on_a_single_use_invitation_is_flagged_reused(open_campaign, tree, dossier_invitation):
    first = submit(open_campaign, tree["06001"], link=dossier_invitation, reject_used_invitation=False)

    second = submit(open_campaign, tree["06001"], link=dossier_invitation, reject_used_invitation=False)

    assert rules(first) == set()
    assert rules(second) == {FlagRule.REUSED_INVITATION}


# --- bursts -----------------------------------------------------------------------------------------------------


def test_eleventh_response_from_one_address_within_ten_minutes_is_flagged_burst(open_campaign, tree):
    responses = [submit(open_campaign, tree["06001"], ip=ADDRESS) for _ in range(BURST_LIMIT + 1)]

    assert BURST_LIMIT == 10
    assert [FlagRule.BURST in rules(r) for r in responses] == [False] * 10 + [True]


def test_eleventh_response_from_one_device_is_flagged_burst_whatever_its_address(open_campaign, tree):
    responses = [
        submit(open_campaign, tree["06001"], ip=f"203.0.113.{i}", device="one-phone") for i in range(BURST_LIMIT + 1)
    ]

    assert [FlagRule.BURST in rules(r) for r in responses] == [False] * 10 + [True]


def test_responses_older_than_ten_minutes_do_not_count_towards_a_burst(open_campaign, tree):
    earlier = timezone.now() - datetime.timedelta(minutes=11)
    for _ in range(BURST_LIMIT):
        submit(open_campaign, tree["06001"], ip=ADDRESS, submitted_at=earlier)

    response = submit(open_campaign, tree["06001"], ip=ADDRESS)

    assert rules(response) == set()


def test_another_address_is_not_caught_in_someone_elses_burst(open_campaign, tree):
    for _ in range(BURST_LIMIT):
        submit(open_campaign, tree["06001"], ip=ADDRESS)

    response = submit(open_campaign, tree["06001"], ip="192.0.2.99")

    assert rules(response) == set()


@pytest.mark.parametrize("channel", [Channel.KIOSK, Channel.API, Channel.PAPER, Channel.ENUMERATOR])
def test_machine_and_entry_channels_are_exempt_from_bursts(open_campaign, tree, channel):
    responses = [submit(open_campaign, tree["06001"], ip=ADDRESS, channel=channel) for _ in range(BURST_LIMIT + 2)]

    assert not any(FlagRule.BURST in rules(r) for r in responses)


# --- outside the period -----------------------------------------------------------------------------------------


def local_time(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_enumerator_entry_dated_before_the_start_is_flagged_outside_period(open_campaign, tree):
    day_before = open_campaign.period_start - datetime.timedelta(days=1)

    response = submit(open_campaign, tree["06004"], channel=Channel.ENUMERATOR, submitted_at=local_time(day_before, 16))

    assert rules(response) == {FlagRule.OUTSIDE_PERIOD}
    assert response.flags.get().detail == day_before.isoformat()


def test_entry_dated_after_the_end_is_flagged_outside_period(open_campaign, tree):
    day_after = open_campaign.period_end + datetime.timedelta(days=1)

    response = submit(open_campaign, tree["06004"], channel=Channel.PAPER, submitted_at=local_time(day_after, 9))

    assert rules(response) == {FlagRule.OUTSIDE_PERIOD}


def test_period_days_are_local_days(open_campaign, tree):
    """00:30 in Hà Nội on the first day is still the previous day in UTC: it is inside the period."""
    response = submit(
        open_campaign, tree["06004"], channel=Channel.PAPER,
        submitted_at=local_time(open_campaign.period_start, 0, 30),
    )  # fmt: skip

    assert rules(response) == set()


# --- honeypot ---------------------------------------------------------------------------------------------------


def test_filled_honeypot_is_flagged(open_campaign, tree):
    response = submit(open_campaign, tree["06001"], honeypot=True)

    assert rules(response) == {FlagRule.HONEYPOT}


def test_several_rules_can_flag_one_response(open_campaign, tree):
    response = submit(open_campaign, tree["06001"], same_answer(10), duration_seconds=5, honeypot=True)

    assert rules(response) == {FlagRule.TOO_FAST, FlagRule.STRAIGHT_LINED, FlagRule.HONEYPOT}


# --- kept until decided -----------------------------------------------------------------------------------------


@pytest.fixture
def three_responses(open_campaign, tree):
    """(too fast, honeypot, clean) responses of commune 06001."""
    return (
        submit(open_campaign, tree["06001"], duration_seconds=3),
        submit(open_campaign, tree["06001"], honeypot=True),
        submit(open_campaign, tree["06001"], duration_seconds=200),
    )


def test_flagged_responses_are_kept_and_counted_until_decided(open_campaign, three_responses):
    assert open_campaign.responses.count() == 3
    assert open_campaign.responses.filter(excluded=False).count() == 3
    assert set(flagged_responses(open_campaign)) == set(three_responses[:2])


def test_excluding_by_rule_excludes_only_responses_flagged_by_that_rule(open_campaign, three_responses, actors):
    too_fast, honeypot, clean = three_responses

    decided = decide_flagged(campaign=open_campaign, include=False, acting_user=actors.officer_a, rule="too_fast")

    assert decided == 1
    too_fast.refresh_from_db()
    assert (too_fast.excluded, too_fast.decision_rule, too_fast.decided_by) == (True, "too_fast", actors.officer_a)
    assert too_fast.decided_at is not None
    assert Response.objects.filter(pk__in=[honeypot.pk, clean.pk], excluded=False, decided_by=None).count() == 2
    assert too_fast.flags.exists()  # the flag stays: reports say why it was excluded


def test_decision_is_audited_with_who_what_and_how_many(open_campaign, three_responses, actors):
    decide_flagged(campaign=open_campaign, include=False, acting_user=actors.officer_a, rule="honeypot")

    entry = AuditEntry.objects.get(action="responses.decided")
    assert (entry.actor, entry.target_type, entry.target_id) == (
        actors.officer_a,
        "surveys.campaign",
        str(open_campaign.pk),
    )
    assert entry.data == {"include": False, "rule": "honeypot", "count": 1}


def test_decision_by_id_records_a_manual_decision(open_campaign, three_responses, actors):
    too_fast, honeypot, _clean = three_responses

    decided = decide_flagged(
        campaign=open_campaign, include=True, acting_user=actors.officer_a, response_ids=[honeypot.pk]
    )

    assert decided == 1
    honeypot.refresh_from_db()
    assert (honeypot.excluded, honeypot.decision_rule, honeypot.decided_by) == (False, "manual", actors.officer_a)
    too_fast.refresh_from_db()
    assert too_fast.decided_by is None


def test_an_excluded_response_can_be_included_again(open_campaign, three_responses, actors):
    too_fast = three_responses[0]
    decide_flagged(campaign=open_campaign, include=False, acting_user=actors.officer_a, rule="too_fast")

    decide_flagged(campaign=open_campaign, include=True, acting_user=actors.officer_a, response_ids=[too_fast.pk])

    too_fast.refresh_from_db()
    assert too_fast.excluded is False
    assert AuditEntry.objects.filter(action="responses.decided").count() == 2


def test_a_decision_by_id_never_touches_an_unflagged_response(open_campaign, three_responses, actors):
    clean = three_responses[2]

    decided = decide_flagged(
        campaign=open_campaign, include=False, acting_user=actors.officer_a, response_ids=[clean.pk]
    )

    assert decided == 0
    clean.refresh_from_db()
    assert clean.excluded is False


def test_a_response_with_two_flags_is_decided_once(open_campaign, tree, actors):
    submit(open_campaign, tree["06001"], duration_seconds=3, honeypot=True)

    decided = decide_flagged(campaign=open_campaign, include=False, acting_user=actors.officer_a)

    assert decided == 1
    assert Response.objects.get().excluded is True


def test_a_decision_in_one_campaign_leaves_another_campaign_alone(open_campaign, make_survey_campaign, tree, actors):
    other = make_survey_campaign("other")
    elsewhere = submit(other, tree["06001"], honeypot=True)
    submit(open_campaign, tree["06001"], honeypot=True)

    decide_flagged(campaign=open_campaign, include=False, acting_user=actors.officer_a, rule="honeypot")

    elsewhere.refresh_from_db()
    assert elsewhere.excluded is False
