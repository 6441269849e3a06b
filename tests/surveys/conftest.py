"""Survey fixtures shared by the tests of tests/surveys/: the SIPAS-2017 version loaded by the migration,
campaigns over province 20 of the `tree` fixture (tests/conftest.py), a reusable link and a single-use
invitation of commune 06001, and a plausible answer sheet.

Names are specific (`open_campaign`, `agency_link`, `dossier_invitation`, ...) so they do not clash with
fixtures other test modules define for themselves."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from surveys.demo import ensure_demo_campaign
from surveys.models import Campaign, CampaignState, Channel, Methodology, SurveyLink
from surveys.services.campaigns import create_campaign, transition_campaign
from surveys.services.links import create_invitation

DOSSIER_CODE = "000.00.06001.H44-250301-0042"

# A plausible, complete answer sheet (PA = 1, so the feedback follow-ups are asked; TH = 2, so XL is not).
# Values vary, so it is not straight-lined.
VARIED_ANSWERS = {
    "TC1": 4, "TC2": 5, "TC3": 3, "TC4": 4, "HL_TC": 4,
    "TT1": 5, "TT2": 4, "TT3": 4, "TT4": 5, "TT5": 3, "HL_TT": 4,
    "CC1": 5, "CC2": 5, "CC3": 4, "CC4": 4, "CC5": 4, "CC6": 5, "HL_CC": 5,
    "KQ1": 4, "KQ2": 4, "KQ3": 5, "HL_KQ": 4,
    "GY1": 3, "PA": "1", "GY2": 4, "GY3": 3, "GY4": 2, "HL_GY": 3,
    "HL": 4, "DL": "1", "TH": "2", "PH": "1", "TN": "1", "NC": ["NC3", "NC5"],
    "GT": "2", "TUOI": "3", "HV": "5", "NN": "4", "DT": "1", "KV": "1", "LV": "3",
    "YK": "Cán bộ nhiệt tình, nên thêm ghế chờ.",
}  # fmt: skip


@pytest.fixture
def sipas_2017(db) -> Methodology:
    """The default questionnaire, as loaded by surveys/migrations/0002_load_sipas_2017.py."""
    return Methodology.objects.get(code="SIPAS-2017")


@pytest.fixture
def open_campaign(tree) -> Campaign:
    """The demo campaign: open, inside its period, over the departments and communes of province 20,
    channels qr/web/paper/enumerator/kiosk/api, with a reusable link per surveyed agency.

    Re-read from the database: ensure_demo_campaign hands back the object it created, still saying "draft"
    (see test_responses_service.test_demo_campaign_is_handed_back_open)."""
    campaign = ensure_demo_campaign(province=tree["20"])
    campaign.refresh_from_db()
    return campaign


@pytest.fixture
def make_survey_campaign(tree, sipas_2017):
    """Build a campaign over province 20 in a given state and period (days relative to today)."""

    def make(
        slug: str,
        *,
        state: str = CampaignState.OPEN,
        starts_in_days: int = -30,
        ends_in_days: int = 60,
        channels=(Channel.QR, Channel.WEB, Channel.PAPER, Channel.ENUMERATOR, Channel.KIOSK),
        methodology: Methodology | None = None,
        **options,
    ) -> Campaign:
        today = timezone.localdate()
        campaign = create_campaign(
            year=today.year, name=f"Khảo sát {slug}", slug=slug, root=tree["20"],
            methodology=methodology or sipas_2017,
            period_start=today + datetime.timedelta(days=starts_in_days),
            period_end=today + datetime.timedelta(days=ends_in_days),
            channels=channels, level_samples={"department": 100, "commune": 150}, **options,
        )  # fmt: skip
        moves = {
            CampaignState.DRAFT: [],
            CampaignState.OPEN: [CampaignState.OPEN],
            CampaignState.CLOSED: [CampaignState.OPEN, CampaignState.CLOSED],
        }[state]
        for to_state in moves:
            campaign = transition_campaign(campaign=campaign, to_state=to_state)
        return campaign

    return make


@pytest.fixture
def agency_link(open_campaign, tree) -> SurveyLink:
    """The reusable (poster) link of commune 06001 in the open campaign."""
    return SurveyLink.objects.get(
        campaign=open_campaign, agency=tree["06001"], service_point__isnull=True, single_use=False
    )


@pytest.fixture
def dossier_invitation(open_campaign, tree) -> SurveyLink:
    """A single-use invitation of commune 06001 for the dossier DOSSIER_CODE."""
    link, _created = create_invitation(campaign=open_campaign, agency=tree["06001"], dossier_code=DOSSIER_CODE)
    return link


@pytest.fixture
def varied_answers() -> dict:
    """A fresh copy of VARIED_ANSWERS (tests may change it)."""
    return {code: list(value) if isinstance(value, list) else value for code, value in VARIED_ANSWERS.items()}
