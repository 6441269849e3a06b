"""Versions officers author (issue 18): a version that has responses refuses every edit; edits keep the version
consistent (skip logic, one satisfaction question per factor) and are audited; a campaign's version per level is what
its agencies are asked, on the citizen form, in paper entry and in the import's columns; an imported version runs a
campaign end to end."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from reports.services.compute import compute_campaign_index
from sipas.models import AuditEntry
from surveys.models import Campaign, CampaignState, Methodology, Question, Response
from surveys.services.campaigns import CampaignStateError, set_level_settings
from surveys.services.imports import ResponseImportRejected, import_responses
from surveys.services.methodology import (
    MethodologyError,
    MethodologyLocked,
    clone_methodology,
    confirm_weights,
    delete_question,
    is_locked,
    move_question,
    save_factor,
    save_question,
    update_settings,
)
from surveys.services.responses import question_set, submit_response
from tests.surveys.test_method_spreadsheet import SMALL, workbook


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def draft(db) -> Methodology:
    return clone_methodology(source=Methodology.objects.get(code="SIPAS-2017"), code="LS-2026", name="Lạng Sơn 2026")


@pytest.fixture
def sipas_2023(db) -> Methodology:
    return Methodology.objects.get(code="SIPAS-2023")


def respond(campaign, agency, answers) -> Response:
    return Response.objects.create(
        campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel="web", answers=answers,
        submitted_at=timezone.now(),
    )  # fmt: skip


# --- the lock -----------------------------------------------------------------------------------------------------


def test_a_version_answered_at_a_level_refuses_every_edit(tree, draft, make_survey_campaign):
    campaign = make_survey_campaign("locking", state=CampaignState.DRAFT)
    set_level_settings(campaign=campaign, versions={"commune": draft})
    assert not is_locked(draft)
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.OPEN)
    respond(campaign, tree["06001"], {"HL": 4})

    assert is_locked(draft)
    edits = [
        lambda: update_settings(methodology=draft, name="Khác"),
        lambda: save_factor(methodology=draft, code="XA", name="Cấp xã"),
        lambda: save_question(methodology=draft, question=draft.questions.get(code="TC1"), text="Khác"),
        lambda: delete_question(question=draft.questions.get(code="YK")),
        lambda: move_question(question=draft.questions.get(code="YK"), up=True),
    ]
    for edit in edits:
        with pytest.raises(MethodologyLocked, match="clone it"):
            edit()
    assert draft.questions.get(code="TC1").text.startswith("Nơi ngồi chờ")


def test_a_response_of_another_level_does_not_lock_the_version(tree, draft, make_survey_campaign):
    campaign = make_survey_campaign("other-level", state=CampaignState.DRAFT)
    set_level_settings(campaign=campaign, versions={"commune": draft})
    respond(campaign, tree["20.SNV"], {"HL": 4})  # a department: it answers the default version

    assert not is_locked(draft)
    assert is_locked(campaign.methodology)


def test_a_clone_of_a_locked_version_can_be_edited(tree, open_campaign):
    respond(open_campaign, tree["06001"], {"HL": 4})
    clone = clone_methodology(source=open_campaign.methodology, code="LS-2027", name="Bản sao")

    save_question(methodology=clone, question=clone.questions.get(code="TC1"), text="Chỗ ngồi chờ đủ")

    assert clone.questions.get(code="TC1").text == "Chỗ ngồi chờ đủ"


def test_a_campaign_changes_a_levels_version_only_as_a_draft(draft, open_campaign):
    with pytest.raises(CampaignStateError):
        set_level_settings(campaign=open_campaign, versions={"commune": draft})


# --- edits --------------------------------------------------------------------------------------------------------


def test_skip_logic_must_follow_an_earlier_yes_no_or_single_choice(draft):
    tc1 = draft.questions.get(code="TC1")
    with pytest.raises(MethodologyError, match="must come before"):
        save_question(methodology=draft, question=tc1, shown_if={"question": "PA", "values": ["1"]})
    yk = draft.questions.get(code="YK")
    with pytest.raises(MethodologyError, match="yes/no or single-choice"):
        save_question(methodology=draft, question=yk, shown_if={"question": "NC", "values": ["NC1"]})
    with pytest.raises(MethodologyError, match="choose among the answers of DL"):
        save_question(methodology=draft, question=yk, shown_if={"question": "DL", "values": ["9"]})

    save_question(methodology=draft, question=yk, shown_if={"question": "DL", "values": ["3", "4"]})

    assert draft.questions.get(code="YK").shown_if == {"question": "DL", "values": ["3", "4"]}


def test_a_question_cannot_move_above_the_answer_that_opens_it(draft):
    with pytest.raises(MethodologyError, match="must stay after PA"):
        move_question(question=draft.questions.get(code="GY2"), up=True)

    move_question(question=draft.questions.get(code="GY1"), up=True)

    codes = list(draft.questions.order_by("order").values_list("code", flat=True))
    assert codes.index("GY1") < codes.index("HL_KQ")


def test_a_source_of_skip_logic_cannot_be_deleted(draft):
    with pytest.raises(MethodologyError, match="GY2, GY3, GY4, HL_GY"):
        delete_question(question=draft.questions.get(code="PA"))


def test_a_factor_has_one_satisfaction_question(draft):
    with pytest.raises(MethodologyError, match="satisfaction question already"):
        save_question(
            methodology=draft, code="HL_TC2", kind="scale5", role="factor_satisfaction",
            factor=draft.factors.get(code="TC"), text="Lại hài lòng?",
        )  # fmt: skip


def test_new_question_with_options_skip_logic_and_kinds_is_audited(draft, actors):
    question = save_question(
        methodology=draft, code="XA1", kind="single", role="fact", section="facts", text="Có phải chờ lâu không?",
        text_en="Did you wait long?", options=[{"code": "1", "label": "Có"}, {"code": "2", "label": "Không"}],
        shown_if={"question": "TH", "values": ["3"]}, agency_kinds=["commune"], acting_user=actors.officer_a,
    )  # fmt: skip

    assert question.order == draft.questions.count() - 1
    entry = AuditEntry.objects.filter(action="methodology.question_saved").latest("pk")
    assert (entry.actor, entry.data) == (actors.officer_a, {"question": "XA1"})


def test_changing_the_weights_clears_their_confirmation(sipas_2023, actors):
    version = clone_methodology(source=sipas_2023, code="HN-2025", name="Hà Nội 2025")
    confirm_weights(methodology=version, acting_user=actors.officer_a)
    version.refresh_from_db()
    assert version.weights_confirmed_by == actors.officer_a

    parts = [{**p, "weight": 1} for p in version.parts]
    version = update_settings(methodology=version, parts=parts)

    assert version.weights_confirmed_at is None


def test_settings_refuse_weights_of_zero_and_bands_out_of_order(sipas_2023):
    version = clone_methodology(source=sipas_2023, code="HN-2025", name="Hà Nội 2025")
    with pytest.raises(MethodologyError, match="above 0"):
        update_settings(methodology=version, parts=[{**p, "weight": 0} for p in version.parts])
    with pytest.raises(MethodologyError, match="best band first"):
        update_settings(methodology=version, bands=[{"min": 70, "label": "Khá"}, {"min": 90, "label": "Tốt"}])


# --- a version per level downstream -------------------------------------------------------------------------------


@pytest.fixture
def level_campaign(tree, sipas_2023, make_survey_campaign):
    campaign = make_survey_campaign("levels", state=CampaignState.DRAFT)
    set_level_settings(campaign=campaign, versions={"commune": sipas_2023})
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.OPEN)
    campaign.refresh_from_db()
    return campaign


def test_each_agency_is_asked_its_levels_version(tree, level_campaign):
    commune = question_set(level_campaign, tree["06001"])
    department = question_set(level_campaign, tree["20.SNV"])

    assert "I_A1" in commune.by_code and "TC1" not in commune.by_code
    assert "TC1" in department.by_code and "I_A1" not in department.by_code
    assert commune.scale[4]["label"] == "Rất hài lòng"


def test_the_citizen_form_of_a_commune_shows_its_version(client, tree, level_campaign):
    from surveys.services.links import ensure_reusable_links

    ensure_reusable_links(campaign=level_campaign)
    link = level_campaign.links.get(agency=tree["06001"], single_use=False)

    html = client.get(reverse("surveys:form", args=[link.token])).content.decode()

    assert 'id="q-I_A1"' in html and 'id="q-TC1"' not in html
    assert "Trải nghiệm của gia đình" in html or "Your household" in html  # the version's own section title


def test_the_citizen_form_reads_the_link_and_the_questions_only(
    client, tree, level_campaign, django_assert_num_queries
):
    """Two queries where the agency answers the campaign's default version (read with the link), a third for a
    level's own version: the version is read once, never per question."""
    from surveys.services.links import ensure_reusable_links

    ensure_reusable_links(campaign=level_campaign)
    department = level_campaign.links.get(agency=tree["20.SNV"], single_use=False)
    commune = level_campaign.links.get(agency=tree["06001"], single_use=False)

    with django_assert_num_queries(2):
        assert client.get(reverse("surveys:form", args=[department.token])).status_code == 200
    with django_assert_num_queries(3):
        assert client.get(reverse("surveys:form", args=[commune.token])).status_code == 200


