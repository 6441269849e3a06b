"""The Home Affairs officer's campaign screens: list, creation, detail (state, progress, audit), editing a
draft, dossier volumes and the review of flagged responses. The officer of province 20 reaches the campaigns
rooted in it; every other actor gets a 404 on every page and every POST, and anonymous visitors the login page."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.html import escape

from agencies.models import AgencyKind
from agencies.rows import AgencyRow
from agencies.services import sync_agencies
from sipas.models import AuditEntry
from surveys.models import Campaign, CampaignAgency, CampaignState, Channel, FlagRule, Methodology, Response
from surveys.models.campaigns import SampleMode
from surveys.models.responses import ResponseFlag
from surveys.services.campaigns import create_campaign, transition_campaign
from surveys.services.quality import decide_flagged
from surveys.services.responses import submit_response

LOGIN_URL = "/accounts/login/"
TODAY = timezone.localdate()
PAGES = ["", "edit/", "agencies/", "flags/"]


def browser(user=None) -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


def sipas_2017() -> Methodology:
    return Methodology.objects.get(code="SIPAS-2017")


def make_campaign(root, *, slug="ls-2025", opened=True, mode=SampleMode.FIXED, **options) -> Campaign:
    options.setdefault("level_samples", {AgencyKind.DEPARTMENT: 2, AgencyKind.COMMUNE: 3})
    campaign = create_campaign(
        year=TODAY.year, name=f"Khảo sát {slug}", slug=slug, root=root, methodology=sipas_2017(),
        period_start=TODAY - datetime.timedelta(days=10), period_end=TODAY + datetime.timedelta(days=10),
        channels=[Channel.QR, Channel.WEB, Channel.PAPER], sample_mode=mode, **options,
    )  # fmt: skip
    if opened:
        campaign = transition_campaign(campaign=campaign, to_state=CampaignState.OPEN)
    return campaign


def respond(campaign, agency, *, seconds=120) -> Response:
    """A web response; 5 seconds earns a too_fast flag (the campaign's minimum is 45 s)."""
    response, _created = submit_response(
        campaign=campaign, agency=agency, answers={"HL": 4, "TC1": 5}, client_id=uuid.uuid4(),
        channel=Channel.WEB, duration_seconds=seconds,
    )  # fmt: skip
    return response


def bulk_flagged(campaign, agency, count: int, rule=FlagRule.TOO_FAST) -> list[Response]:
    """Many flagged responses at once, for pagination and query counts."""
    now = timezone.now()
    responses = Response.objects.bulk_create(
        Response(campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel=Channel.WEB, answers={"HL": 4},
                 submitted_at=now - datetime.timedelta(minutes=i), duration_seconds=3)
        for i in range(count)
    )  # fmt: skip
    ResponseFlag.objects.bulk_create(ResponseFlag(response=r, rule=rule, detail="3 s") for r in responses)
    return responses


def create_payload(**overrides) -> dict:
    data = {
        "year": TODAY.year, "name": "Khảo sát SIPAS Lạng Sơn", "slug": "sipas-ls", "root": None,
        "methodology": sipas_2017().pk, "period_start": "2025-03-01", "period_end": "2025-05-31",
        "channels": ["qr", "web", "paper"], "agency_kinds": ["department", "commune"], "sample_mode": "fixed",
        "sample_department": "100", "sample_commune": "150", "margin_of_error": "5", "target_percent": "90",
        "thresholds": "80, 90", "min_seconds": "45",
    }  # fmt: skip
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.fixture
def campaign(actors, tree) -> Campaign:
    return make_campaign(tree["20"])


@pytest.fixture
def draft(actors, tree) -> Campaign:
    return make_campaign(tree["20"], slug="ls-draft", opened=False)


def html_of(response) -> str:
    return response.content.decode()


def _queries_of(client, url: str) -> list[dict]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return captured.captured_queries


# --- anonymous and wrong actors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/campaigns/", "/campaigns/new/", *[f"/campaigns/ls-2025/{p}" for p in PAGES]])
def test_anonymous_visitor_is_sent_to_the_login_page(campaign, url):
    response = browser().get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN_URL}?next={url}"


def test_anonymous_post_does_not_change_the_state(campaign):
    response = browser().post("/campaigns/ls-2025/", {"to_state": "closed"})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN_URL)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.OPEN


@pytest.mark.parametrize("actor", ["manager", "staff", "enumerator"])
@pytest.mark.parametrize("url", ["/campaigns/", "/campaigns/new/"])
def test_list_and_creation_are_404_for_non_officers(actors, actor, url):
    assert browser(getattr(actors, actor)).get(url).status_code == 404


@pytest.mark.parametrize("actor", ["manager", "staff", "enumerator"])
def test_non_officer_cannot_create_a_campaign(actors, tree, actor):
    response = browser(getattr(actors, actor)).post("/campaigns/new/", create_payload(root=tree["20"].pk))

    assert response.status_code == 404
    assert not Campaign.objects.exists()


@pytest.mark.parametrize("actor", ["officer_b", "manager", "staff", "enumerator"])
@pytest.mark.parametrize("page", PAGES)
def test_campaign_pages_are_404_for_other_actors(draft, actors, actor, page):
    response = browser(getattr(actors, actor)).get(f"/campaigns/ls-draft/{page}")

    assert response.status_code == 404
    assert "Khảo sát ls-draft" not in html_of(response)


@pytest.mark.parametrize("actor", ["officer_b", "manager", "staff", "enumerator"])
def test_other_actors_cannot_change_the_state(draft, actors, actor):
    response = browser(getattr(actors, actor)).post("/campaigns/ls-draft/", {"to_state": "open"})

    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.state == CampaignState.DRAFT


