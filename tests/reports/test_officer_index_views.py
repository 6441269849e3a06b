"""The index screens: the officer's dashboard of a campaign (/index/<slug>/) and the agency page
(/index/<slug>/agency/<code>/) that the campaign's officers and the agency's own leaders read.

Data: province 20 of the `tree` fixture (departments 20.SNV and 20.STP, communes 06001 and 06004), a campaign
"ls-2026" filled with synthetic responses, closed and computed; `actors` gives officer_a (province 20, manages
the campaign), officer_b (province 22), the leader of 20.STP ("manager"), staff of 06001 and an enumerator of
06004. Every wrong actor gets a 404 on every page and every POST; anonymous visitors get the login page."""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agencies.models import Agency, AgencyKind
from agencies.rows import AgencyRow
from agencies.services import sync_agencies
from reports.models import ActionPlan, IndexRun
from reports.services.compute import compute_campaign_index
from reports.services.publication import appraise_run, publish_run, record_action_plan
from sipas.models import AuditEntry, Job
from surveys.demo import synthetic_responses
from surveys.models import Campaign, CampaignState, Methodology, Question, Response
from surveys.services.campaigns import create_campaign

LOGIN_URL = "/accounts/login/"
DASHBOARD = "/index/ls-2026/"
DUE = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()  # a plan is due today or later
STP_PAGE = "/index/ls-2026/agency/20.STP/"
SNV_PAGE = "/index/ls-2026/agency/20.SNV/"
SAMPLES = {AgencyKind.DEPARTMENT: 10, AgencyKind.COMMUNE: 10}
WRONG_ACTORS = ("officer_b", "manager", "staff", "enumerator")  # the manager leads 20.STP, not the province


def browser(user=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def make_campaign(slug: str, year: int, *, responses: int = 80, state=CampaignState.CLOSED, **options) -> Campaign:
    """A campaign of province 20 in `year`, with synthetic responses, in `state` (not yet computed)."""
    options.setdefault("level_samples", SAMPLES)
    campaign = create_campaign(
        year=year, name=f"Khảo sát SIPAS {year}", slug=slug, root=Agency.objects.get(code="20"),
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31),
        target_percent=90.0, thresholds=[80.0], **options,
    )  # fmt: skip
    synthetic_responses(campaign=campaign, count=responses, seed=year)
    campaign.state = state
    campaign.save(update_fields=["state"])
    return campaign


def compute(campaign: Campaign) -> IndexRun:
    return compute_campaign_index(campaign=Campaign.objects.get(pk=campaign.pk))


def publish(run: IndexRun, user=None) -> IndexRun:
    appraise_run(run=run, approved=True, note="Đạt yêu cầu.", acting_user=user)
    return publish_run(run=IndexRun.objects.get(pk=run.pk), acting_user=user)


def comment(campaign: Campaign, agency: Agency, text, *, day: int = 1, excluded: bool = False) -> Response:
    return Response.objects.create(
        campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel="web", answers={"HL": 4, "YK": text},
        submitted_at=datetime.datetime(campaign.year, 3, day, 9, tzinfo=datetime.UTC), excluded=excluded,
    )  # fmt: skip


def text_of(response) -> str:
    return response.content.decode()


def plain(response) -> str:
    """The page's text without tags and with single spaces, to find sentences split by markup."""
    return " ".join(re.sub(r"<[^>]+>", " ", text_of(response)).split())


@pytest.fixture
def campaign(actors) -> Campaign:
    return make_campaign("ls-2026", 2026)


@pytest.fixture
def run(campaign) -> IndexRun:
    return compute(campaign)


@pytest.fixture
def published(run) -> IndexRun:
    return publish(run)


@pytest.fixture
def history(actors, tree) -> dict:
    """A published 2025 campaign in which commune 06002 (merged into 06001 since) was surveyed, an action plan
    of 20.STP for its weakest criterion, and the 2026 campaign computed after it."""
    sync_agencies(
        [AgencyRow("06002", "Xã Hợp Thành", AgencyKind.COMMUNE, "xã", "20", active_to=datetime.date(2025, 6, 30),
                   successor_code="06001")]
    )  # fmt: skip
    earlier = make_campaign("ls-2025", 2025)
    earlier_run = publish(compute(earlier))
    record_action_plan(
        campaign=earlier, agency=tree["20.STP"], criterion="TT5", action="Rút ngắn thời gian trả kết quả",
        owner="Văn phòng Sở", due=datetime.date(2025, 12, 31), acting_user=actors.manager,
    )  # fmt: skip
    current = make_campaign("ls-2026", 2026)
    return {"earlier": earlier, "earlier_run": earlier_run, "campaign": current, "run": compute(current)}


# --- the dashboard: who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [None, {"action": "compute"}, {"action": "publish", "run": "1"}])
def test_anonymous_visitor_of_the_dashboard_is_sent_to_the_login_page(run, data):
    client = browser()
    response = client.get(DASHBOARD) if data is None else client.post(DASHBOARD, data)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={DASHBOARD}"
    assert not Job.objects.exists()