def test_submitting_checks_answers_against_the_agencys_version(tree, level_campaign):
    response, _created = submit_response(
        campaign=level_campaign, agency=tree["06001"], answers={"I_A1": 5, "HS": "1", "HS_PH": "4"},
        client_id=uuid.uuid4(), channel="web",
    )  # fmt: skip
    assert response.answers == {"I_A1": 5, "HS": "1", "HS_PH": "4"}

    from surveys.services.responses import SubmissionRejected

    with pytest.raises(SubmissionRejected) as rejected:
        submit_response(
            campaign=level_campaign, agency=tree["06001"], answers={"TC1": 5}, client_id=uuid.uuid4(), channel="web"
        )
    assert "TC1" in rejected.value.errors


def test_an_import_files_columns_follow_each_agencys_version(tree, level_campaign, tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "agency_code,respondent_type,TC1,I_A1\n06001,individual,,5\n20.SNV,individual,4,\n06004,individual,4,5\n",
        encoding="utf-8",
    )

    with pytest.raises(ResponseImportRejected) as rejected:
        import_responses(campaign=level_campaign, source=path)

    assert [(e.row, e.column) for e in rejected.value.errors] == [(4, "TC1")]
    path.write_text(
        "agency_code,respondent_type,TC1,I_A1\n06001,individual,,5\n20.SNV,individual,4,\n", encoding="utf-8"
    )
    assert import_responses(campaign=level_campaign, source=path).imported == 2