@pytest.mark.parametrize("actor", ["officer_b", "manager", "staff", "enumerator"])
def test_other_actors_cannot_edit_a_draft(draft, actors, actor):
    data = {"name": "Hijacked", "period_start": "2025-01-01", "period_end": "2025-02-01", "channels": ["qr"],
            "sample_mode": "fixed", "sample_department": "5", "sample_commune": "5", "margin_of_error": "5",
            "min_seconds": "45"}  # fmt: skip
    response = browser(getattr(actors, actor)).post("/campaigns/ls-draft/edit/", data)

    assert response.status_code == 404
    draft.refresh_from_db()
    assert draft.name == "Khảo sát ls-draft"


@pytest.mark.parametrize("actor", ["officer_b", "manager", "staff", "enumerator"])
def test_other_actors_cannot_set_dossier_volumes(draft, actors, actor):
    participant = draft.participants.first()
    response = browser(getattr(actors, actor)).post("/campaigns/ls-draft/agencies/", {f"volume_{participant.pk}": "9"})

    assert response.status_code == 404
    participant.refresh_from_db()
    assert participant.dossier_volume is None


@pytest.mark.parametrize("actor", ["officer_b", "manager", "staff", "enumerator"])
def test_other_actors_cannot_decide_flagged_responses(campaign, tree, actors, actor):
    flagged = respond(campaign, tree["06001"], seconds=5)

    client = browser(getattr(actors, actor))
    by_rule = client.post(
        "/campaigns/ls-2025/flags/", {"rule": FlagRule.TOO_FAST, "decision": "exclude", "confirmed": "on"}
    )
    one = client.post("/campaigns/ls-2025/flags/", {"response": flagged.pk, "decision": "exclude"})

    assert by_rule.status_code == one.status_code == 404
    flagged.refresh_from_db()
    assert flagged.excluded is False
    assert flagged.decided_at is None


def test_a_post_without_the_csrf_token_is_refused(draft, actors):
    client = Client(enforce_csrf_checks=True)
    client.force_login(actors.officer_a)

    response = client.post("/campaigns/ls-draft/", {"to_state": "open"})

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.state == CampaignState.DRAFT


def test_pages_render_in_vietnamese_by_default(draft, actors):
    client = Client()
    client.force_login(actors.officer_a)

    for url in ["/campaigns/", "/campaigns/new/", *[f"/campaigns/ls-draft/{page}" for page in PAGES]]:
        response = client.get(url)
        assert (response.status_code, response["Content-Language"]) == (200, "vi"), url


def test_unknown_campaign_is_404(actors):
    assert browser(actors.officer_a).get("/campaigns/nothing-here/").status_code == 404


def test_superuser_reaches_any_campaign(campaign, actors):
    assert browser(actors.admin).get("/campaigns/ls-2025/").status_code == 200


# --- list --------------------------------------------------------------------------------------------------------


def test_officer_list_shows_state_period_and_agencies(campaign, tree, actors):
    respond(campaign, tree["06001"])
    respond(campaign, tree["06004"])

    html = html_of(browser(actors.officer_a).get("/campaigns/"))

    assert "Khảo sát ls-2025" in html
    assert "Open" in html
    assert campaign.period_start.strftime("%d/%m/%Y") in html
    assert '<td class="text-end">4</td>' in html  # 20.SNV, 20.STP, 06001, 06004


def test_officer_list_does_not_count_responses(campaign, tree, actors):
    """Responses are counted on the campaign's page: the list would read every response of every campaign."""
    respond(campaign, tree["06001"])

    queries = _queries_of(browser(actors.officer_a), "/campaigns/")

    assert not any("surveys_response" in query["sql"] for query in queries)


def test_officer_list_has_a_new_campaign_button(actors):
    html = html_of(browser(actors.officer_a).get("/campaigns/"))

    assert 'href="/campaigns/new/"' in html
    assert "New campaign" in html


def test_other_officer_does_not_see_the_campaign_in_their_list(campaign, actors):
    html = html_of(browser(actors.officer_b).get("/campaigns/"))

    assert "Khảo sát ls-2025" not in html
    assert "No campaign yet" in html


def test_campaign_list_query_count_does_not_grow_with_campaigns(actors, tree, client, django_assert_num_queries):
    for i in range(5):
        respond(make_campaign(tree["20"], slug=f"c{i}"), tree["06001"])
    client.force_login(actors.officer_a)

    # session, user, officer check, scope memberships, count, one page with its counts as subqueries
    with django_assert_num_queries(6):
        response = client.get("/campaigns/")

    assert response.status_code == 200
    assert response.content.decode().count('href="/campaigns/c') == 5


# --- create ------------------------------------------------------------------------------------------------------


def test_creation_form_offers_only_the_officers_province_department_and_district_agencies(actors, tree):
    form = browser(actors.officer_a).get("/campaigns/new/").context["form"]

    roots = set(form.fields["root"].queryset.values_list("code", flat=True))
    assert roots == {"20", "20.SNV", "20.STP"}


def test_officer_creates_a_draft_campaign_over_the_chosen_levels(actors, tree):
    response = browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["20"].pk))

    assert response.status_code == 302
    assert response["Location"] == "/campaigns/sipas-ls/"
    campaign = Campaign.objects.get(slug="sipas-ls")
    assert campaign.state == CampaignState.DRAFT
    assert campaign.created_by == actors.officer_a
    assert campaign.thresholds == [80.0, 90.0]
    assert campaign.target_percent == 90.0
    samples = dict(campaign.participants.values_list("agency__code", "min_sample"))
    assert samples == {"20.SNV": 100, "20.STP": 100, "06001": 150, "06004": 150}


