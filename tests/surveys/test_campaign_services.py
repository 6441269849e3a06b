"""Campaign services (creation, surveyed agencies and minimum samples, the state machine, closing expired
campaigns, what a campaign accepts) and the officer's decisions on flagged responses.

Some tests here first documented bugs in the services and now guard their fixes."""

from __future__ import annotations

import datetime
import itertools
import uuid

import pytest
from django.utils import timezone, translation

from agencies.models import Agency, AgencyKind
from sipas.models import AuditEntry
from surveys.models import Campaign, CampaignAgency, CampaignState, Channel, FlagRule, Methodology, Response
from surveys.models.campaigns import SampleMode
from surveys.services.campaigns import (
    TRANSITIONS,
    CampaignStateError,
    accepts,
    close_expired_campaigns,
    create_campaign,
    sample_size,
    set_participants,
    transition_campaign,
)
from surveys.services.quality import decide_flagged, flagged_responses
from surveys.services.responses import submit_response
from surveys.tasks import close_expired_campaigns_task

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)
STATES = list(CampaignState.values)
ALLOWED = {(source, target) for source, targets in TRANSITIONS.items() for target in targets}
SAMPLES = {AgencyKind.DEPARTMENT: 2, AgencyKind.COMMUNE: 3}


@pytest.fixture(autouse=True)
def _english_messages():
    """The services' messages are asserted in their English source text; without this the language would be
    whatever an earlier test left active (Vietnamese by default)."""
    with translation.override("en"):
        yield


def new_campaign(root, *, slug="c", start=TODAY - 10 * DAY, end=TODAY + 10 * DAY, **options) -> Campaign:
    options.setdefault("level_samples", SAMPLES)
    return create_campaign(
        year=start.year, name=f"Campaign {slug}", slug=slug, root=root,
        methodology=Methodology.objects.get(code="SIPAS-2017"), period_start=start, period_end=end, **options,
    )  # fmt: skip


def opened(campaign) -> Campaign:
    return transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)


def in_state(campaign, state) -> Campaign:
    Campaign.objects.filter(pk=campaign.pk).update(state=state)
    campaign.refresh_from_db()
    return campaign


def codes(campaign) -> set[str]:
    return set(campaign.participants.values_list("agency__code", flat=True))


def respond(campaign, agency, *, seconds=120, answers=None) -> Response:
    response, _created = submit_response(
        campaign=campaign, agency=agency, answers=answers or {"HL": 4, "TC1": 5}, client_id=uuid.uuid4(),
        channel=Channel.WEB, duration_seconds=seconds,
    )  # fmt: skip
    return response


STRAIGHT_LINED = {code: 5 for code in ("TC1", "TC2", "TC3", "TC4", "TT1", "TT2", "TT3", "TT4", "TT5", "CC1")}


# --- sample_size -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("volume", "margin", "expected"),
    [(400, 0.05, 200), (100, 0.05, 80), (1000, 0.05, 286), (10_000, 0.03, 1000), (1_000_000, 0.05, 400),
     (1, 0.05, 1), (0, 0.05, 0), (-3, 0.05, 0)],
)  # fmt: skip
def test_sample_size_follows_n_equals_n_over_one_plus_n_e_squared_rounded_up(volume, margin, expected):
    assert sample_size(volume, margin) == expected


# --- create_campaign ---------------------------------------------------------------------------------------------


def test_created_campaign_is_a_draft_over_the_levels_with_a_sample(tree):
    campaign = new_campaign(tree["20"])

    assert campaign.state == CampaignState.DRAFT
    assert codes(campaign) == {"20.SNV", "20.STP", "06001", "06004"}


def test_created_campaign_never_surveys_its_root_or_another_province(tree):
    campaign = new_campaign(tree["20"], level_samples={}, agency_kinds=None)

    assert "20" not in codes(campaign)
    assert "07000" not in codes(campaign)
    assert codes(campaign) == {"20.SNV", "20.STP", "06001", "06004"}