def test_dashboard_is_404_for_anyone_but_the_campaigns_officer(actors, run):
    for who in WRONG_ACTORS:
        assert browser(getattr(actors, who)).get(DASHBOARD).status_code == 404, who


def test_compute_post_by_a_wrong_actor_is_404_and_queues_nothing(actors, run):
    for who in WRONG_ACTORS:
        assert browser(getattr(actors, who)).post(DASHBOARD, {"action": "compute"}).status_code == 404, who
    assert not Job.objects.exists()


def test_appraisal_post_by_a_wrong_actor_is_404_and_changes_nothing(actors, run):
    data = {"action": "appraise", "run": run.pk, "approved": "yes", "note": "OK"}
    for who in WRONG_ACTORS:
        assert browser(getattr(actors, who)).post(DASHBOARD, data).status_code == 404, who
    run.refresh_from_db()
    assert run.state == IndexRun.State.COMPUTED
    assert not run.appraisals.exists()


def test_publish_post_by_a_wrong_actor_is_404_and_changes_nothing(actors, run):
    appraise_run(run=run, approved=True, note="Đạt", acting_user=actors.officer_a)
    for who in WRONG_ACTORS:
        assert browser(getattr(actors, who)).post(DASHBOARD, {"action": "publish", "run": run.pk}).status_code == 404
    run.refresh_from_db()
    assert run.state == IndexRun.State.APPRAISED


def test_unknown_campaign_is_404_for_its_officer(actors):
    assert browser(actors.officer_a).get("/index/no-such-campaign/").status_code == 404


# --- the dashboard: what it shows ------------------------------------------------------------------------------


def test_dashboard_shows_what_the_latest_run_counted_and_links_to_flags_and_campaign(actors, campaign):
    Response.objects.filter(pk=Response.objects.filter(campaign=campaign).first().pk).update(excluded=True)
    compute(campaign)

    response = browser(actors.officer_a).get(DASHBOARD)

    assert response.status_code == 200
    text = plain(response)
    assert "Counted by run #1:" in text
    assert "Responses: 80" in text
    assert "Excluded: 1" in text
    assert "Counted: 79" in text
    assert "Agencies with enough responses: 4 of 4" in text
    assert 'href="/campaigns/ls-2026/flags/"' in text_of(response)
    assert 'href="/campaigns/ls-2026/"' in text_of(response)


def test_dashboard_shows_the_runs_counts_not_responses_stored_since(actors, run, campaign, tree):
    comment(campaign, tree["20.STP"], "Sau lần tính")  # stored after run 1: the campaign page counts it live

    text = plain(browser(actors.officer_a).get(DASHBOARD))

    assert "Responses: 80" in text
    assert "Counted: 80" in text


def test_dashboard_without_a_run_shows_no_counts_but_links_to_the_progress_per_agency(actors, campaign):
    response = browser(actors.officer_a).get(DASHBOARD)

    assert "Responses:" not in plain(response)
    assert 'href="/campaigns/ls-2026/"' in text_of(response)


def test_dashboard_without_a_run_says_the_index_is_not_computed(actors, campaign):
    response = browser(actors.officer_a).get(DASHBOARD)

    assert "The index has not been computed yet." in text_of(response)
    assert "Headline figures" not in text_of(response)


def test_dashboard_lists_every_run_newest_first_with_short_checksum(actors, run, campaign):
    second = compute(campaign)

    html = text_of(browser(actors.officer_a).get(DASHBOARD))

    assert html.index("#2</th>") < html.index("#1</th>")
    assert f">{second.checksum[:12]}</code>" in html
    assert f"{second.checksum[:13]}</code>" not in html


def test_an_interim_run_is_marked_and_cannot_be_appraised(actors):
    campaign = make_campaign("ls-2026", 2026, state=CampaignState.OPEN)
    compute(campaign)

    html = text_of(browser(actors.officer_a).get(DASHBOARD))

    assert "Interim" in html
    assert "interim run of an open campaign" in html
    assert 'id="appraisal-form"' not in html
    assert "Compute an interim index" in html


def test_headline_figures_per_level_show_sipas_ranked_counts_thresholds_and_drivers(actors, run):
    groups = {g.key: g.figures for g in run.group_results.all()}

    response = browser(actors.officer_a).get(DASHBOARD)

    text = plain(response)
    for key, title in [("campaign", "Whole campaign"), ("department", "Province-level agencies"),
                       ("commune", "Communes, wards and special zones")]:  # fmt: skip
        assert title in text
        assert f"{groups[key]['sipas']:.2f}" in text
    assert "Agencies ranked 2 of 2" in text
    assert f"Agencies at or above 80 {groups['campaign']['thresholds']['80']}" in text
    drivers = sorted(groups["campaign"]["drivers"].items(), key=lambda item: -(item[1]["r"] or -2))
    strongest = Methodology.objects.get(code="SIPAS-2017").factors.get(code=drivers[0][0]).name_en
    weakest = Methodology.objects.get(code="SIPAS-2017").factors.get(code=drivers[-1][0]).name_en
    driver_table = text[text.index("What moves overall satisfaction") :]
    assert driver_table.index(strongest) < driver_table.index(weakest)