def test_creation_is_audited_with_the_officer(actors, tree):
    browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["20"].pk))

    entry = AuditEntry.objects.get(action="campaign.created")
    assert entry.actor == actors.officer_a
    assert entry.target_id == str(Campaign.objects.get(slug="sipas-ls").pk)


def test_creation_in_volume_mode_stores_the_margin_of_error_as_a_fraction(actors, tree):
    payload = create_payload(root=tree["20"].pk, sample_mode="volume", sample_department="", sample_commune="",
                             margin_of_error="3")  # fmt: skip
    browser(actors.officer_a).post("/campaigns/new/", payload)

    campaign = Campaign.objects.get(slug="sipas-ls")
    assert campaign.sample_mode == SampleMode.VOLUME
    assert campaign.margin_of_error == pytest.approx(0.03)
    assert campaign.participants.count() == 4


def test_creation_with_the_end_before_the_start_is_a_form_error(actors, tree):
    response = browser(actors.officer_a).post(
        "/campaigns/new/", create_payload(root=tree["20"].pk, period_end="2025-02-01")
    )

    assert response.status_code == 200
    assert response.context["form"].errors["period_end"] == ["The survey cannot end before it starts."]
    assert not Campaign.objects.exists()


def test_creation_with_a_slug_taken_is_a_form_error(actors, tree):
    make_campaign(tree["22"], slug="sipas-ls", opened=False)

    response = browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["20"].pk))

    assert response.status_code == 200
    assert "already used by another campaign" in response.context["form"].errors["slug"][0]
    assert Campaign.objects.count() == 1


def test_creation_refuses_the_reserved_slug_new(actors, tree):
    response = browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["20"].pk, slug="new"))

    assert response.status_code == 200
    assert "slug" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_creation_with_an_unknown_channel_is_a_form_error(actors, tree):
    response = browser(actors.officer_a).post(
        "/campaigns/new/", create_payload(root=tree["20"].pk, channels=["qr", "carrier-pigeon"])
    )

    assert response.status_code == 200
    assert "channels" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_creation_over_another_province_is_a_form_error(actors, tree):
    response = browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["22"].pk))

    assert response.status_code == 200
    assert "root" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_creation_over_a_commune_is_a_form_error(actors, tree):
    response = browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["06001"].pk))

    assert "root" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_fixed_samples_need_a_number_for_each_level_surveyed(actors, tree):
    response = browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["20"].pk, sample_commune=""))

    assert "sample_commune" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_thresholds_that_are_not_percentages_are_a_form_error(actors, tree):
    client = browser(actors.officer_a)

    words = client.post("/campaigns/new/", create_payload(root=tree["20"].pk, thresholds="eighty"))
    too_high = client.post("/campaigns/new/", create_payload(root=tree["20"].pk, thresholds="80, 120"))

    assert "thresholds" in words.context["form"].errors
    assert "thresholds" in too_high.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_root_without_agencies_of_the_chosen_levels_is_a_form_error(actors, tree):
    response = browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["20.SNV"].pk))

    assert response.context["form"].errors["agency_kinds"] == [
        "No active agency of these levels lies under the root agency."
    ]
    assert not Campaign.objects.exists()


def test_an_error_raised_by_the_service_is_shown_on_the_form(actors, tree, monkeypatch):
    def slug_taken_meanwhile(**kwargs):
        raise ValueError("The short name sipas-ls is already used by another campaign.")

    monkeypatch.setattr("surveys.officer_views.create_campaign", slug_taken_meanwhile)
    response = browser(actors.officer_a).post("/campaigns/new/", create_payload(root=tree["20"].pk))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The short name sipas-ls is already used by another campaign."
    ]


# --- detail: state -----------------------------------------------------------------------------------------------


def test_draft_offers_to_open_and_nothing_else(draft, actors):
    response = browser(actors.officer_a).get("/campaigns/ls-draft/")

    assert [state for state, _label in response.context["transitions"]] == [CampaignState.OPEN]
    assert "Open the campaign" in html_of(response)


def test_officer_opens_a_draft(draft, actors):
    response = browser(actors.officer_a).post("/campaigns/ls-draft/", {"to_state": "open"}, follow=True)

    draft.refresh_from_db()
    assert draft.state == CampaignState.OPEN
    assert "Campaign state: Open." in html_of(response)
    entry = AuditEntry.objects.get(action="campaign.state")
    assert (entry.actor, entry.data["previous"], entry.data["state"]) == (actors.officer_a, "draft", "open")


def test_officer_closes_then_reopens_a_campaign(campaign, actors):
    client = browser(actors.officer_a)

    client.post("/campaigns/ls-2025/", {"to_state": "closed", "confirmed": "on"})  # its period runs 10 more days
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED
    assert "Reopen the campaign" in html_of(client.get("/campaigns/ls-2025/"))

    client.post("/campaigns/ls-2025/", {"to_state": "open"})
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.OPEN


def test_closing_before_the_period_ends_warns_and_asks_again(campaign, actors):
    response = browser(actors.officer_a).post("/campaigns/ls-2025/", {"to_state": "closed"})

    html = html_of(response)
    assert response.status_code == 200
    end = campaign.period_end.strftime("%d/%m/%Y")
    assert f"The survey period runs until {end} (days left: 10)." in html
    assert 'name="confirmed" value="on"' in html
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.OPEN
    assert not AuditEntry.objects.filter(action="campaign.state", data__state="closed").exists()