def test_agency_kinds_choose_the_levels_surveyed(tree):
    campaign = new_campaign(tree["20"], agency_kinds=[AgencyKind.COMMUNE])

    assert codes(campaign) == {"06001", "06004"}


def test_fixed_minimum_samples_come_from_the_level(tree):
    campaign = new_campaign(tree["20"])

    assert dict(campaign.participants.values_list("agency__code", "min_sample")) == {
        "20.SNV": 2, "20.STP": 2, "06001": 3, "06004": 3,
    }  # fmt: skip


def test_dissolved_agencies_are_not_surveyed_by_a_new_campaign(tree):
    Agency.objects.filter(code="06004").update(active_from=datetime.date(2020, 1, 1), active_to=TODAY - 30 * DAY)

    campaign = new_campaign(tree["20"])

    assert "06004" not in codes(campaign)


def test_a_past_campaign_surveys_the_agencies_active_during_its_period(tree):
    Agency.objects.filter(code="06004").update(
        active_from=datetime.date(2020, 1, 1), active_to=datetime.date(2025, 6, 30)
    )

    campaign = new_campaign(tree["20"], start=datetime.date(2024, 3, 1), end=datetime.date(2024, 5, 31))

    assert "06004" in codes(campaign)


def test_creation_is_audited_with_the_acting_user(tree, actors):
    campaign = new_campaign(tree["20"], acting_user=actors.officer_a)

    entry = AuditEntry.objects.get(action="campaign.created")
    assert (entry.actor, entry.target_type, entry.target_id) == (actors.officer_a, "surveys.campaign", str(campaign.pk))


def test_a_campaign_cannot_end_before_it_starts(tree):
    with pytest.raises(ValueError, match="cannot end before it starts"):
        new_campaign(tree["20"], start=TODAY, end=TODAY - DAY)

    assert not Campaign.objects.exists()


def test_an_unknown_channel_is_refused(tree):
    with pytest.raises(ValueError, match="Unknown channels: fax"):
        new_campaign(tree["20"], channels=["qr", "fax"])

    assert not Campaign.objects.exists()


def test_a_slug_in_use_is_refused_and_nothing_is_added(tree):
    new_campaign(tree["20"], slug="same")

    with pytest.raises(ValueError, match="already used"):
        new_campaign(tree["22"], slug="same", level_samples={AgencyKind.SPECIAL_ZONE: 5})

    assert Campaign.objects.count() == 1
    assert CampaignAgency.objects.count() == 4


# --- set_participants --------------------------------------------------------------------------------------------


def test_volume_mode_computes_the_minimum_from_the_volume(tree):
    campaign = new_campaign(tree["20"], sample_mode=SampleMode.VOLUME)

    set_participants(campaign=campaign, agencies=[tree["06001"]], volumes={"06001": 400})

    participant = campaign.participants.get(agency__code="06001")
    assert (participant.dossier_volume, participant.min_sample) == (400, 200)


def test_volume_mode_falls_back_to_the_level_until_the_volume_is_known(tree):
    campaign = new_campaign(tree["20"], sample_mode=SampleMode.VOLUME)

    assert campaign.participants.get(agency__code="06004").min_sample == 3


def test_volume_mode_uses_the_campaigns_margin_of_error(tree):
    campaign = new_campaign(tree["20"], sample_mode=SampleMode.VOLUME, margin_of_error=0.03)

    set_participants(campaign=campaign, agencies=[tree["06001"]], volumes={"06001": 10_000})

    assert campaign.participants.get(agency__code="06001").min_sample == 1000


def test_fixed_mode_stores_the_volume_but_keeps_the_level_minimum(tree):
    campaign = new_campaign(tree["20"])

    set_participants(campaign=campaign, agencies=[tree["06001"]], volumes={"06001": 400})

    participant = campaign.participants.get(agency__code="06001")
    assert (participant.dossier_volume, participant.min_sample) == (400, 3)