# --- an imported version end to end -------------------------------------------------------------------------------


def test_an_imported_version_runs_a_campaign_end_to_end(tree, make_survey_campaign, tmp_path):
    from surveys.services.methodology import import_methodology

    version = import_methodology(source=workbook(SMALL), owner=tree["20"])
    campaign = make_survey_campaign("imported", state=CampaignState.DRAFT, methodology=version)
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.OPEN)
    campaign.refresh_from_db()
    for answers in ({"TC1": 5, "HL_TC": 5, "PA": "1", "GY2": 4, "DL": "1"}, {"TC1": 2, "HL_TC": 4, "PA": "2"}):
        submit_response(campaign=campaign, agency=tree["06001"], answers=answers, client_id=uuid.uuid4(), channel="web")
    path = tmp_path / "paper.csv"
    path.write_text("agency_code,respondent_type,TC1,HL_TC,PA,GY2,DL\n06004,individual,3,1,1,5,2\n", encoding="utf-8")
    import_responses(campaign=campaign, source=path)
    Campaign.objects.filter(pk=campaign.pk).update(state=CampaignState.CLOSED)
    campaign.refresh_from_db()

    run = compute_campaign_index(campaign=campaign)

    commune = run.agency_results.get(agency=tree["06001"]).figures
    assert (commune["version"], commune["sipas"], commune["criteria"]) == (
        "LS-XA-2026",
        100.0,
        {"TC1": 50.0, "GY2": 100.0},
    )
    assert commune["facts"]["DL"] == {"1": 100.0, "2": 0.0}
    pooled = run.group_results.get(key="commune").figures
    assert pooled["sipas"] == pytest.approx(200 / 3)
    assert Question.objects.filter(methodology=version).count() == 5