def test_closing_after_the_period_ended_needs_no_confirmation(campaign, actors):
    Campaign.objects.filter(pk=campaign.pk).update(period_end=TODAY - datetime.timedelta(days=1))

    response = browser(actors.officer_a).post("/campaigns/ls-2025/", {"to_state": "closed"})

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED


def test_a_move_the_state_machine_forbids_is_a_message_not_an_error(draft, actors):
    response = browser(actors.officer_a).post("/campaigns/ls-draft/", {"to_state": "closed"}, follow=True)

    assert response.status_code == 200
    assert "A campaign cannot go from Draft to Closed." in html_of(response)
    draft.refresh_from_db()
    assert draft.state == CampaignState.DRAFT


def test_an_unknown_state_is_a_message_not_an_error(draft, actors):
    response = browser(actors.officer_a).post("/campaigns/ls-draft/", {"to_state": "bogus"}, follow=True)

    assert response.status_code == 200
    assert "This change of state is not available here." in html_of(response)


def test_computed_is_not_set_from_this_page(campaign, actors):
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.CLOSED)

    response = browser(actors.officer_a).post("/campaigns/ls-2025/", {"to_state": "computed"}, follow=True)

    assert "This change of state is not available here." in html_of(response)
    campaign.refresh_from_db()
    assert campaign.state == CampaignState.CLOSED


def test_opening_a_campaign_without_agencies_shows_why(actors, tree):
    empty = make_campaign(tree["20"], slug="empty", opened=False)
    empty.participants.all().delete()

    response = browser(actors.officer_a).post("/campaigns/empty/", {"to_state": "open"}, follow=True)

    assert "Add at least one surveyed agency before opening the campaign." in html_of(response)
    empty.refresh_from_db()
    assert empty.state == CampaignState.DRAFT


def test_published_campaign_offers_no_state_change(campaign, actors):
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.PUBLISHED)

    response = browser(actors.officer_a).get("/campaigns/ls-2025/")

    assert response.context["transitions"] == []


# --- detail: progress and audit ----------------------------------------------------------------------------------


def test_progress_shows_counted_responses_against_the_minimum(campaign, tree, actors):
    for _ in range(3):
        respond(campaign, tree["06001"])
    respond(campaign, tree["06004"])

    response = browser(actors.officer_a).get("/campaigns/ls-2025/")

    rows = {row["agency"].code: row for row in response.context["page"]}
    assert (rows["06001"]["counted"], rows["06001"]["participant"].min_sample, rows["06001"]["enough"]) == (3, 3, True)
    assert (rows["06004"]["counted"], rows["06004"]["bar_percent"]) == (1, 33)
    html = html_of(response)
    assert "1 of 3 (33%)" in html
    assert 'aria-valuenow="33"' in html


def test_agencies_under_their_minimum_are_marked_not_enough(campaign, tree, actors):
    respond(campaign, tree["06001"])

    html = html_of(browser(actors.officer_a).get("/campaigns/ls-2025/"))

    assert html.count("Not enough responses") == 4


def test_flagged_responses_count_until_excluded(campaign, tree, actors):
    flagged = respond(campaign, tree["06001"], seconds=5)
    respond(campaign, tree["06001"])
    client = browser(actors.officer_a)

    before = {r["agency"].code: r for r in client.get("/campaigns/ls-2025/").context["page"]}["06001"]
    decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, response_ids=[flagged.pk])
    after = {r["agency"].code: r for r in client.get("/campaigns/ls-2025/").context["page"]}["06001"]

    assert (before["total"], before["excluded"], before["counted"]) == (2, 0, 2)
    assert (after["total"], after["excluded"], after["counted"]) == (2, 1, 1)


def test_progress_reads_no_flags(campaign, tree, actors):
    """Flags are counted on the flags tab; progress would otherwise join them to every response stored."""
    respond(campaign, tree["06001"], seconds=5)
    client = browser(actors.officer_a)

    queries = _queries_of(client, "/campaigns/ls-2025/")

    assert not any("surveys_responseflag" in query["sql"] for query in queries)


def test_response_rate_is_shown_where_the_dossier_volume_is_known(campaign, tree, actors):
    CampaignAgency.objects.filter(campaign=campaign, agency=tree["06001"]).update(dossier_volume=8)
    respond(campaign, tree["06001"])
    respond(campaign, tree["06001"])

    response = browser(actors.officer_a).get("/campaigns/ls-2025/")

    rows = {row["agency"].code: row for row in response.context["page"]}
    assert rows["06001"]["response_rate"] == 25.0
    assert rows["06004"]["response_rate"] is None
    assert "25.0%" in html_of(response)


def test_totals_are_given_per_level_and_for_the_campaign(campaign, tree, actors):
    respond(campaign, tree["06001"])
    respond(campaign, tree["06004"], seconds=5)
    respond(campaign, tree["20.STP"])

    totals = browser(actors.officer_a).get("/campaigns/ls-2025/").context["totals"]

    by_label = {str(group["label"]): group for group in totals}
    assert [str(group["label"]) for group in totals] == ["Department", "Commune", "All surveyed agencies"]
    assert by_label["Commune"] | {"label": None} == {
        "label": None, "agencies": 2, "enough": 0, "min_sample": 6, "total": 2, "excluded": 0, "counted": 2,
    }  # fmt: skip
    assert (by_label["All surveyed agencies"]["agencies"], by_label["All surveyed agencies"]["total"]) == (4, 3)


def test_detail_shows_the_audit_trail_of_the_campaign(draft, actors):
    client = browser(actors.officer_a)
    client.post("/campaigns/ls-draft/", {"to_state": "open"})

    html = html_of(client.get("/campaigns/ls-draft/"))

    assert "State changed from Draft to Open" in html
    assert "officer_a" in html
    assert "Campaign created" in html