def test_a_volume_of_none_clears_it(tree):
    campaign = new_campaign(tree["20"], sample_mode=SampleMode.VOLUME)
    set_participants(campaign=campaign, agencies=[tree["06001"]], volumes={"06001": 400})

    set_participants(campaign=campaign, agencies=[tree["06001"]], volumes={"06001": None})

    participant = campaign.participants.get(agency__code="06001")
    assert (participant.dossier_volume, participant.min_sample) == (None, 3)


def test_adding_agencies_again_keeps_their_paper_tallies_and_counts_only_new_ones(tree):
    campaign = new_campaign(tree["20"], agency_kinds=[AgencyKind.COMMUNE])
    CampaignAgency.objects.filter(campaign=campaign, agency__code="06001").update(forms_issued=50, forms_returned=40)

    added = set_participants(campaign=campaign, agencies=[tree["06001"], tree["20.SNV"]])

    assert added == 1
    assert campaign.participants.get(agency__code="06001").forms_returned == 40
    assert codes(campaign) == {"06001", "06004", "20.SNV"}


# --- transition_campaign -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_every_allowed_move_is_made_and_audited(tree, actors, source, target):
    campaign = in_state(new_campaign(tree["20"]), source)

    campaign = transition_campaign(campaign=campaign, to_state=target, acting_user=actors.officer_a, note="why")

    assert Campaign.objects.get(pk=campaign.pk).state == target
    entry = AuditEntry.objects.get(action="campaign.state")
    assert entry.actor == actors.officer_a
    assert entry.data == {"previous": source, "state": target, "note": "why"}


@pytest.mark.parametrize(
    ("source", "target"), sorted(pair for pair in itertools.product(STATES, STATES) if pair not in ALLOWED)
)
def test_every_other_move_is_refused_and_changes_nothing(tree, source, target):
    campaign = in_state(new_campaign(tree["20"]), source)

    with pytest.raises(CampaignStateError):
        transition_campaign(campaign=campaign, to_state=target)

    assert Campaign.objects.get(pk=campaign.pk).state == source
    assert not AuditEntry.objects.filter(action="campaign.state").exists()


def test_the_state_machine_is_the_documented_one():
    documented = {
        "draft": {"open"}, "open": {"closed"}, "closed": {"open", "computed"}, "computed": {"computed", "appraised"},
        "appraised": {"computed", "published"}, "published": set(),
    }  # fmt: skip

    assert documented == TRANSITIONS


def test_a_campaign_without_agencies_cannot_open(tree):
    campaign = new_campaign(tree["20"])
    campaign.participants.all().delete()

    with pytest.raises(CampaignStateError, match="at least one surveyed agency"):
        opened(campaign)

    assert Campaign.objects.get(pk=campaign.pk).state == CampaignState.DRAFT


def test_a_refused_move_names_both_states(tree):
    campaign = new_campaign(tree["20"])

    with pytest.raises(CampaignStateError, match="from Draft to Published"):
        transition_campaign(campaign=campaign, to_state=CampaignState.PUBLISHED)


def test_an_unknown_state_is_a_campaign_state_error(tree):
    campaign = new_campaign(tree["20"])

    with pytest.raises(CampaignStateError):
        transition_campaign(campaign=campaign, to_state="bogus")


# --- close_expired_campaigns and its Celery task -----------------------------------------------------------------


def test_open_campaigns_whose_period_ended_are_closed(tree):
    opened(new_campaign(tree["20"], slug="ended", start=TODAY - 30 * DAY, end=TODAY - DAY))
    opened(new_campaign(tree["20"], slug="today", start=TODAY - 30 * DAY, end=TODAY))
    new_campaign(tree["20"], slug="draft", start=TODAY - 30 * DAY, end=TODAY - DAY)

    assert close_expired_campaigns() == ["ended"]

    states = dict(Campaign.objects.values_list("slug", "state"))
    assert states == {"ended": "closed", "today": "open", "draft": "draft"}


