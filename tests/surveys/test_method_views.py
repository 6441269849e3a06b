"""The officer's questionnaire pages (/methods/): scope (an officer of another province or a staff member gets a 404),
cloning, authoring a version through the pages and running a campaign on it end to end, the lock, the preview,
the spreadsheet export and import, and a campaign's version and grading per level."""

from __future__ import annotations

import datetime
import io
import uuid

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from reports.services.compute import compute_campaign_index
from sipas.models import AuditEntry
from surveys.models import Campaign, CampaignState, Methodology, Response
from surveys.services.methodology import clone_methodology
from surveys.services.responses import submit_response
from tests.surveys.test_method_spreadsheet import SMALL, workbook


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def login(client, user):
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # messages compared in English
    return client


@pytest.fixture
def own_version(actors, tree) -> Methodology:
    return clone_methodology(
        source=Methodology.objects.get(code="SIPAS-2017"), code="LS-2026", name="Lạng Sơn 2026", owner=tree["20"]
    )


# --- scope --------------------------------------------------------------------------------------------------------


def test_an_officer_lists_the_shipped_versions_and_their_provinces_own(client, actors, own_version, tree):
    clone_methodology(source=own_version, code="QN-2026", name="Quảng Ninh", owner=tree["22"])

    html = login(client, actors.officer_a).get(reverse("methods:list")).content.decode()

    assert "SIPAS-2017" in html and "SIPAS-2023" in html and "LS-2026" in html and "QN-2026" not in html


@pytest.mark.parametrize("who", ["officer_b", "staff", "manager"])
def test_another_provinces_officer_and_other_roles_get_a_404(client, actors, own_version, who):
    client = login(client, getattr(actors, who))

    assert client.get(reverse("methods:detail", args=["LS-2026"])).status_code == 404
    assert client.get(reverse("methods:question", args=["LS-2026", "TC1"])).status_code == 404
    assert client.get(reverse("methods:export", args=["LS-2026"])).status_code == 404


def test_a_shipped_version_is_read_and_cloned_never_edited(client, actors):
    client = login(client, actors.officer_a)

    assert client.get(reverse("methods:detail", args=["SIPAS-2023"])).status_code == 200
    assert client.get(reverse("methods:question", args=["SIPAS-2023", "I_A1"])).status_code == 404
    assert client.post(reverse("methods:settings", args=["SIPAS-2023"]), {"name": "X"}).status_code == 404


def test_cloning_through_the_page_gives_the_province_a_version(client, actors, tree):
    response = login(client, actors.officer_a).post(
        reverse("methods:detail", args=["SIPAS-2023"]),
        {"action": "clone", "clone-code": "HN-2025", "clone-name": "Hà Nội 2025"},
    )

    assert response.status_code == 302
    clone = Methodology.objects.get(code="HN-2025")
    assert (clone.owner, clone.based_on.code, clone.parts) == (tree["20"], "SIPAS-2023", clone.based_on.parts)
    assert AuditEntry.objects.filter(action="methodology.cloned", actor=actors.officer_a).exists()


# --- authoring through the pages ----------------------------------------------------------------------------------


def test_a_version_authored_through_the_pages_runs_a_campaign_end_to_end(client, actors, own_version, tree):
    client = login(client, actors.officer_a)
    url = reverse("methods:detail", args=["LS-2026"])
    assert (
        client.post(reverse("methods:factor-new", args=["LS-2026"]), {"code": "XA", "name": "Cấp xã"}).status_code
        == 302
    )
    new_question = {
        "code": "XA1", "text": "Cán bộ xã đến tận nhà?", "text_en": "Did an official come to your home?",
        "kind": "yes_no", "role": "fact", "section": "XA", "options": "1 | Có | Yes\n2 | Không | No",
    }  # fmt: skip
    assert client.post(reverse("methods:question-new", args=["LS-2026"]), new_question).status_code == 302
    follow_up = {
        "code": "XA2", "text": "Cán bộ hướng dẫn tận tình", "kind": "scale5", "role": "criterion", "factor":
        own_version.factors.get(code="XA").pk, "shown_if_question": "XA1", "shown_if_values": "1",
        "agency_kinds": ["commune"],
    }  # fmt: skip
    assert client.post(reverse("methods:question-new", args=["LS-2026"]), follow_up).status_code == 302
    edit = {**new_question, "text": "Cán bộ xã có đến tận nhà không?"}
    assert client.post(reverse("methods:question", args=["LS-2026", "XA1"]), edit).status_code == 302
    assert client.post(url, {"action": "question_delete", "code": "YK"}).status_code == 302
    assert "XA2" in client.get(url).content.decode()
    xa2 = own_version.questions.get(code="XA2")
    assert (xa2.shown_if, xa2.agency_kinds, xa2.factor.code) == (
        {"question": "XA1", "values": ["1"]},
        ["commune"],
        "XA",
    )
    assert not own_version.questions.filter(code="YK").exists()

    campaign = Campaign.objects.create(
        year=2026, name="Tự xây dựng", slug="authored", root=tree["20"], methodology=own_version,
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31), state=CampaignState.OPEN, channels=["web"],
    )  # fmt: skip
    campaign.participants.create(agency=tree["06001"], min_sample=1)
    for answers in ({"XA1": "1", "XA2": 5, "HL_TC": 4}, {"XA1": "2", "HL_TC": 2}):
        submit_response(campaign=campaign, agency=tree["06001"], answers=answers, client_id=uuid.uuid4(), channel="web")
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.CLOSED)
    campaign.refresh_from_db()

    figures = compute_campaign_index(campaign=campaign).agency_results.get(agency=tree["06001"]).figures

    assert figures["factors"]["XA"]["evaluation"] == 100.0
    assert figures["facts"]["XA1"] == {"1": 50.0, "2": 50.0}
    assert figures["sipas"] == 50.0  # only HL_TC answered: mean of the factors' satisfaction with answers