def test_audit_trail_does_not_mix_in_other_campaigns(campaign, draft, actors):
    browser(actors.officer_a).post("/campaigns/ls-draft/", {"to_state": "open"})

    entries = browser(actors.officer_a).get("/campaigns/ls-2025/").context["audit_entries"]

    assert all(entry.target_id == str(campaign.pk) for entry, _summary in entries)


def test_detail_query_count_does_not_grow_with_the_number_of_agencies(actors, tree, client, django_assert_num_queries):
    sync_agencies(AgencyRow(f"X{i:03d}", f"Xã số {i:03d}", AgencyKind.COMMUNE, "xã", "20") for i in range(30))
    small = make_campaign(tree["20"], slug="small", level_samples={AgencyKind.DEPARTMENT: 1})
    large = make_campaign(tree["20"], slug="large")
    assert large.participants.count() == 34
    client.force_login(actors.officer_a)

    # session, user, scope memberships, campaign, participants with agencies, responses per agency, excluded
    # per agency, audit trail
    with django_assert_num_queries(8):
        client.get("/campaigns/small/")
    with django_assert_num_queries(8):
        response = client.get("/campaigns/large/")

    assert small.participants.count() == 2
    assert len(response.context["page"]) == 34


def test_progress_shows_one_page_of_agencies_and_totals_over_all(actors, tree):
    sync_agencies(AgencyRow(f"X{i:03d}", f"Xã số {i:03d}", AgencyKind.COMMUNE, "xã", "20") for i in range(60))
    large = make_campaign(tree["20"], slug="large")
    respond(large, tree["06001"])
    client = browser(actors.officer_a)

    first = client.get("/campaigns/large/")
    second = client.get("/campaigns/large/?page=2")

    shown = [row["agency"].code for row in first.context["page"]] + [
        row["agency"].code for row in second.context["page"]
    ]
    assert (len(first.context["page"]), len(second.context["page"])) == (50, 14)
    assert sorted(shown) == sorted(large.participants.values_list("agency__code", flat=True))
    overall = first.context["totals"][-1]
    assert (overall["agencies"], overall["total"]) == (64, 1)
    assert second.context["totals"] == first.context["totals"]
    assert "Page 1 of 2" in html_of(first)


# --- edit --------------------------------------------------------------------------------------------------------


def edit_payload(**overrides) -> dict:
    data = {
        "name": "Khảo sát đã sửa", "period_start": "2025-04-01", "period_end": "2025-06-30", "channels": ["qr", "kiosk"],
        "sample_mode": "fixed", "sample_department": "2", "sample_commune": "3", "margin_of_error": "5",
        "target_percent": "95", "thresholds": "85", "min_seconds": "60",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_edit_form_starts_from_the_current_settings(draft, actors):
    form = browser(actors.officer_a).get("/campaigns/ls-draft/edit/").context["form"]

    assert form.initial["name"] == "Khảo sát ls-draft"
    assert form.initial["sample_commune"] == 3
    assert form.initial["margin_of_error"] == 5


def test_officer_edits_a_draft(draft, actors):
    response = browser(actors.officer_a).post("/campaigns/ls-draft/edit/", edit_payload())

    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.name, draft.period_end, draft.channels) == (
        "Khảo sát đã sửa",
        datetime.date(2025, 6, 30),
        ["qr", "kiosk"],
    )
    assert (draft.target_percent, draft.thresholds, draft.min_seconds) == (95.0, [85.0], 60)


def test_editing_is_audited_with_the_fields_changed(draft, actors):
    browser(actors.officer_a).post("/campaigns/ls-draft/edit/", edit_payload())

    entry = AuditEntry.objects.get(action="campaign.updated")
    assert entry.actor == actors.officer_a
    assert "name" in entry.data["fields"]
    assert "level_samples" not in entry.data["fields"]
    html = html_of(browser(actors.officer_a).get("/campaigns/ls-draft/"))
    assert "Settings changed: channels allowed, fastest plausible completion (seconds), name," in html


def test_changing_a_level_sample_recomputes_the_minimum_samples(draft, actors):
    browser(actors.officer_a).post("/campaigns/ls-draft/edit/", edit_payload(sample_commune="40"))

    samples = dict(draft.participants.values_list("agency__code", "min_sample"))
    assert samples == {"20.SNV": 2, "20.STP": 2, "06001": 40, "06004": 40}


def test_edit_with_the_end_before_the_start_is_a_form_error(draft, actors):
    response = browser(actors.officer_a).post("/campaigns/ls-draft/edit/", edit_payload(period_end="2025-01-01"))

    assert response.status_code == 200
    assert "period_end" in response.context["form"].errors
    draft.refresh_from_db()
    assert draft.name == "Khảo sát ls-draft"


def test_edit_with_an_unknown_channel_is_a_form_error(draft, actors):
    response = browser(actors.officer_a).post("/campaigns/ls-draft/edit/", edit_payload(channels=["telepathy"]))

    assert "channels" in response.context["form"].errors


def test_an_open_campaign_cannot_be_edited(campaign, actors):
    client = browser(actors.officer_a)

    page = client.get("/campaigns/ls-2025/edit/", follow=True)
    client.post("/campaigns/ls-2025/edit/", edit_payload())

    assert "Only a draft campaign can be edited." in html_of(page)
    campaign.refresh_from_db()
    assert campaign.name == "Khảo sát ls-2025"


# --- dossier volumes ---------------------------------------------------------------------------------------------