def test_closing_an_expired_campaign_is_audited_as_the_system(tree):
    opened(new_campaign(tree["20"], start=TODAY - 30 * DAY, end=TODAY - DAY))

    close_expired_campaigns()

    entry = AuditEntry.objects.filter(action="campaign.state").first()
    assert (entry.actor, entry.data["state"], entry.data["note"]) == (None, "closed", "period ended")


def test_closing_expired_campaigns_twice_closes_nothing_the_second_time(tree):
    opened(new_campaign(tree["20"], start=TODAY - 30 * DAY, end=TODAY - DAY))

    assert close_expired_campaigns() == ["c"]
    assert close_expired_campaigns() == []


def test_closing_uses_the_day_given(tree):
    opened(new_campaign(tree["20"], start=TODAY - 30 * DAY, end=TODAY + 5 * DAY))

    assert close_expired_campaigns(today=TODAY + 5 * DAY) == []
    assert close_expired_campaigns(today=TODAY + 6 * DAY) == ["c"]


def test_the_daily_task_closes_expired_campaigns(tree):
    opened(new_campaign(tree["20"], start=TODAY - 30 * DAY, end=TODAY - DAY))

    result = close_expired_campaigns_task.apply()

    assert result.get() == ["c"]
    assert Campaign.objects.get().state == CampaignState.CLOSED


def test_the_daily_task_has_the_name_the_beat_schedule_uses():
    assert close_expired_campaigns_task.name == "surveys.close_expired_campaigns"


# --- accepts -----------------------------------------------------------------------------------------------------


@pytest.fixture
def open_campaign(tree) -> Campaign:
    return opened(new_campaign(tree["20"], channels=[Channel.WEB, Channel.PAPER]))


def test_an_open_campaign_accepts_online_answers_in_its_period(open_campaign):
    assert accepts(open_campaign, Channel.WEB) is None


def test_a_channel_the_campaign_does_not_allow_is_refused(open_campaign):
    assert accepts(open_campaign, Channel.QR) == "channel"


def test_online_answers_before_the_period_are_not_started(open_campaign):
    assert accepts(open_campaign, Channel.WEB, today=open_campaign.period_start - DAY) == "not_started"


def test_online_answers_after_the_period_are_closed_even_before_the_nightly_close(open_campaign):
    assert accepts(open_campaign, Channel.WEB, today=open_campaign.period_end + DAY) == "closed"


def test_a_draft_does_not_accept_online_answers(tree):
    draft = new_campaign(tree["20"], channels=[Channel.WEB])

    assert accepts(draft, Channel.WEB) == "not_started"


def test_paper_forms_can_be_entered_after_the_campaign_closes(open_campaign):
    closed = transition_campaign(campaign=open_campaign, to_state=CampaignState.CLOSED)

    assert accepts(closed, Channel.PAPER, today=closed.period_end + 10 * DAY) is None
    assert accepts(closed, Channel.WEB) == "closed"


def test_nothing_is_accepted_once_computed(open_campaign):
    computed = in_state(open_campaign, CampaignState.COMPUTED)

    assert accepts(computed, Channel.PAPER) == "closed"
    assert accepts(computed, Channel.WEB) == "closed"


# --- decide_flagged and flagged_responses ------------------------------------------------------------------------


@pytest.fixture
def campaign(tree) -> Campaign:
    return opened(new_campaign(tree["20"]))


def test_flagged_responses_lists_each_response_once_whatever_its_number_of_flags(campaign, tree):
    twice = respond(campaign, tree["06001"], seconds=5, answers=STRAIGHT_LINED)
    respond(campaign, tree["06001"])

    assert set(twice.flags.values_list("rule", flat=True)) == {FlagRule.TOO_FAST, FlagRule.STRAIGHT_LINED}
    assert list(flagged_responses(campaign)) == [twice]
    assert list(flagged_responses(campaign, rule=FlagRule.STRAIGHT_LINED)) == [twice]
    assert list(flagged_responses(campaign, rule=FlagRule.BURST)) == []


