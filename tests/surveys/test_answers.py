"""validate_answers: the one check every channel uses. Every message, the skip logic (strict for imports and
the API, lenient for the web form), the normalisation of values (Excel floats, NC strings, empties), and the
usual spellings it looks up first agreeing with the general check (hypothesis against its literal definition)."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.services.answers import QuestionSet, _check_for, validate_answers


@pytest.fixture(autouse=True)
def _english():
    """Messages are asserted in their source language, whatever the Vietnamese catalogue says."""
    with translation.override("en"):
        yield


@pytest.fixture
def questions(sipas_2017) -> QuestionSet:
    return QuestionSet.for_agency(sipas_2017.questions.all(), "commune")


# --- accepted values --------------------------------------------------------------------------------------------


def test_a_complete_sheet_is_accepted_as_is(questions, varied_answers):
    answers, errors = validate_answers(questions, varied_answers)

    assert errors == {}
    assert answers == varied_answers


@pytest.mark.parametrize("value", ["4", " 4 ", 4, 4.0])
def test_scale_value_is_stored_as_an_int(questions, value):
    answers, errors = validate_answers(questions, {"TC1": value})

    assert errors == {}
    assert answers == {"TC1": 4}
    assert type(answers["TC1"]) is int


@pytest.mark.parametrize("value", [1, 5])
def test_both_ends_of_the_scale_are_accepted(questions, value):
    assert validate_answers(questions, {"HL": value}) == ({"HL": value}, {})


@pytest.mark.parametrize("value", [None, "", "   ", [], ()])
def test_an_empty_value_is_stored_as_absent_never_as_zero(questions, value):
    answers, errors = validate_answers(questions, {"TC1": value, "DL": value, "NC": value, "YK": value, "HL": 5})

    assert errors == {}
    assert answers == {"HL": 5}


def test_choice_from_an_excel_float_becomes_its_option_code(questions):
    answers, errors = validate_answers(questions, {"DL": 2.0, "TH": 3, "PA": "1"})

    assert errors == {}
    assert answers == {"DL": "2", "TH": "3", "PA": "1"}


def test_needs_are_stored_in_option_order_without_duplicates(questions):
    answers, errors = validate_answers(questions, {"NC": ["NC5", "NC3", "NC5"]})

    assert errors == {}
    assert answers == {"NC": ["NC3", "NC5"]}


def test_needs_as_a_pipe_joined_string_like_in_an_import_file(questions):
    assert validate_answers(questions, {"NC": "NC3|NC5"}) == ({"NC": ["NC3", "NC5"]}, {})


def test_three_needs_are_allowed(questions):
    assert validate_answers(questions, {"NC": "NC9|NC1|NC4"}) == ({"NC": ["NC1", "NC4", "NC9"]}, {})


def test_a_repeated_need_does_not_count_twice_towards_the_limit(questions):
    answers, errors = validate_answers(questions, {"NC": ["NC1", "NC1", "NC2", "NC3"]})

    assert errors == {}
    assert answers == {"NC": ["NC1", "NC2", "NC3"]}


def test_comment_is_trimmed(questions):
    assert validate_answers(questions, {"YK": "  Tốt lắm  \n"}) == ({"YK": "Tốt lắm"}, {})


def test_comment_of_exactly_2000_characters_is_accepted(questions):
    answers, errors = validate_answers(questions, {"YK": "ă" * 2000})

    assert errors == {}
    assert len(answers["YK"]) == 2000


def test_comment_never_keeps_a_null_character(questions):
    """PostgreSQL cannot store U+0000 in a JSON value: it must be refused (or removed) here, for every channel."""
    answers, _errors = validate_answers(questions, {"YK": "Tốt\x00 lắm", "HL": 4})

    assert "\x00" not in answers.get("YK", "")


# --- every message ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, 6, "7", -1])
def test_scale_out_of_range_is_refused(questions, value):
    answers, errors = validate_answers(questions, {"TC1": value})

    assert errors == {"TC1": "Choose a level from 1 to 5, or leave it empty."}
    assert "TC1" not in answers


@pytest.mark.parametrize("value", ["abc", "4.5", 4.5, "bốn", True])
def test_scale_value_that_is_not_a_whole_number_is_refused(questions, value):
    answers, errors = validate_answers(questions, {"HL_CC": value})

    assert errors == {"HL_CC": "Choose a level from 1 to 5, or leave it empty."}
    assert answers == {}


@pytest.mark.parametrize(("code", "value"), [("DL", "9"), ("TH", "0"), ("PA", "yes"), ("GT", 2.5), ("XL", "x")])
def test_choice_that_is_not_an_option_is_refused(questions, code, value):
    answers, errors = validate_answers(questions, {code: value}, strict_skips=False)

    assert errors == {code: "Choose one of the listed answers."}
    assert answers == {}


@pytest.mark.parametrize("value", [["NC1", "NC99"], "NC2|XYZ", ["nc1"]])
def test_needs_with_an_unknown_code_are_refused(questions, value):
    answers, errors = validate_answers(questions, {"NC": value})

    assert errors == {"NC": "Choose among the listed answers only."}
    assert answers == {}


def test_more_than_three_needs_are_refused(questions):
    answers, errors = validate_answers(questions, {"NC": ["NC1", "NC2", "NC3", "NC4"]})

    assert errors == {"NC": "Choose at most 3 answers."}
    assert answers == {}


def test_comment_over_2000_characters_is_refused(questions):
    answers, errors = validate_answers(questions, {"YK": "a" * 2001})

    assert errors == {"YK": "Write at most 2000 characters."}
    assert answers == {}


def test_unknown_question_code_is_refused(questions):
    answers, errors = validate_answers(questions, {"ZZ9": 3, "HL": 4})

    assert errors == {"ZZ9": "There is no question ZZ9 in this questionnaire."}
    assert "ZZ9" not in answers


def test_unknown_question_code_is_ignored_when_allowed(questions):
    assert validate_answers(questions, {"ZZ9": 3, "HL": 4}, allow_unknown=True) == ({"HL": 4}, {})


def test_every_wrong_question_gets_its_own_message(questions):
    _answers, errors = validate_answers(questions, {"TC1": 9, "DL": "7", "NC": "NC1|NC2|NC3|NC4", "HL": 4})

    assert set(errors) == {"TC1", "DL", "NC"}


# --- skip logic -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["GY2", "GY3", "GY4", "HL_GY"])
def test_strict_feedback_follow_up_after_pa_no_is_an_error_on_that_question(questions, code):
    answers, errors = validate_answers(questions, {"PA": "2", code: 4, "GY1": 4})

    assert errors == {code: "Must be empty: it is asked only when PA is 1."}
    assert code not in answers


def test_strict_feedback_follow_up_without_any_pa_answer_is_an_error(questions):
    _answers, errors = validate_answers(questions, {"GY2": 4})

    assert set(errors) == {"GY2"}


def test_strict_apology_when_the_result_was_not_late_is_an_error(questions):
    answers, errors = validate_answers(questions, {"TH": "2", "XL": "1"})

    assert errors == {"XL": "Must be empty: it is asked only when TH is 3."}
    assert answers == {"TH": "2"}


def test_strict_follow_ups_after_their_filter_yes_are_kept(questions):
    raw = {"PA": "1", "GY2": 4, "GY3": 5, "GY4": 3, "HL_GY": 4, "TH": "3", "XL": "2"}

    assert validate_answers(questions, raw) == (raw, {})


def test_gy1_is_asked_of_everyone(questions):
    assert validate_answers(questions, {"PA": "2", "GY1": 5}) == ({"PA": "2", "GY1": 5}, {})


def test_lenient_skip_drops_hidden_answers_and_keeps_the_rest(questions):
    raw = {"PA": "2", "GY1": 4, "GY2": 4, "HL_GY": 5, "TH": "1", "XL": "1", "HL": 4}

    answers, errors = validate_answers(questions, raw, strict_skips=False)

    assert errors == {}
    assert answers == {"PA": "2", "GY1": 4, "TH": "1", "HL": 4}


def test_lenient_skip_still_reports_bad_values_elsewhere(questions):
    _answers, errors = validate_answers(questions, {"PA": "2", "GY2": 4, "TC1": 8}, strict_skips=False)

    assert set(errors) == {"TC1"}


# --- the usual spellings, looked up first, are accepted as the general check accepts them ------------------------


def test_every_usual_spelling_is_cleaned_as_the_general_check_cleans_it(questions):
    looked_up = 0
    for _code, spellings, check in questions._fields:
        for text, clean in spellings.items():
            if text:
                assert check(text) == (clean, None)
                looked_up += 1
    assert looked_up > 100  # every scale and choice of SIPAS-2017 has its spellings


def literal_validate_answers(questions: QuestionSet, raw, *, strict_skips: bool, allow_unknown: bool):
    """validate_answers as its contract reads, every value through the general check, no table."""
    by_code = {q.code: q for q in questions.questions}
    answers, errors = {}, {}
    if not allow_unknown:
        for code in raw:
            if code not in by_code:
                errors[code] = f"There is no question {code} in this questionnaire."
    for question in questions.questions:
        value = raw.get(question.code)
        if value in (None, "", [], ()) or (isinstance(value, str) and not value.strip()):
            continue
        clean, error = _check_for(question)(value)
        if error:
            errors[question.code] = error
        else:
            answers[question.code] = clean
    for question in questions.questions:
        condition = question.shown_if
        hidden = condition and str(answers.get(condition["question"], "")) not in condition["values"]
        if hidden and question.code in answers:
            if strict_skips:
                shown = "/".join(condition["values"])
                errors[question.code] = f"Must be empty: it is asked only when {condition['question']} is {shown}."
            answers.pop(question.code)
    return answers, errors


ODD_VALUES = ["", " ", "  4", "4 ", "04", "+4", "4.0", "٤", "0", "6", "-1", "x", "1|2", "NC3|NC3", "NC5|NC3|",
              " NC1", "NC10", "NC1|NC2|NC3|NC4", "1 ", "true", "a\x00b", "x\r\ny\tz", "\x1f", 4, 0, 7, 4.0, 2.5,
              True, False, None, [], ["NC1", "NC1"], ("NC2",)]  # fmt: skip


@st.composite
def raw_answers(draw, codes: list[str], spellings: dict[str, list]) -> dict:
    """Answers as the channels send them: mostly usual spellings, some odd values, now and then an unknown code."""
    raw = {}
    for code in draw(st.lists(st.sampled_from(codes), unique=True)):
        raw[code] = draw(st.sampled_from(spellings[code]) | st.sampled_from(ODD_VALUES) | st.text(max_size=3))
    if draw(st.integers(0, 9)) == 0:
        raw["ZZ9"] = draw(st.sampled_from(ODD_VALUES))
    return raw


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), strict_skips=st.booleans(), allow_unknown=st.booleans())
def test_validate_answers_agrees_with_its_literal_definition(questions, data, strict_skips, allow_unknown):
    codes = [q.code for q in questions.questions]
    spellings = {code: [text for text in usual if text] or ["Tốt"] for code, usual, _q in questions._fields}
    spellings["NC"] = ["NC1", "NC3|NC5", "NC9|NC1|NC4", ["NC2", "NC7"]]
    raw = data.draw(raw_answers(codes, spellings))
    options = {"strict_skips": strict_skips, "allow_unknown": allow_unknown}
    assert validate_answers(questions, raw, **options) == literal_validate_answers(questions, raw, **options)
