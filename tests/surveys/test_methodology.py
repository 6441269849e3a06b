"""The questionnaire as versioned data: SIPAS-2017 as loaded by the data migration, the lock of a version that
has responses, and clones with level-specific questions."""

from __future__ import annotations

import uuid
from collections import Counter

import pytest
from django.utils import timezone

from sipas.models import AuditEntry
from surveys.methodology.sipas_2017 import definition
from surveys.models import Methodology, Question, QuestionKind, QuestionRole, Response
from surveys.services.methodology import MethodologyLocked, add_question, clone_methodology, load_methodology
from surveys.services.responses import question_set

FORM_ORDER = [
    "TC1", "TC2", "TC3", "TC4", "HL_TC",
    "TT1", "TT2", "TT3", "TT4", "TT5", "HL_TT",
    "CC1", "CC2", "CC3", "CC4", "CC5", "CC6", "HL_CC",
    "KQ1", "KQ2", "KQ3", "HL_KQ",
    "GY1", "PA", "GY2", "GY3", "GY4", "HL_GY",
    "HL", "DL", "TH", "XL", "PH", "TN", "NC",
    "GT", "TUOI", "HV", "NN", "DT", "KV", "LV", "YK",
]  # fmt: skip
COMMUNE_ONLY_QUESTION = {
    "code": "TC5",
    "kind": QuestionKind.SCALE5,
    "role": QuestionRole.CRITERION,
    "section": "TC",
    "text": "Bộ phận Một cửa của xã dễ tìm",
    "text_en": "The commune's one-stop shop is easy to find",
    "agency_kinds": ["commune"],
}


def codes(questions) -> list[str]:
    return [q.code for q in questions]


def question(methodology: Methodology, code: str) -> Question:
    return methodology.questions.get(code=code)


def store_a_response(campaign, agency) -> Response:
    return Response.objects.create(
        campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel="web", answers={"HL": 4},
        submitted_at=timezone.now(),
    )  # fmt: skip


# --- SIPAS-2017 as loaded by the migration ----------------------------------------------------------------------


def test_migration_loads_sipas_2017_with_its_five_factors_in_order(sipas_2017):
    assert list(sipas_2017.factors.values_list("code", flat=True)) == ["TC", "TT", "CC", "KQ", "GY"]


def test_the_22_criteria_are_split_4_5_6_3_4_over_the_factors(sipas_2017):
    criteria = sipas_2017.questions.filter(role=QuestionRole.CRITERION)

    assert criteria.count() == 22
    assert Counter(criteria.values_list("factor__code", flat=True)) == {"TC": 4, "TT": 5, "CC": 6, "KQ": 3, "GY": 4}
    assert set(criteria.values_list("kind", flat=True)) == {QuestionKind.SCALE5}


def test_questions_come_in_form_order_with_pa_right_after_gy1(sipas_2017):
    assert codes(sipas_2017.questions.all()) == FORM_ORDER


def test_each_factor_has_its_satisfaction_question_and_there_is_one_overall_question(sipas_2017):
    satisfaction = sipas_2017.questions.filter(role=QuestionRole.FACTOR_SATISFACTION)

    assert {(q.code, q.factor.code, q.kind) for q in satisfaction} == {
        (f"HL_{f}", f, QuestionKind.SCALE5) for f in ("TC", "TT", "CC", "KQ", "GY")
    }
    overall = question(sipas_2017, "HL")
    assert (overall.role, overall.kind, overall.factor) == (QuestionRole.OVERALL, QuestionKind.SCALE5, None)


def test_pa_is_a_yes_no_filter_that_gates_gy2_to_gy4_and_hl_gy(sipas_2017):
    pa = question(sipas_2017, "PA")
    gated = sipas_2017.questions.filter(shown_if__isnull=False).exclude(code="XL")

    assert (pa.kind, pa.role, pa.option_codes()) == (QuestionKind.YES_NO, QuestionRole.FILTER, ["1", "2"])
    assert sorted(codes(gated)) == ["GY2", "GY3", "GY4", "HL_GY"]
    assert all(q.shown_if == {"question": "PA", "values": ["1"]} for q in gated)
    assert question(sipas_2017, "GY1").shown_if is None


@pytest.mark.parametrize(
    ("code", "options"),
    [("DL", ["1", "2", "3", "4"]), ("TH", ["1", "2", "3"]), ("XL", ["1", "2"]), ("PH", ["1", "2"]), ("TN", ["1", "2"])],
)
def test_reported_facts_have_their_option_codes(sipas_2017, code, options):
    fact = question(sipas_2017, code)

    assert fact.role == QuestionRole.FACT
    assert fact.option_codes() == options


def test_xl_is_asked_only_when_the_result_was_late(sipas_2017):
    assert question(sipas_2017, "XL").shown_if == {"question": "TH", "values": ["3"]}


def test_needs_question_offers_nc1_to_nc9_and_allows_at_most_three(sipas_2017):
    nc = question(sipas_2017, "NC")

    assert (nc.kind, nc.role, nc.max_choices) == (QuestionKind.MULTI, QuestionRole.NEEDS, 3)
    assert nc.option_codes() == [f"NC{i}" for i in range(1, 10)]


def test_profile_questions_and_the_free_comment(sipas_2017):
    profile = sipas_2017.questions.filter(role=QuestionRole.PROFILE)
    comment = question(sipas_2017, "YK")

    assert codes(profile) == ["GT", "TUOI", "HV", "NN", "DT", "KV", "LV"]
    assert all(q.kind == QuestionKind.SINGLE and q.options for q in profile)
    assert (comment.kind, comment.role) == (QuestionKind.TEXT, QuestionRole.COMMENT)