def test_excluding_by_rule_touches_only_responses_with_that_rule(campaign, tree, actors):
    fast = respond(campaign, tree["06001"], seconds=5)
    lined = respond(campaign, tree["06001"], answers=STRAIGHT_LINED)
    clean = respond(campaign, tree["06001"])

    count = decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, rule=FlagRule.TOO_FAST)

    assert count == 1
    assert dict(Response.objects.values_list("pk", "excluded")) == {fast.pk: True, lined.pk: False, clean.pk: False}


def test_a_decision_records_its_rule_its_officer_and_its_time(campaign, tree, actors):
    fast = respond(campaign, tree["06001"], seconds=5)

    decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, rule=FlagRule.TOO_FAST)

    fast.refresh_from_db()
    assert (fast.decision_rule, fast.decided_by) == ("too_fast", actors.officer_a)
    assert fast.decided_at is not None


def test_a_decision_is_audited_with_its_count(campaign, tree, actors):
    respond(campaign, tree["06001"], seconds=5)
    respond(campaign, tree["06004"], seconds=5)

    decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, rule=FlagRule.TOO_FAST)

    entry = AuditEntry.objects.get(action="responses.decided")
    assert entry.actor == actors.officer_a
    assert entry.data == {"include": False, "rule": "too_fast", "count": 2}


def test_a_decision_on_one_response_is_recorded_as_manual(campaign, tree, actors):
    first = respond(campaign, tree["06001"], seconds=5)
    second = respond(campaign, tree["06001"], seconds=5)

    count = decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, response_ids=[first.pk])

    assert count == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.excluded, first.decision_rule, second.excluded) == (True, "manual", False)


def test_an_excluded_response_can_be_included_again(campaign, tree, actors):
    fast = respond(campaign, tree["06001"], seconds=5)
    decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, response_ids=[fast.pk])

    decide_flagged(campaign=campaign, include=True, acting_user=actors.officer_a, response_ids=[fast.pk])

    fast.refresh_from_db()
    assert fast.excluded is False
    assert fast.decided_at is not None


def test_a_response_without_flags_cannot_be_excluded(campaign, tree, actors):
    clean = respond(campaign, tree["06001"])

    count = decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, response_ids=[clean.pk])

    assert count == 0
    clean.refresh_from_db()
    assert (clean.excluded, clean.decided_at) == (False, None)


def test_a_decision_never_reaches_another_campaigns_responses(campaign, tree, actors):
    other = opened(new_campaign(tree["22"], slug="qn", level_samples={AgencyKind.SPECIAL_ZONE: 5}))
    foreign = respond(other, tree["07000"], seconds=5)

    by_id = decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, response_ids=[foreign.pk])
    by_rule = decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, rule=FlagRule.TOO_FAST)

    assert by_id == by_rule == 0
    foreign.refresh_from_db()
    assert foreign.excluded is False


def test_including_one_rule_keeps_exclusions_made_under_another_rule(campaign, tree, actors):
    both = respond(campaign, tree["06001"], seconds=5, answers=STRAIGHT_LINED)
    decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, rule=FlagRule.STRAIGHT_LINED)

    decide_flagged(campaign=campaign, include=True, acting_user=actors.officer_a, rule=FlagRule.TOO_FAST)

    both.refresh_from_db()
    assert (both.excluded, both.decision_rule) == (True, "straight_lined")


def test_opening_a_campaign_creates_its_reusable_links(tree):
    from surveys.models import SurveyLink

    campaign = create_campaign(
        year=2026,
        name="Links on opening",
        slug="links-on-opening",
        root=tree["20"],
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 12, 31),
        level_samples={"commune": 10},
    )
    assert not SurveyLink.objects.filter(campaign=campaign).exists()

    transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)

    assert sorted(SurveyLink.objects.filter(campaign=campaign).values_list("agency__code", flat=True)) == [
        "06001",
        "06004",
    ]