def volume_field(campaign, code: str) -> str:
    return f"volume_{CampaignAgency.objects.get(campaign=campaign, agency__code=code).pk}"


def test_volumes_recompute_minimum_samples_in_volume_mode(actors, tree):
    campaign = make_campaign(tree["20"], slug="vol", opened=False, mode=SampleMode.VOLUME)
    data = {volume_field(campaign, "06001"): "400", volume_field(campaign, "06004"): "100"}

    response = browser(actors.officer_a).post("/campaigns/vol/agencies/", data, follow=True)

    participants = {p.agency.code: p for p in campaign.participants.select_related("agency")}
    assert (participants["06001"].dossier_volume, participants["06001"].min_sample) == (400, 200)
    assert (participants["06004"].dossier_volume, participants["06004"].min_sample) == (100, 80)
    assert participants["20.SNV"].min_sample == 2  # no volume: the level's fixed number
    assert "Dossier volumes saved for 2 agencies" in html_of(response)


def test_a_blank_volume_clears_it(draft, actors):
    CampaignAgency.objects.filter(campaign=draft, agency__code="06001").update(dossier_volume=50)

    browser(actors.officer_a).post("/campaigns/ls-draft/agencies/", {volume_field(draft, "06001"): ""})

    assert CampaignAgency.objects.get(campaign=draft, agency__code="06001").dossier_volume is None


def test_a_negative_volume_is_a_form_error_and_nothing_is_saved(draft, actors):
    data = {volume_field(draft, "06001"): "-5", volume_field(draft, "06004"): "70"}

    response = browser(actors.officer_a).post("/campaigns/ls-draft/agencies/", data)

    assert response.status_code == 200
    assert volume_field(draft, "06001") in response.context["form"].errors
    assert not draft.participants.filter(dossier_volume__isnull=False).exists()


def test_volumes_are_audited(draft, actors):
    browser(actors.officer_a).post("/campaigns/ls-draft/agencies/", {volume_field(draft, "06004"): "70"})

    entry = AuditEntry.objects.get(action="campaign.volumes")
    assert (entry.actor, entry.data["agencies"]) == (actors.officer_a, ["06004"])


def test_volumes_can_be_set_while_the_campaign_is_open(campaign, actors):
    browser(actors.officer_a).post("/campaigns/ls-2025/agencies/", {volume_field(campaign, "06004"): "70"})

    assert CampaignAgency.objects.get(campaign=campaign, agency__code="06004").dossier_volume == 70


def test_volumes_cannot_change_once_computed(campaign, actors):
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.COMPUTED)

    response = browser(actors.officer_a).post(
        "/campaigns/ls-2025/agencies/", {volume_field(campaign, "06004"): "70"}, follow=True
    )

    assert "Dossier volumes cannot change once the index is computed." in html_of(response)
    assert CampaignAgency.objects.get(campaign=campaign, agency__code="06004").dossier_volume is None


def test_volume_page_lists_every_surveyed_agency_with_a_label(draft, actors):
    html = html_of(browser(actors.officer_a).get("/campaigns/ls-draft/agencies/"))

    for name in ("Sở Nội vụ", "Sở Tư pháp", "Xã Đoàn Kết", "Phường Đông Kinh"):
        assert f'>{name}<span class="visually-hidden"> — results returned in the period</span></label>' in html


# --- flagged responses -------------------------------------------------------------------------------------------


def test_flags_page_counts_per_rule_and_says_they_are_counted_until_decided(campaign, tree, actors):
    respond(campaign, tree["06001"], seconds=5)
    respond(campaign, tree["06004"], seconds=5)
    respond(campaign, tree["06004"])

    response = browser(actors.officer_a).get("/campaigns/ls-2025/flags/")

    assert response.context["rules"] == [
        {"rule": FlagRule.TOO_FAST, "label": FlagRule.TOO_FAST.label, "flagged": 2, "excluded": 0, "undecided": 2}
    ]
    assert response.context["summary"] == {"flagged": 2, "excluded": 0, "undecided": 2}
    html = html_of(response)
    assert "counts in the index until you exclude it" in html
    assert html.count("Awaiting a decision (counted)</span>") == 2


def test_exclude_all_with_a_rule(campaign, tree, actors):
    fast = [respond(campaign, tree["06001"], seconds=5) for _ in range(2)]
    fine = respond(campaign, tree["06001"])

    response = browser(actors.officer_a).post(
        "/campaigns/ls-2025/flags/", {"rule": FlagRule.TOO_FAST, "decision": "exclude", "confirmed": "on"}, follow=True
    )

    assert "2 responses excluded from the index." in html_of(response)
    assert Response.objects.filter(pk__in=[r.pk for r in fast], excluded=True, decision_rule="too_fast").count() == 2
    fine.refresh_from_db()
    assert fine.excluded is False
    entry = AuditEntry.objects.get(action="responses.decided")
    assert (entry.actor, entry.data["count"], entry.data["include"]) == (actors.officer_a, 2, False)


def test_include_all_with_a_rule_records_the_decision(campaign, tree, actors):
    flagged = respond(campaign, tree["06001"], seconds=5)

    browser(actors.officer_a).post(
        "/campaigns/ls-2025/flags/", {"rule": FlagRule.TOO_FAST, "decision": "include", "confirmed": "on"}
    )

    flagged.refresh_from_db()
    assert (flagged.excluded, flagged.decided_by, flagged.decision_rule) == (False, actors.officer_a, "too_fast")
    assert flagged.decided_at is not None