def test_answer_scale_has_five_levels_with_four_and_five_positive(sipas_2017):
    assert [level["code"] for level in sipas_2017.scale] == ["1", "2", "3", "4", "5"]
    assert sipas_2017.positive_min == 4


def test_every_text_of_the_questionnaire_is_present_in_vietnamese_and_english(sipas_2017):
    texts = [(q.code, q.text, q.text_en) for q in sipas_2017.questions.all()]
    texts += [(f.code, f.name, f.name_en) for f in sipas_2017.factors.all()]
    texts += [
        (f"{q.code}={o['code']}", o["label"], o["label_en"]) for q in sipas_2017.questions.all() for o in q.options
    ]
    texts += [(f"scale={s['code']}", s["label"], s["label_en"]) for s in sipas_2017.scale]
    texts += [("name", sipas_2017.name, sipas_2017.name_en)]

    missing = [code for code, vi, en in texts if not vi.strip() or not en.strip()]

    assert missing == []


def test_vietnamese_wording_is_vietnamese(sipas_2017):
    assert question(sipas_2017, "TC1").text.startswith("Nơi ngồi chờ")
    assert sipas_2017.scale[4]["label"] == "Rất hài lòng"


def test_loading_the_definition_again_creates_no_second_version(sipas_2017):
    loaded = load_methodology(definition())

    assert loaded == sipas_2017
    assert Methodology.objects.filter(code="SIPAS-2017").count() == 1
    assert sipas_2017.questions.count() == len(FORM_ORDER)


# --- locked versions and clones ---------------------------------------------------------------------------------


def test_a_version_with_responses_cannot_get_a_new_question(open_campaign, sipas_2017, tree):
    store_a_response(open_campaign, tree["06001"])

    with pytest.raises(MethodologyLocked):
        add_question(methodology=sipas_2017, **COMMUNE_ONLY_QUESTION)

    assert codes(sipas_2017.questions.all()) == FORM_ORDER


def test_a_clone_copies_every_factor_and_question_and_records_its_source(sipas_2017, actors):
    clone = clone_methodology(source=sipas_2017, code="LS-2025", name="Lạng Sơn 2025", acting_user=actors.officer_a)

    assert clone.based_on == sipas_2017
    assert list(clone.factors.values_list("code", "name", "name_en")) == list(
        sipas_2017.factors.values_list("code", "name", "name_en")
    )
    fields = (
        "code",
        "kind",
        "role",
        "section",
        "text",
        "text_en",
        "options",
        "max_choices",
        "shown_if",
        "factor__code",
    )
    assert list(clone.questions.values_list(*fields)) == list(sipas_2017.questions.values_list(*fields))
    assert (clone.scoring, clone.positive_min, clone.scale) == (
        sipas_2017.scoring,
        sipas_2017.positive_min,
        sipas_2017.scale,
    )


def test_a_clone_has_its_own_factors_and_leaves_the_source_untouched(sipas_2017):
    clone = clone_methodology(source=sipas_2017, code="LS-2025", name="Lạng Sơn 2025")

    assert not clone.questions.exclude(factor=None).exclude(factor__methodology=clone).exists()
    assert codes(sipas_2017.questions.all()) == FORM_ORDER
    assert sipas_2017.factors.count() == 5


def test_a_version_with_responses_can_still_be_cloned(open_campaign, sipas_2017, tree):
    store_a_response(open_campaign, tree["06001"])

    clone = clone_methodology(source=sipas_2017, code="LS-2025", name="Lạng Sơn 2025")

    assert codes(clone.questions.all()) == FORM_ORDER


def test_cloning_is_audited(sipas_2017, actors):
    clone = clone_methodology(source=sipas_2017, code="LS-2025", name="Lạng Sơn 2025", acting_user=actors.officer_a)

    entry = AuditEntry.objects.get(action="methodology.cloned")
    assert (entry.actor, entry.target_id, entry.data) == (actors.officer_a, str(clone.pk), {"source": "SIPAS-2017"})


def test_a_clone_cannot_take_a_code_in_use(sipas_2017):
    before = Methodology.objects.count()
    with pytest.raises(ValueError, match="SIPAS-2017"):
        clone_methodology(source=sipas_2017, code="SIPAS-2017", name="Again")

    assert Methodology.objects.count() == before


def test_a_clone_accepts_a_commune_only_question(sipas_2017):
    clone = clone_methodology(source=sipas_2017, code="LS-2025", name="Lạng Sơn 2025")

    added = add_question(methodology=clone, **COMMUNE_ONLY_QUESTION)

    assert codes(clone.questions.all()) == [*FORM_ORDER, "TC5"]
    assert added.agency_kinds == ["commune"]
    assert not sipas_2017.questions.filter(code="TC5").exists()


def test_commune_only_question_is_asked_of_communes_and_not_of_departments(sipas_2017, make_survey_campaign, tree):
    clone = clone_methodology(source=sipas_2017, code="LS-2025", name="Lạng Sơn 2025")
    add_question(methodology=clone, **COMMUNE_ONLY_QUESTION)
    campaign = make_survey_campaign("ls-2025", methodology=clone)

    commune_codes = codes(question_set(campaign, tree["06001"]).questions)
    department_codes = codes(question_set(campaign, tree["20.SNV"]).questions)

    assert "TC5" in commune_codes
    assert "TC5" not in department_codes
    assert department_codes == FORM_ORDER


def test_a_question_code_cannot_be_added_twice_to_a_version(sipas_2017):
    clone = clone_methodology(source=sipas_2017, code="LS-2025", name="Lạng Sơn 2025")

    with pytest.raises(ValueError, match="TC1"):
        add_question(methodology=clone, **{**COMMUNE_ONLY_QUESTION, "code": "TC1"})

    assert clone.questions.filter(code="TC1").count() == 1
