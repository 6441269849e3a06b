"""Safeguards of the irreversible steps (issue 16, point 10): publishing asks for confirmation on a page that
shows what will be published, warns when the survey period has not ended, and the appraiser of a run is not
the officer who computed it (SEPARATE_APPRAISAL_DUTIES, on by default with DEBUG off)."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.utils import timezone, translation

from agencies.models import Agency, AgencyKind
from reports.models import IndexRun
from reports.services.compute import compute_campaign_index
from reports.services.publication import PublicationError, appraise_run, separate_appraisal_duties
from sipas.models import AuditEntry
from surveys.demo import synthetic_responses
from surveys.models import Campaign, CampaignState, Methodology
from surveys.services.campaigns import create_campaign

PUBLISH = "/index/ls-pub/publish/"
DASHBOARD = "/index/ls-pub/"


def browser(user=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def make_campaign(*, period_end: datetime.date) -> Campaign:
    year = period_end.year
    campaign = create_campaign(
        year=year, name="Khảo sát công bố", slug="ls-pub", root=Agency.objects.get(code="20"),
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=period_end - datetime.timedelta(days=200), period_end=period_end,
        level_samples={AgencyKind.DEPARTMENT: 10, AgencyKind.COMMUNE: 10},
    )  # fmt: skip
    synthetic_responses(campaign=campaign, count=80, seed=7)
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.CLOSED)
    return Campaign.objects.get(pk=campaign.pk)


@pytest.fixture
def appraised(actors) -> IndexRun:
    """Run 1 of a campaign whose period ended last year, computed by nobody (a command) and appraised."""
    campaign = make_campaign(period_end=timezone.localdate().replace(month=1, day=1) - datetime.timedelta(days=1))
    run = compute_campaign_index(campaign=campaign)
    appraise_run(run=run, approved=True, note="Đạt yêu cầu.", acting_user=actors.officer_b)
    return IndexRun.objects.get(pk=run.pk)


def test_the_dashboards_publish_button_does_not_publish(actors, appraised):
    response = browser(actors.officer_a).post(DASHBOARD, {"action": "publish", "run": appraised.pk})

    assert response.status_code == 302
    assert response["Location"] == f"{PUBLISH}?run={appraised.pk}"
    appraised.refresh_from_db()
    assert appraised.state == IndexRun.State.APPRAISED


def test_the_confirmation_page_shows_what_will_be_published(actors, appraised):
    response = browser(actors.officer_a).get(PUBLISH, {"run": appraised.pk})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Publish run #1 of Khảo sát công bố?" in html
    assert f'<dd class="col-sm-8">{appraised.responses_counted}</dd>' in html
    assert "Đạt yêu cầu." in html
    assert {row["level"].key for row in response.context["levels"]} == {"department", "commune"}
    for row in response.context["levels"]:
        ranked = [a for a in row["level"].agencies if a.rank is not None]
        assert list(row["top"]) == list(row["level"].agencies[:3])
        assert row["bottom"] == ranked[3:][-3:]
        for agency in [*row["top"], *row["bottom"]]:
            assert agency.name in html
    assert "before it ends" not in html
    appraised.refresh_from_db()
    assert appraised.state == IndexRun.State.APPRAISED


def test_the_confirmation_warns_when_the_survey_period_has_not_ended(actors):
    campaign = make_campaign(period_end=timezone.localdate() + datetime.timedelta(days=30))
    run = compute_campaign_index(campaign=campaign)
    appraise_run(run=run, approved=True, note="Đạt.", acting_user=actors.officer_b)

    html = browser(actors.officer_a).get(PUBLISH, {"run": run.pk}).content.decode()

    end = campaign.period_end.strftime("%d/%m/%Y")
    assert f"The survey period runs until {end}: these results are published before it ends." in html


def test_the_confirmed_post_publishes(actors, appraised):
    response = browser(actors.officer_a).post(PUBLISH, {"run": appraised.pk}, follow=True)

    appraised.refresh_from_db()
    assert appraised.state == IndexRun.State.PUBLISHED
    assert AuditEntry.objects.filter(action="index.published", actor=actors.officer_a).exists()
    assert "Run 1 published" in response.content.decode()


def test_a_run_not_appraised_gets_no_publish_button(actors, appraised):
    IndexRun.objects.filter(pk=appraised.pk).update(state=IndexRun.State.COMPUTED)

    html = browser(actors.officer_a).get(PUBLISH, {"run": appraised.pk}).content.decode()

    assert "Only an appraised run can be published." in html
    assert "Yes, publish" not in html


@pytest.mark.parametrize("who", ["officer_b", "manager", "staff", "enumerator"])
def test_the_confirmation_is_404_for_anyone_but_the_campaigns_officers(actors, appraised, who):
    client = browser(getattr(actors, who))

    assert client.get(PUBLISH, {"run": appraised.pk}).status_code == 404
    assert client.post(PUBLISH, {"run": appraised.pk}).status_code == 404
    appraised.refresh_from_db()
    assert appraised.state == IndexRun.State.APPRAISED


@pytest.mark.parametrize("query", [{}, {"run": "x"}])
def test_the_confirmation_without_a_run_goes_back_to_the_dashboard(actors, appraised, query):
    response = browser(actors.officer_a).get(PUBLISH, query)

    assert response.status_code == 302
    assert response["Location"] == DASHBOARD


# --- separation of duties --------------------------------------------------------------------------------------


@pytest.fixture
def computed_by_a(actors) -> IndexRun:
    campaign = make_campaign(period_end=timezone.localdate() - datetime.timedelta(days=10))
    return compute_campaign_index(campaign=campaign, acting_user=actors.officer_a)


def test_separate_duties_are_on_by_default_with_debug_off():
    from tests.test_settings import PRODUCTION_KEY, run_python

    code = (
        "import django, os\nos.environ['DJANGO_SETTINGS_MODULE'] = 'sipas.settings'\ndjango.setup()\n"
        "from reports.services.publication import separate_appraisal_duties\nprint(separate_appraisal_duties())"
    )
    production = run_python(code, SECRET_KEY=PRODUCTION_KEY)
    development = run_python(code, DEBUG="true")
    assert production.stdout.split()[-1] == "True", production.stderr
    assert development.stdout.split()[-1] == "False", development.stderr


def test_separate_duties_follow_their_setting(settings):
    settings.SEPARATE_APPRAISAL_DUTIES = False
    assert separate_appraisal_duties() is False
    settings.SEPARATE_APPRAISAL_DUTIES = True
    assert separate_appraisal_duties() is True


def test_the_officer_who_computed_a_run_cannot_appraise_it(actors, computed_by_a, settings):
    settings.SEPARATE_APPRAISAL_DUTIES = True

    with translation.override("en"), pytest.raises(PublicationError, match="You computed this run"):
        appraise_run(run=computed_by_a, approved=True, note="Đạt.", acting_user=actors.officer_a)

    computed_by_a.refresh_from_db()
    assert computed_by_a.state == IndexRun.State.COMPUTED


def test_another_officer_appraises_it(actors, computed_by_a, settings, tree):
    from agencies.services import grant_membership
    from tests.conftest import make_user

    settings.SEPARATE_APPRAISAL_DUTIES = True
    colleague = make_user("colleague")
    grant_membership(user=colleague, agency=tree["20"], role="officer")

    appraise_run(run=computed_by_a, approved=True, note="Đạt.", acting_user=colleague)

    computed_by_a.refresh_from_db()
    assert computed_by_a.state == IndexRun.State.APPRAISED


def test_the_dashboard_shows_the_refusal_to_the_officer_who_computed(actors, computed_by_a, settings):
    settings.SEPARATE_APPRAISAL_DUTIES = True
    data = {"action": "appraise", "run": computed_by_a.pk, "approved": "yes", "note": "Đạt"}

    response = browser(actors.officer_a).post(DASHBOARD, data)

    assert response.status_code == 200
    assert "another officer appraises it" in response.content.decode()
    computed_by_a.refresh_from_db()
    assert computed_by_a.state == IndexRun.State.COMPUTED


def test_without_separate_duties_one_officer_may_do_both(actors, computed_by_a, settings):
    settings.SEPARATE_APPRAISAL_DUTIES = False

    appraise_run(run=computed_by_a, approved=True, note="Đạt.", acting_user=actors.officer_a)

    computed_by_a.refresh_from_db()
    assert computed_by_a.state == IndexRun.State.APPRAISED


# --- action plans are due in the future (point 9) ---------------------------------------------------------------


@pytest.mark.parametrize("due", ["2020-06-30", (timezone.localdate() - datetime.timedelta(days=1)).isoformat()])
def test_an_action_plan_due_in_the_past_is_a_form_error(actors, appraised, due):
    from reports.models import ActionPlan
    from reports.services.publication import publish_run

    publish_run(run=appraised, acting_user=actors.officer_a)
    data = {"action": "add_plan", "criterion": "TC1", "what": "Thêm ghế", "owner": "Văn phòng", "due": due}

    response = browser(actors.manager).post("/index/ls-pub/agency/20.STP/", data)

    assert response.status_code == 200
    assert "A plan is due today or later, not in the past." in response.content.decode()
    assert not ActionPlan.objects.exists()


def test_an_action_plan_due_today_is_recorded(actors, appraised):
    from reports.models import ActionPlan
    from reports.services.publication import publish_run

    publish_run(run=appraised, acting_user=actors.officer_a)
    data = {"action": "add_plan", "criterion": "TC1", "what": "Thêm ghế", "owner": "Văn phòng",
            "due": timezone.localdate().isoformat()}  # fmt: skip

    browser(actors.manager).post("/index/ls-pub/agency/20.STP/", data)

    assert ActionPlan.objects.get().due == timezone.localdate()