def test_exclude_then_include_one_response(campaign, tree, actors):
    first = respond(campaign, tree["06001"], seconds=5)
    second = respond(campaign, tree["06001"], seconds=5)
    client = browser(actors.officer_a)

    client.post("/campaigns/ls-2025/flags/", {"response": first.pk, "decision": "exclude"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.excluded, first.decision_rule, second.excluded) == (True, "manual", False)

    response = client.post("/campaigns/ls-2025/flags/", {"response": first.pk, "decision": "include"}, follow=True)
    first.refresh_from_db()
    assert first.excluded is False
    assert "1 response included: it counts in the index." in html_of(response)


def test_a_response_of_another_campaign_cannot_be_decided_here(campaign, tree, actors):
    other = make_campaign(tree["22"], slug="qn", level_samples={AgencyKind.SPECIAL_ZONE: 5})
    foreign = respond(other, tree["07000"], seconds=5)

    response = browser(actors.officer_a).post(
        "/campaigns/ls-2025/flags/", {"response": foreign.pk, "decision": "exclude"}, follow=True
    )

    assert "No flagged response matched; nothing changed." in html_of(response)
    foreign.refresh_from_db()
    assert foreign.excluded is False


@pytest.mark.parametrize(
    "data",
    [
        {"decision": "exclude"},
        {"rule": "too_fast"},
        {"rule": "made_up", "decision": "exclude"},
        {"rule": "too_fast", "response": "1", "decision": "exclude"},
        {"response": "abc", "decision": "include"},
        {"response": "1", "decision": "maybe"},
    ],
)
def test_a_malformed_decision_is_a_message_not_an_error(campaign, tree, actors, data):
    flagged = respond(campaign, tree["06001"], seconds=5)

    response = browser(actors.officer_a).post("/campaigns/ls-2025/flags/", data, follow=True)

    assert response.status_code == 200
    assert "Choose to include or exclude, and a rule or one response." in html_of(response)
    flagged.refresh_from_db()
    assert flagged.decided_at is None


def test_a_decision_returns_to_the_same_filtered_page(campaign, tree, actors):
    flagged = respond(campaign, tree["06001"], seconds=5)

    response = browser(actors.officer_a).post(
        "/campaigns/ls-2025/flags/?rule=too_fast&page=1", {"response": flagged.pk, "decision": "exclude"}
    )

    assert response["Location"] == "/campaigns/ls-2025/flags/?rule=too_fast&page=1"


def test_flag_list_shows_agency_channel_and_flag_detail(campaign, tree, actors):
    with translation.override("en"):  # the respondent's language: details are still the portal's (Vietnamese)
        respond(campaign, tree["06004"], seconds=5)

    html = html_of(browser(actors.officer_a).get("/campaigns/ls-2025/flags/"))

    assert "Phường Đông Kinh" in html
    assert "Web link" in html
    assert "Completed implausibly fast" in html
    assert "5 giây, dưới 45 giây" in html


def test_flag_list_filters_by_rule(campaign, tree, actors):
    respond(campaign, tree["06001"], seconds=5)
    bulk_flagged(campaign, tree["06004"], 1, rule=FlagRule.BURST)

    page = browser(actors.officer_a).get("/campaigns/ls-2025/flags/", {"rule": "burst"}).context["page"]

    assert [r.agency.code for r in page] == ["06004"]


def test_flag_list_filters_by_decision(campaign, tree, actors):
    excluded = respond(campaign, tree["06001"], seconds=5)
    respond(campaign, tree["06004"], seconds=5)
    decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, response_ids=[excluded.pk])
    client = browser(actors.officer_a)

    undecided = client.get("/campaigns/ls-2025/flags/", {"decision": "undecided"}).context["page"]
    excluded_page = client.get("/campaigns/ls-2025/flags/", {"decision": "excluded"}).context["page"]

    assert [r.agency.code for r in undecided] == ["06004"]
    assert [r.pk for r in excluded_page] == [excluded.pk]


def test_flag_list_is_paginated_and_keeps_the_filter(campaign, tree, actors):
    bulk_flagged(campaign, tree["06001"], 55)

    client = browser(actors.officer_a)
    first = html_of(client.get("/campaigns/ls-2025/flags/", {"rule": "too_fast"}))
    second = client.get("/campaigns/ls-2025/flags/", {"rule": "too_fast", "page": 2})

    assert "Page 1 of 2" in first
    assert "?rule=too_fast&amp;decision=&amp;page=2" in first or "?rule=too_fast&amp;page=2" in first
    assert len(second.context["page"]) == 5


def test_flag_page_query_count_does_not_grow_with_flagged_responses(campaign, tree, actors, client,
                                                                    django_assert_num_queries):  # fmt: skip
    bulk_flagged(campaign, tree["06001"], 3)
    client.force_login(actors.officer_a)
    # session, user, scope memberships, campaign, count, one page, its flags, questions, counts per rule, summary
    with django_assert_num_queries(10):
        client.get("/campaigns/ls-2025/flags/")

    bulk_flagged(campaign, tree["06004"], 40, rule=FlagRule.BURST)
    with django_assert_num_queries(10):
        response = client.get("/campaigns/ls-2025/flags/")

    assert len(response.context["page"]) == 43


# --- flag review: answers, confirmation of decisions by rule, published campaigns ---------------------------------