def test_ranking_lists_ranked_agencies_by_rank_then_unranked_with_not_enough_responses(actors, run):
    run.agency_results.filter(agency__code="20.SNV").update(rank=None, enough_sample=False)
    run.agency_results.filter(agency__code="20.STP").update(rank=1)

    html = text_of(browser(actors.officer_a).get("/index/ls-2026/ranking/department/"))

    assert html.index("Sở Tư pháp") < html.index("Sở Nội vụ")
    after_snv = html[html.index("Sở Nội vụ") :]
    assert "not enough responses" in after_snv[:400]
    assert 'href="/index/ls-2026/agency/20.SNV/"' in html
    assert 'href="/index/ls-2026/agency/20.STP/"' in html
    assert "Sở Nội vụ" not in text_of(browser(actors.officer_a).get(DASHBOARD)).split('id="level-department"')[1][:4000]


def test_the_dashboard_shows_the_top_and_bottom_of_a_ranking_and_links_the_whole_ranking(actors, run, monkeypatch):
    from reports import officer_views

    monkeypatch.setattr(officer_views, "DASHBOARD_SHOWN", 1)
    run.agency_results.filter(agency__code="20.SNV").update(rank=1)
    run.agency_results.filter(agency__code="20.STP").update(rank=2)
    sync_agencies([AgencyRow("06009", "Xã Giữa", AgencyKind.COMMUNE, "xã", "20")])
    middle = run.agency_results.get(agency__code="20.STP")
    middle.pk, middle.agency, middle.rank = None, Agency.objects.get(code="06009"), 2
    middle.save()
    run.agency_results.filter(agency__code="20.STP").update(rank=3)

    html = text_of(browser(actors.officer_a).get(DASHBOARD))

    department = html[html.index('id="level-department"') : html.index('id="level-commune"')]
    assert "Sở Nội vụ" in department and "Sở Tư pháp" in department  # the top and the bottom
    assert "Xã Giữa" not in department  # the middle of the ranking is on the ranking's own pages
    assert "1 more ranked agency" in department
    assert 'href="/index/ls-2026/ranking/department/"' in department


def test_the_whole_ranking_is_shown_a_page_at_a_time(actors, run, monkeypatch):
    from reports import officer_views

    monkeypatch.setattr(officer_views, "RANKING_PAGE", 1)
    run.agency_results.filter(agency__code="20.SNV").update(rank=1)
    run.agency_results.filter(agency__code="20.STP").update(rank=2)
    client = browser(actors.officer_a)

    first, second = (
        text_of(client.get(f"/index/ls-2026/ranking/department/?page={n}")).split("<tbody>")[1].split("</tbody>")[0]
        for n in (1, 2)
    )

    assert "Sở Nội vụ" in first and "Sở Tư pháp" not in first
    assert "Sở Tư pháp" in second and "Sở Nội vụ" not in second
    page = text_of(client.get("/index/ls-2026/ranking/department/?page=2"))
    assert "Page 2 of 2" in page
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 1


@pytest.mark.parametrize("who", WRONG_ACTORS)
def test_the_whole_ranking_is_a_404_for_the_wrong_actors(actors, run, who):
    assert browser(getattr(actors, who)).get("/index/ls-2026/ranking/department/").status_code == 404


def test_a_level_the_run_has_not_is_a_404(actors, run):
    assert browser(actors.officer_a).get("/index/ls-2026/ranking/district/").status_code == 404


def test_the_whole_ranking_query_count_is_pinned(actors, run, django_assert_num_queries):
    client = browser(actors.officer_a)
    client.get("/index/ls-2026/ranking/commune/")

    # The session, the user, the officer's scope, the campaign, its latest run, the run's results and its groups.
    with django_assert_num_queries(7):
        client.get("/index/ls-2026/ranking/commune/")


def test_dashboard_embeds_the_server_rendered_charts(actors, run):
    html = text_of(browser(actors.officer_a).get(DASHBOARD))

    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 3  # factors + 2 levels
    assert "SIPAS per agency: Communes, wards and special zones" in html
    assert "with its 95% interval" in html and "95%%" not in html


def test_dashboard_queries_do_not_grow_with_agencies(actors, run, django_assert_num_queries):
    client = browser(actors.officer_a)
    with CaptureQueriesContext(connection) as small:
        client.get(DASHBOARD)
    sync_agencies([AgencyRow(f"0610{i}", f"Xã Mới {i}", AgencyKind.COMMUNE, "xã", "20") for i in range(6)])
    bigger = make_campaign("ls-2027", 2027, responses=300)
    compute(bigger)

    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get("/index/ls-2027/")

    assert response.status_code == 200
    assert bigger.participants.count() == 10


def test_dashboard_query_count_is_pinned(actors, run, django_assert_num_queries):
    client = browser(actors.officer_a)
    client.get(DASHBOARD)  # session and language settle

    # No response is counted: the runs, pending jobs, the latest run's results, groups, appraisals, the versions,
    # their factors and questions, besides the session, the user and the campaign.
    with django_assert_num_queries(14):  # ... and the run's document jobs and the province's templates
        client.get(DASHBOARD)


# --- computing ------------------------------------------------------------------------------------------------