def test_a_bad_question_is_refused_with_the_reason_and_nothing_changes(client, actors, own_version):
    response = login(client, actors.officer_a).post(
        reverse("methods:question", args=["LS-2026", "TC1"]),
        {"code": "TC1", "text": "x", "kind": "scale5", "role": "criterion", "shown_if_question": "PA",
         "shown_if_values": "1"},
    )  # fmt: skip

    assert response.status_code == 200
    assert "must come before" in response.content.decode() or "Select a valid choice" in response.content.decode()
    assert own_version.questions.get(code="TC1").shown_if is None


def test_a_version_with_responses_refuses_edits_through_the_pages(client, actors, own_version, tree):
    campaign = Campaign.objects.create(
        year=2026, name="Đã trả lời", slug="answered", root=tree["20"], methodology=own_version,
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31), state=CampaignState.OPEN, channels=["web"],
    )  # fmt: skip
    campaign.participants.create(agency=tree["06001"])
    Response.objects.create(
        campaign=campaign, agency=tree["06001"], client_id=uuid.uuid4(), channel="web", answers={"HL": 4},
        submitted_at="2026-05-01T09:00:00Z",
    )  # fmt: skip
    client = login(client, actors.officer_a)

    response = client.post(reverse("methods:detail", args=["LS-2026"]), {"action": "question_delete", "code": "YK"},
                           follow=True)  # fmt: skip

    assert "clone it and change the clone" in response.content.decode()
    assert own_version.questions.filter(code="YK").exists()
    assert "already has responses" in client.get(reverse("methods:detail", args=["LS-2026"])).content.decode()


def test_the_weights_are_confirmed_by_an_officer_and_audited(client, actors, tree):
    version = clone_methodology(source=Methodology.objects.get(code="SIPAS-2023"), code="HN-2025", name="HN",
                                owner=tree["20"])  # fmt: skip
    client = login(client, actors.officer_a)
    assert "No officer has confirmed" in client.get(reverse("methods:detail", args=["HN-2025"])).content.decode()

    client.post(reverse("methods:detail", args=["HN-2025"]), {"action": "confirm_weights"})

    version.refresh_from_db()
    assert version.weights_confirmed_by == actors.officer_a
    assert AuditEntry.objects.filter(action="methodology.weights_confirmed").exists()


# --- preview, export, import --------------------------------------------------------------------------------------


def test_the_preview_shows_the_form_an_agency_kind_is_asked_in_a_frame_of_the_portal(client, actors, own_version):
    from surveys.services.methodology import add_question

    add_question(methodology=own_version, code="XA1", kind="scale5", role="criterion", section="TC", text="Chỉ xã",
                 agency_kinds=["commune"])  # fmt: skip
    client = login(client, actors.officer_a)

    commune = client.get(reverse("methods:preview", args=["LS-2026"]) + "?kind=commune")
    department = client.get(reverse("methods:preview", args=["LS-2026"]) + "?kind=department")

    assert 'id="q-XA1"' in commune.content.decode() and 'id="q-XA1"' not in department.content.decode()
    assert 'data-when="PA:1"' in commune.content.decode()  # the skip logic, as on the citizen form
    assert commune["X-Frame-Options"] == "SAMEORIGIN"


def test_the_export_downloads_a_workbook_of_the_layout(client, actors):
    response = login(client, actors.officer_a).get(reverse("methods:export", args=["SIPAS-2017"]))

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheets = load_workbook(io.BytesIO(response.content)).sheetnames
    assert sheets[:3] == ["settings", "questions", "choices"]


def test_importing_through_the_portal_lists_every_problem_or_creates_the_version(client, actors, tree):
    client = login(client, actors.officer_a)
    bad = workbook({**SMALL, "questions": SMALL["questions"] + [SMALL["questions"][0]]})
    bad.name = "bad.xlsx"

    response = client.post(reverse("methods:import"), {"file": bad})

    assert response.status_code == 400 and "Duplicate code TC1." in response.content.decode()
    good = workbook(SMALL)
    good.name = "good.xlsx"
    response = client.post(reverse("methods:import"), {"file": good})
    assert response.status_code == 302
    assert Methodology.objects.get(code="LS-XA-2026").owner == tree["20"]


# --- a campaign's version per level -------------------------------------------------------------------------------


def test_an_officer_sets_a_levels_version_target_and_bands(client, actors, tree, make_survey_campaign):
    campaign = make_survey_campaign("levels-page", state=CampaignState.DRAFT)
    sipas_2023 = Methodology.objects.get(code="SIPAS-2023")

    response = login(client, actors.officer_a).post(
        reverse("methods:campaign-levels", args=[campaign.slug]),
        {
            "commune_version": sipas_2023.pk,
            "commune_target": "90",
            "commune_bands": "95 | Xuất sắc | Excellent\n80 | Tốt",
        },
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.commune_methodology == sipas_2023 and campaign.department_methodology is None
    assert campaign.level_grading == {
        "commune": {"target": 90.0, "bands": [{"min": 95, "label": "Xuất sắc", "label_en": "Excellent"},
                                             {"min": 80, "label": "Tốt", "label_en": ""}]}
    }  # fmt: skip


def test_another_provinces_officer_cannot_reach_a_campaigns_levels(client, actors, make_survey_campaign):
    campaign = make_survey_campaign("levels-scope", state=CampaignState.DRAFT)

    assert (
        login(client, actors.officer_b).get(reverse("methods:campaign-levels", args=[campaign.slug])).status_code == 404
    )