@pytest.mark.parametrize("decision", ["exclude", "include"])
def test_a_decision_by_rule_asks_for_confirmation_and_changes_nothing_yet(campaign, tree, actors, decision):
    fast = [respond(campaign, tree["06001"], seconds=5) for _ in range(3)]
    decide_flagged(campaign=campaign, include=False, acting_user=actors.officer_a, response_ids=[fast[0].pk])

    response = browser(actors.officer_a).post(
        "/campaigns/ls-2025/flags/", {"rule": FlagRule.TOO_FAST, "decision": decision}
    )

    html = html_of(response)
    assert response.status_code == 200
    verb = "Exclude" if decision == "exclude" else "Include"
    assert f"{verb} every response flagged “Completed implausibly fast”?" in html
    assert "This rule flagged 3 responses: 2 awaiting a decision (counted), 0 included, 1 excluded." in html
    assert 'name="confirmed" value="on"' in html
    assert [r.excluded for r in Response.objects.filter(pk__in=[r.pk for r in fast]).order_by("pk")] == [
        True, False, False,
    ]  # fmt: skip
    assert Response.objects.filter(decided_at__isnull=False).count() == 1


def test_a_confirmed_decision_by_rule_acts(campaign, tree, actors):
    fast = [respond(campaign, tree["06001"], seconds=5) for _ in range(2)]
    client = browser(actors.officer_a)

    confirm = client.post("/campaigns/ls-2025/flags/?rule=too_fast", {"rule": "too_fast", "decision": "exclude"})
    response = client.post(confirm.context["back"], {"rule": "too_fast", "decision": "exclude", "confirmed": "on"})

    assert response["Location"] == "/campaigns/ls-2025/flags/?rule=too_fast"
    assert Response.objects.filter(pk__in=[r.pk for r in fast], excluded=True).count() == 2


def test_one_response_is_decided_at_once(campaign, tree, actors):
    flagged = respond(campaign, tree["06001"], seconds=5)

    browser(actors.officer_a).post("/campaigns/ls-2025/flags/", {"response": flagged.pk, "decision": "exclude"})

    flagged.refresh_from_db()
    assert flagged.excluded is True


def test_flag_list_shows_the_answers_and_the_comment_with_question_names(campaign, tree, actors):
    submit_response(
        campaign=campaign, agency=tree["06001"], client_id=uuid.uuid4(), channel=Channel.WEB, duration_seconds=5,
        answers={"HL": 4, "TC1": 5, "DL": "1", "NC": ["NC3"], "YK": "Nhân viên nói chuyện điện thoại riêng."},
    )  # fmt: skip

    html = html_of(browser(actors.officer_a).get("/campaigns/ls-2025/flags/"))

    questions = {q.code: q for q in sipas_2017().questions.filter(code__in=["HL", "TC1", "DL", "NC", "YK"])}
    assert "Nhân viên nói chuyện điện thoại riêng." in html
    for code in questions:
        assert escape(f"{code} · {questions[code].text_en or questions[code].text}") in html
    assert "All answers (5)" in html


def test_flag_review_of_a_published_campaign_is_refused_clearly(campaign, tree, actors):
    flagged = respond(campaign, tree["06001"], seconds=5)
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.PUBLISHED)
    client = browser(actors.officer_a)

    page = client.get("/campaigns/ls-2025/flags/")
    by_rule = client.post("/campaigns/ls-2025/flags/", {"rule": "too_fast", "decision": "exclude", "confirmed": "on"})
    one = client.post("/campaigns/ls-2025/flags/", {"response": flagged.pk, "decision": "exclude"}, follow=True)

    assert page.status_code == 200
    assert 'value="exclude"' not in html_of(page)
    assert 'value="include"' not in html_of(page)
    assert "decisions on responses can no longer change" in html_of(page)
    assert by_rule.status_code == 302
    assert one.status_code == 200
    assert "The results are published: decisions on responses can no longer change." in html_of(one)
    flagged.refresh_from_db()
    assert (flagged.excluded, flagged.decided_at) == (False, None)


# --- the district level ends with the two-tier reform of 1 July 2025 -----------------------------------------------

NO_DISTRICTS = "Districts were abolished on 1 July 2025 (two-tier local government)"


def test_a_campaign_after_the_reform_cannot_survey_districts(actors, tree):
    payload = create_payload(
        root=tree["20"].pk, period_start="2025-09-01", period_end="2025-11-30",
        agency_kinds=["department", "district"], sample_district="200",
    )  # fmt: skip

    response = browser(actors.officer_a).post("/campaigns/new/", payload)

    assert response.status_code == 200
    assert response.context["form"].errors["agency_kinds"] == [NO_DISTRICTS + ": a campaign from then on surveys "
                                                               "province-level agencies and communes."]  # fmt: skip
    assert NO_DISTRICTS in response.context["form"].errors["sample_district"][0]
    assert not Campaign.objects.filter(slug="sipas-ls").exists()


def test_a_campaign_before_the_reform_may_still_survey_districts(actors, tree):
    payload = create_payload(root=tree["20"].pk, agency_kinds=["district"], sample_district="200")  # March 2025

    response = browser(actors.officer_a).post("/campaigns/new/", payload)

    assert NO_DISTRICTS not in html_of(response)


def test_the_creation_form_names_the_district_level_as_before_the_reform(actors):
    html = html_of(browser(actors.officer_a).get("/campaigns/new/"))

    assert "Districts (campaigns before 1 July 2025)" in html


def test_editing_a_campaign_after_the_reform_offers_no_district_sample(draft, actors):
    response = browser(actors.officer_a).get("/campaigns/ls-draft/edit/")

    assert "sample_district" not in response.context["form"].fields
    assert 'name="sample_district"' not in html_of(response)
    assert 'name="sample_commune"' in html_of(response)


def test_workspace_buttons_say_what_they_do_not_the_open_state(actors):
    """ "Open" (Vietnamese "Mở") is also the label of an open campaign's state: a button says what it does."""
    html = html_of(browser(actors.officer_a).get("/workspace/"))

    assert ">Open</a>" not in html
    assert "View the agency" in html