def test_compute_button_queues_a_job_runs_it_and_redirects_to_its_page(
    actors, campaign, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = browser(actors.officer_a).post(DASHBOARD, {"action": "compute"})

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}/"
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert job.created_by == actors.officer_a
    run = campaign.runs.get()
    assert run.computed_by == actors.officer_a
    assert job.result["run_number"] == run.number == 1


def test_compute_asked_for_json_answers_202_with_the_jobs_status_url(actors, campaign):
    response = browser(actors.officer_a).post(DASHBOARD, {"action": "compute"}, HTTP_ACCEPT="application/json")

    job = Job.objects.get()
    assert response.status_code == 202
    assert response.json() == {"job": job.pk, "status_url": f"/jobs/{job.pk}/"}


def test_a_computation_under_way_is_shown_with_its_progress_for_polling(actors, campaign):
    job = Job.objects.create(
        kind="reports.compute_index", created_by=actors.officer_a, params={"campaign_id": campaign.pk},
        state=Job.State.RUNNING, progress_done=1, progress_total=3,
    )  # fmt: skip

    html = text_of(browser(actors.officer_a).get(DASHBOARD))

    assert f'data-job-url="/jobs/{job.pk}/"' in html
    assert '<progress max="3" value="1"' in html
    assert "js/job_progress.js" in html


def test_compute_is_not_offered_for_a_draft_and_a_post_queues_nothing(actors):
    make_campaign("ls-2026", 2026, responses=0, state=CampaignState.DRAFT)
    client = browser(actors.officer_a)

    assert 'name="action" value="compute"' not in text_of(client.get(DASHBOARD))
    response = client.post(DASHBOARD, {"action": "compute"}, follow=True)
    assert "cannot be computed" in text_of(response)
    assert not Job.objects.exists()


def test_unknown_action_changes_nothing(actors, run):
    response = browser(actors.officer_a).post(DASHBOARD, {"action": "delete-everything"}, follow=True)

    assert "This action is not available here." in text_of(response)
    assert not Job.objects.exists()


# --- appraisal and publication ----------------------------------------------------------------------------------


def test_approving_the_latest_run_appraises_it_and_offers_publication(actors, run, campaign):
    client = browser(actors.officer_a)
    response = client.post(DASHBOARD, {"action": "appraise", "run": run.pk, "approved": "yes", "note": "Đạt"})

    assert response.status_code == 302
    run.refresh_from_db()
    campaign.refresh_from_db()
    assert run.state == IndexRun.State.APPRAISED
    assert campaign.state == CampaignState.APPRAISED
    appraisal = run.appraisals.get()
    assert (appraisal.approved, appraisal.note, appraisal.appraised_by) == (True, "Đạt", actors.officer_a)
    html = text_of(client.get(DASHBOARD))
    assert 'action="/index/ls-2026/publish/"' in html  # publishing asks for confirmation on its own page
    assert 'id="appraisal-form"' not in html


def test_rejecting_a_run_marks_it_rejected(actors, run):
    browser(actors.officer_a).post(DASHBOARD, {"action": "appraise", "run": run.pk, "approved": "no", "note": "Sai"})

    run.refresh_from_db()
    assert run.state == IndexRun.State.REJECTED


def test_appraisal_without_a_note_is_a_form_error(actors, run):
    response = browser(actors.officer_a).post(DASHBOARD, {"action": "appraise", "run": run.pk, "approved": "yes"})

    assert response.status_code == 200
    assert "This field is required." in text_of(response)
    run.refresh_from_db()
    assert run.state == IndexRun.State.COMPUTED


def test_appraising_an_older_run_shows_the_services_refusal_as_a_form_error(actors, run, campaign):
    compute(campaign)
    data = {"action": "appraise", "run": run.pk, "approved": "yes", "note": "Đạt"}

    response = browser(actors.officer_a).post(DASHBOARD, data)

    assert response.status_code == 200
    assert "A newer run exists: appraise the latest run." in text_of(response)
    run.refresh_from_db()
    assert run.state == IndexRun.State.COMPUTED


def test_a_run_of_another_campaign_cannot_be_appraised_from_this_dashboard(actors, run, tree):
    other = make_campaign("ls-2027", 2027, responses=20)
    other_run = compute(other)
    data = {"action": "appraise", "run": other_run.pk, "approved": "yes", "note": "Đạt"}

    assert browser(actors.officer_a).post(DASHBOARD, data).status_code == 404
    other_run.refresh_from_db()
    assert other_run.state == IndexRun.State.COMPUTED


def test_publishing_an_appraised_run_publishes_it_and_audits_it(actors, run, campaign):
    appraise_run(run=run, approved=True, note="Đạt", acting_user=actors.officer_a)

    client = browser(actors.officer_a)
    client.post(DASHBOARD, {"action": "publish", "run": run.pk}, follow=True)  # the confirmation page
    response = client.post("/index/ls-2026/publish/", {"run": run.pk}, follow=True)

    run.refresh_from_db()
    assert run.state == IndexRun.State.PUBLISHED
    assert run.published_by == actors.officer_a
    assert AuditEntry.objects.filter(action="index.published", target_id=str(run.pk)).exists()
    html = text_of(response)
    assert "Run 1 published" in html
    assert "never change" in html
    assert 'name="action" value="compute"' not in html


def test_a_published_run_shows_its_appraisal_even_when_its_author_is_gone(actors, published):
    response = browser(actors.officer_a).get(DASHBOARD)  # appraised and published with acting_user=None

    assert response.status_code == 200
    text = plain(response)
    assert "Approved by — on" in text
    assert "Đạt yêu cầu." in text
    assert "Published on" in text


def test_publishing_a_run_not_appraised_is_refused_with_a_message(actors, run):
    response = browser(actors.officer_a).post(DASHBOARD, {"action": "publish", "run": run.pk}, follow=True)

    assert "Only an appraised run can be published." in text_of(response)
    run.refresh_from_db()
    assert run.state == IndexRun.State.COMPUTED


# --- the agency page: who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [None, {"action": "add_plan", "criterion": "TC1"}])
def test_anonymous_visitor_of_an_agency_page_is_sent_to_the_login_page(published, data):
    client = browser()
    response = client.get(STP_PAGE) if data is None else client.post(STP_PAGE, data)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={STP_PAGE}"


AGENCY_PAGE_WRONG_ACTORS = [
    ("officer_b", STP_PAGE), ("staff", STP_PAGE), ("enumerator", STP_PAGE), ("manager", SNV_PAGE),
    ("staff", "/index/ls-2026/agency/06001/"), ("enumerator", "/index/ls-2026/agency/06004/"),
]  # fmt: skip


def test_agency_page_is_404_for_anyone_but_the_officer_and_the_agencys_leader(actors, published):
    for who, url in AGENCY_PAGE_WRONG_ACTORS:
        assert browser(getattr(actors, who)).get(url).status_code == 404, (who, url)


def test_action_plan_post_by_a_wrong_actor_is_404_and_records_nothing(actors, published):
    data = {"action": "add_plan", "criterion": "TC1", "what": "Thêm ghế", "owner": "Văn phòng", "due": DUE}
    for who, url in AGENCY_PAGE_WRONG_ACTORS:
        assert browser(getattr(actors, who)).post(url, data).status_code == 404, (who, url)
    assert not ActionPlan.objects.exists()


def test_follow_up_post_by_a_wrong_actor_is_404_and_changes_nothing(actors, published, tree):
    plan = record_action_plan(
        campaign=published.campaign, agency=tree["20.STP"], criterion="TT5", action="Rút ngắn", owner="Sở",
        due=datetime.date(2026, 12, 31), acting_user=actors.manager,
    )  # fmt: skip
    data = {"action": "update_plan", "plan": plan.pk, "status": "done", "follow_up": "Xong"}
    for who in ("officer_b", "staff", "enumerator"):
        assert browser(getattr(actors, who)).post(STP_PAGE, data).status_code == 404, who
    plan.refresh_from_db()
    assert (plan.status, plan.follow_up) == ("planned", "")


def test_an_officer_who_does_not_manage_the_campaign_is_404_even_inside_his_own_agency(actors, published, tree):
    from agencies.services import grant_membership

    grant_membership(user=actors.officer_b, agency=tree["20.STP"], role="officer")  # officer of STP, not of 20

    assert browser(actors.officer_b).get(STP_PAGE).status_code == 404


def test_an_agency_the_campaign_does_not_survey_is_404(actors, published):
    assert browser(actors.officer_a).get("/index/ls-2026/agency/20/").status_code == 404
    assert browser(actors.officer_a).get("/index/ls-2026/agency/NOPE/").status_code == 404


def test_the_leader_reads_the_published_results_of_his_agency(actors, published):
    response = browser(actors.manager).get(STP_PAGE)

    assert response.status_code == 200
    result = published.agency_results.get(agency__code="20.STP")
    assert f"{result.sipas:.2f}" in text_of(response)
    assert "not published yet" not in text_of(response)


def test_before_publication_the_leader_gets_a_polite_page_without_figures(actors, run):
    response = browser(actors.manager).get(STP_PAGE)

    assert response.status_code == 200
    assert "The results of this campaign are not published yet." in text_of(response)
    result = run.agency_results.get(agency__code="20.STP")
    assert f"{result.sipas:.2f}" not in text_of(response)
    assert "Free comments" not in text_of(response)


def test_before_publication_a_leaders_action_plan_is_not_recorded(actors, run):
    data = {"action": "add_plan", "criterion": "TC1", "what": "Thêm ghế", "owner": "Văn phòng", "due": DUE}

    response = browser(actors.manager).post(STP_PAGE, data)

    assert "not published yet" in text_of(response)
    assert not ActionPlan.objects.exists()


def test_the_officer_sees_the_latest_unpublished_run_marked_as_such(actors, run):
    response = browser(actors.officer_a).get(STP_PAGE)

    assert response.status_code == 200
    assert "These figures are not published yet" in text_of(response)
    assert f"{run.agency_results.get(agency__code='20.STP').sipas:.2f}" in text_of(response)


def test_the_officer_without_any_run_is_told_to_compute(actors, campaign):
    response = browser(actors.officer_a).get(STP_PAGE)

    assert "has not been computed yet" in text_of(response)
    assert 'href="/index/ls-2026/"' in text_of(response)


# --- the agency page: what it shows -------------------------------------------------------------------------------


def test_agency_page_shows_sipas_and_overall_satisfaction_with_their_intervals(actors, published):
    result = published.agency_results.get(agency__code="20.STP")
    low, high = result.figures["intervals"]["sipas"]

    text = plain(browser(actors.manager).get(STP_PAGE))

    assert f"SIPAS {result.sipas:.2f} 95% interval {low:.2f} – {high:.2f}" in text
    assert f"Overall satisfaction {result.figures['hl']:.2f}" in text


def test_factor_table_shows_evaluation_satisfaction_and_interval(actors, published):
    result = published.agency_results.get(agency__code="20.STP")
    factor = result.figures["factors"]["CC"]
    low, high = result.figures["intervals"]["satisfaction"]["CC"]

    text = plain(browser(actors.manager).get(STP_PAGE))

    assert (
        f"Civil servant handling the case {factor['evaluation']:.2f} {factor['satisfaction']:.2f} {low:.2f} – {high:.2f}"
        in text
    )


def test_criterion_table_shows_the_question_text_index_interval_and_answers(actors, published):
    result = published.agency_results.get(agency__code="20.STP")
    question = Question.objects.get(methodology__code="SIPAS-2017", code="TT5")
    low, high = result.figures["intervals"]["criteria"]["TT5"]

    text = plain(browser(actors.manager).get(STP_PAGE))

    expected = f"TT5 {question.text_en}"
    assert expected in text
    row = text[text.index(expected) + len(expected) :][:80]
    assert f"{result.figures['criteria']['TT5']:.2f} {low:.2f} – {high:.2f} {result.counts['a:TT5']}" in row


def test_the_three_weakest_criteria_are_highlighted(actors, published):
    criteria = published.agency_results.get(agency__code="20.STP").figures["criteria"]
    weakest = sorted((code for code, value in criteria.items() if value is not None), key=lambda c: criteria[c])[:3]

    html = text_of(browser(actors.manager).get(STP_PAGE))

    highlighted = re.findall(
        r'<tr class="table-warning">\s*<th scope="row" class="fw-normal"><span class="fw-semibold">(\w+)</span>', html
    )
    assert sorted(highlighted) == sorted(weakest)
    assert html.count('badge text-bg-warning">weakest</span>') == 3


def test_reported_facts_and_expectations_are_shown_with_shares(actors, published):
    result = published.agency_results.get(agency__code="20.STP")
    late = result.figures["facts"]["TH"]["3"]

    text = plain(browser(actors.manager).get(STP_PAGE))

    assert "Reported facts" in text
    assert f"{late:.2f}" in text
    best = max(result.figures["expectations"].items(), key=lambda item: item[1] or 0)
    expectations = text[text.index("What respondents most want improved") :]
    assert f"{best[1]:.2f}" in expectations[:600]


def test_an_agency_without_responses_shows_no_data_never_zero(actors, campaign):
    Response.objects.filter(campaign=campaign, agency__code="06004").delete()
    compute(campaign)

    dashboard_text = plain(browser(actors.officer_a).get("/index/ls-2026/ranking/commune/"))
    response = browser(actors.officer_a).get("/index/ls-2026/agency/06004/")

    assert "Phường Đông Kinh not enough responses 0 — —" in dashboard_text
    text = plain(response)
    assert response.status_code == 200
    assert "SIPAS — 95% interval —" in text
    assert "Not ranked not enough responses" in text
    assert "Weakest criteria" not in text
    assert " 0.00 " not in text


def test_leader_page_embeds_the_factor_chart(actors, published):
    html = text_of(browser(actors.manager).get(STP_PAGE))

    assert "Evaluation and satisfaction per factor: Sở Tư pháp" in html
    assert 'role="img"' in html


def test_free_comments_are_newest_first_escaped_and_only_counted_ones_of_this_agency(actors, campaign, tree):
    comment(campaign, tree["20.STP"], "Cán bộ <b>nhiệt tình</b>", day=2)
    comment(campaign, tree["20.STP"], "Chờ lâu quá", day=9)
    comment(campaign, tree["20.STP"], "Bị loại", day=10, excluded=True)
    comment(campaign, tree["20.SNV"], "Của Sở Nội vụ", day=11)
    comment(campaign, tree["20.STP"], "", day=12)
    publish(compute(campaign))

    html = text_of(browser(actors.manager).get(STP_PAGE))

    comments = html[html.index('id="comments"') :]
    assert comments.index("Chờ lâu quá") < comments.index("Cán bộ")
    assert "Cán bộ &lt;b&gt;nhiệt tình&lt;/b&gt;" in comments
    assert "<b>nhiệt tình</b>" not in html
    assert "Bị loại" not in html
    assert "Của Sở Nội vụ" not in html
    assert "2 comments from counted responses" in plain(browser(actors.manager).get(STP_PAGE))


def test_free_comments_are_paginated(actors, campaign, tree):
    for day in range(1, 23):
        comment(campaign, tree["20.STP"], f"Góp ý số {day:02d}", day=day)
    publish(compute(campaign))
    client = browser(actors.manager)

    first, second = text_of(client.get(STP_PAGE)), text_of(client.get(STP_PAGE + "?page=2"))

    assert "Góp ý số 22" in first and "Góp ý số 03" in first and "Góp ý số 02" not in first
    assert "Góp ý số 02" in second and "Góp ý số 01" in second and "Góp ý số 22" not in second
    assert 'href="?page=2#comments"' in first


def test_change_and_rank_change_against_the_previous_campaign_are_shown(actors, history):
    result = history["run"].agency_results.get(agency__code="20.STP")
    change = result.figures["change"]

    text = plain(browser(actors.officer_a).get(STP_PAGE))

    assert f"Compared with Khảo sát SIPAS 2025: SIPAS was {change['previous_sipas']:.2f}" in text
    assert change["previous_campaign"] == "ls-2025"


def test_trend_lists_earlier_published_campaigns_and_the_units_the_agency_absorbed(actors, history):
    earlier = history["earlier_run"].agency_results.get(agency__code="06002")

    text = plain(browser(actors.officer_a).get("/index/ls-2026/agency/06001/"))

    trend = text[text.index("Trend across campaigns") : text.index("Action plans")]
    assert "Khảo sát SIPAS 2025" in trend
    assert "as Xã Hợp Thành (merged into this agency)" in trend
    assert f"{earlier.sipas:.2f}" in trend
    assert trend.index("Khảo sát SIPAS 2025") < trend.index("Khảo sát SIPAS 2026")


def test_a_previous_campaigns_action_plan_shows_whether_its_criterion_moved(actors, history):
    now = history["run"].agency_results.get(agency__code="20.STP").figures
    moved = now["change"]["criteria"]["TT5"]
    sign = "+" if moved > 0 else "−"

    text = plain(browser(actors.officer_a).get(STP_PAGE))

    plans = text[text.index("Plans of earlier campaigns") :]
    assert "Rút ngắn thời gian trả kết quả" in plans
    assert f"{sign}{abs(moved):.2f}" in plans
    assert ("improved" if moved > 0 else "worse") in plans


# --- action plans --------------------------------------------------------------------------------------------------


def test_the_leader_records_an_action_plan_for_a_criterion(actors, published):
    data = {"action": "add_plan", "criterion": "CC1", "what": "Tập huấn giao tiếp", "owner": "Phó Giám đốc",
            "due": DUE}  # fmt: skip

    response = browser(actors.manager).post(STP_PAGE, data)

    assert response.status_code == 302
    assert response["Location"] == STP_PAGE + "#action-plans"
    plan = ActionPlan.objects.get()
    assert (plan.agency.code, plan.criterion, plan.owner, plan.created_by) == (
        "20.STP",
        "CC1",
        "Phó Giám đốc",
        actors.manager,
    )
    assert plan.campaign.slug == "ls-2026"
    assert "Tập huấn giao tiếp" in text_of(browser(actors.manager).get(STP_PAGE))


def test_the_officer_may_record_an_action_plan_too(actors, run):
    data = {"action": "add_plan", "criterion": "TC2", "what": "Thêm máy", "owner": "Văn phòng", "due": DUE}

    browser(actors.officer_a).post(STP_PAGE, data)

    assert ActionPlan.objects.get().created_by == actors.officer_a


def test_an_action_plan_without_an_owner_or_with_an_unknown_criterion_is_a_form_error(actors, published):
    client = browser(actors.manager)
    missing = client.post(STP_PAGE, {"action": "add_plan", "criterion": "TC1", "what": "X", "owner": " ", "due": DUE})
    unknown = client.post(STP_PAGE, {"action": "add_plan", "criterion": "ZZ9", "what": "X", "owner": "Y", "due": DUE})

    assert missing.status_code == unknown.status_code == 200
    assert "This field is required." in text_of(missing)
    assert "Select a valid choice." in text_of(unknown)
    assert not ActionPlan.objects.exists()


def test_the_plan_form_proposes_the_weakest_criterion(actors, published):
    criteria = published.agency_results.get(agency__code="20.STP").figures["criteria"]
    weakest = min((c for c, v in criteria.items() if v is not None), key=lambda c: criteria[c])

    html = text_of(browser(actors.manager).get(STP_PAGE))

    assert re.search(rf'<option value="{weakest}"\s+selected>', html)


def test_the_leader_reports_the_follow_up_of_a_plan(actors, published, tree):
    plan = record_action_plan(
        campaign=published.campaign, agency=tree["20.STP"], criterion="TT5", action="Rút ngắn", owner="Sở",
        due=datetime.date(2026, 12, 31), acting_user=actors.manager,
    )  # fmt: skip
    data = {"action": "update_plan", "plan": plan.pk, "status": "in_progress", "follow_up": "Đã làm một nửa"}

    response = browser(actors.manager).post(STP_PAGE, data)

    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.follow_up) == ("in_progress", "Đã làm một nửa")
    assert AuditEntry.objects.filter(action="action_plan.updated", actor=actors.manager).exists()


def test_a_plan_whose_author_is_gone_is_still_shown(actors, published, tree):
    record_action_plan(
        campaign=published.campaign, agency=tree["20.STP"], criterion="KQ1", action="Rà soát kết quả", owner="Sở",
        due=datetime.date(2026, 12, 31), acting_user=None,
    )  # fmt: skip

    response = browser(actors.manager).get(STP_PAGE)

    assert response.status_code == 200
    assert "Rà soát kết quả" in text_of(response)
    assert "recorded by —" in plain(response)


def test_a_plan_of_another_agency_cannot_be_updated_from_this_page(actors, published, tree):
    plan = record_action_plan(
        campaign=published.campaign, agency=tree["20.SNV"], criterion="TT5", action="Rút ngắn", owner="Sở",
        due=datetime.date(2026, 12, 31), acting_user=actors.officer_a,
    )  # fmt: skip
    data = {"action": "update_plan", "plan": plan.pk, "status": "done", "follow_up": "Xong"}

    assert browser(actors.manager).post(STP_PAGE, data).status_code == 404
    plan.refresh_from_db()
    assert plan.status == "planned"


def test_an_unknown_status_is_a_form_error(actors, published, tree):
    plan = record_action_plan(
        campaign=published.campaign, agency=tree["20.STP"], criterion="TT5", action="Rút ngắn", owner="Sở",
        due=datetime.date(2026, 12, 31), acting_user=actors.manager,
    )  # fmt: skip

    response = browser(actors.manager).post(STP_PAGE, {"action": "update_plan", "plan": plan.pk, "status": "lost"})

    assert "Select a valid choice." in text_of(response)
    plan.refresh_from_db()
    assert plan.status == "planned"


# --- query counts -----------------------------------------------------------------------------------------------------


def test_agency_page_query_count_is_pinned(actors, history, tree, django_assert_num_queries):
    comment(history["campaign"], tree["20.STP"], "Góp ý")
    client = browser(actors.officer_a)
    client.get(STP_PAGE)

    with django_assert_num_queries(17):
        client.get(STP_PAGE)


def test_agency_page_queries_do_not_grow_with_comments_plans_or_agencies(actors, history, tree):
    comment(history["campaign"], tree["20.STP"], "Góp ý đầu tiên")
    client = browser(actors.officer_a)
    with CaptureQueriesContext(connection) as before:
        client.get(STP_PAGE)
    for day in range(1, 6):
        comment(history["campaign"], tree["20.STP"], f"Góp ý {day}", day=day)
    for criterion in ("TC1", "TC2", "CC3"):
        record_action_plan(
            campaign=history["campaign"], agency=tree["20.STP"], criterion=criterion, action="Làm", owner="Sở",
            due=datetime.date(2026, 12, 31), acting_user=actors.manager,
        )  # fmt: skip
    sync_agencies([AgencyRow(f"0620{i}", f"Xã Thêm {i}", AgencyKind.COMMUNE, "xã", "20") for i in range(4)])

    with CaptureQueriesContext(connection) as after:
        response = client.get(STP_PAGE)

    assert response.status_code == 200
    assert len(after.captured_queries) == len(before.captured_queries)


# --- a bug found in reports.services.figures while reading these pages ----------------------------------------------


def test_sipas_interval_of_an_agency_with_varied_answers_is_not_zero_width():
    """Seen on the demo's agency page: Xã Tân Văn, 25 responses, SIPAS 90.79 with "95% interval 90.79 – 90.79".
    sipas_interval's delta method sums pairwise covariances estimated on different subsets of respondents
    (pairwise deletion); with a factor few answer (GY, asked only after PA = 1) the estimated variance comes
    out negative and is clamped to 0, so the page claims certainty. These are that agency's counts."""
    from reports.services.aggregate import Plan
    from reports.services.figures import sipas_interval

    factors = {code: {"criteria": [], "satisfaction": f"HL_{code}"} for code in ("TC", "TT", "CC", "KQ", "GY")}
    plan = Plan(positive_min=4, scaled=(), choices={}, multi={}, factors=factors, overall="HL")
    answered = {"HL_TC": (24, 21), "HL_TT": (24, 21), "HL_CC": (25, 23), "HL_KQ": (23, 20), "HL_GY": (5, 5)}
    counts = {"n": 25}
    for code, (a, p) in answered.items():
        counts.update({f"a:{code}": a, f"p:{code}": p})
    pairs = {
        ("TC", "TT"): (23, 19), ("TC", "CC"): (24, 19), ("TC", "KQ"): (22, 19), ("TC", "GY"): (5, 3),
        ("TT", "CC"): (24, 19), ("TT", "KQ"): (22, 18), ("TT", "GY"): (4, 3), ("CC", "KQ"): (23, 18),
        ("CC", "GY"): (5, 5), ("KQ", "GY"): (4, 3),
    }  # fmt: skip
    for (f, g), (both, positive) in pairs.items():
        counts.update({f"nn:HL_{f}:HL_{g}": both, f"pp:HL_{f}:HL_{g}": positive})
    sipas = sum(100 * p / a for a, p in answered.values()) / 5

    low, high = sipas_interval(counts, plan, "share-positive", sipas)

    assert high - low > 1.0  # 25 respondents cannot pin SIPAS to a point
