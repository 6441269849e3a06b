"""Free comments (YK) sorted into themes by a readable keyword rule set, with or without diacritics."""

from __future__ import annotations

import datetime
import uuid

import pytest

from agencies.models import AgencyKind
from reports.comments import Comment, comments_by_theme, group_by_theme, is_comment, run_comments, themes_of
from reports.services.compute import compute_campaign_index
from surveys.models import CampaignState, Methodology, Response
from surveys.services.campaigns import create_campaign


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Thái độ của cán bộ chưa tốt", "attitude"),
        ("thai do cua can bo chua tot", "attitude"),
        ("Công chức hướng dẫn tận tình", "attitude"),
        ("Giải quyết còn chậm, trễ hẹn", "time"),
        ("giai quyet con cham, tre hen", "time"),
        ("Thời gian chờ đợi quá lâu", "time"),
        ("Lệ phí cao", "fees"),
        ("le phi cao, bi doi tien boi duong", "fees"),
        ("Thủ tục rườm rà, nhiều giấy tờ", "procedure"),
        ("THU TUC RUOM RA, NHIEU GIAY TO", "procedure"),
        ("Thiếu chỗ ngồi, máy lấy số hay hỏng", "facilities"),
        ("thieu cho ngoi, may lay so hay hong", "facilities"),
        ("Cơ sở vật chất xuống cấp", "facilities"),
        ("Rất hài lòng, cảm ơn", "other"),
    ],
)
def test_comment_falls_in_its_theme_with_or_without_accents(text, theme):
    assert themes_of(text) == [theme]


def test_comment_on_several_subjects_belongs_to_each_theme():
    assert themes_of("Thủ tục phức tạp, phí cao và công chức thiếu nhiệt tình") == ["attitude", "fees", "procedure"]


@pytest.mark.parametrize(
    ("text", "not_theme"),
    [
        ("Mấy lần đi lại mới xong", "facilities"),  # "mấy" (how many) folds like "máy" (machine)
        ("Cần chăm sóc người dân tốt hơn", "time"),  # "chăm" folds like "chậm"
        ("Nên ưu tiên người già, cải tiến cách làm", "fees"),  # "tiên", "tiến" fold like "tiền"
        ("Cấp giấy chứng nhận đất phi nông nghiệp", "fees"),  # "phi" of "phi nông nghiệp" is not "phí"
        ("Chất lượng phục vụ tốt", "facilities"),  # "chất" folds like "chật"
        ("Người dân nông thôn đi xa", "facilities"),  # "nông" folds like "nóng"
    ],
)
def test_words_that_fold_alike_do_not_mislead_the_rules(text, not_theme):
    assert not_theme not in themes_of(text)


def test_keywords_match_whole_words_only():
    assert themes_of("Cán bộ phiền hà") == ["attitude"]  # "phiền" contains "phi" but is not a fee


@pytest.mark.parametrize("text", ["", "   ", "Không", "không.", "KO", "Không có ý kiến", "khong co"])
def test_no_comment_answers_are_not_comments(text):
    assert not is_comment(text)


def test_grouping_counts_each_theme_and_quotes_at_most_five_different_examples():
    comments = [Comment(1, f"Thủ tục số {i} rườm rà") for i in range(8)] + [Comment(2, "Thủ tục số 0 rườm rà")]

    groups = {g.code: g for g in group_by_theme(comments)}

    assert groups["procedure"].count == 9
    assert [c.text for c in groups["procedure"].examples] == [f"Thủ tục số {i} rườm rà" for i in range(5)]
    assert groups["fees"].count == 0 and groups["fees"].examples == []


def test_the_same_words_are_quoted_once():
    groups = {
        g.code: g
        for g in group_by_theme([Comment(1, "Lệ phí cao"), Comment(2, "le phi cao"), Comment(3, "Phí cao quá")])
    }

    assert groups["fees"].count == 3
    assert [c.text for c in groups["fees"].examples] == ["Lệ phí cao", "Phí cao quá"]


def test_every_theme_is_listed_with_other_last():
    codes = [g.code for g in group_by_theme([])]

    assert codes == ["attitude", "time", "fees", "procedure", "facilities", "other"]


def test_a_very_long_comment_is_shortened_in_the_examples():
    groups = group_by_theme([Comment(1, "Thủ tục " + "rất " * 300)])

    example = groups[3].examples[0].text
    assert len(example) <= 400 and example.endswith("…")


@pytest.fixture
def computed_run(tree):
    campaign = create_campaign(
        year=2026, name="Ý kiến", slug="y-kien", root=tree["20"], methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31),
        level_samples={AgencyKind.DEPARTMENT: 1, AgencyKind.COMMUNE: 1},
    )  # fmt: skip
    rows = [
        (tree["20.SNV"], {"HL": 5, "YK": "Thái độ cán bộ tốt"}, False),
        (tree["20.SNV"], {"HL": 4, "YK": "  Không  "}, False),
        (tree["20.STP"], {"HL": 3, "YK": "thu tuc ruom ra"}, False),
        (tree["20.STP"], {"HL": 2, "YK": "Bị loại: không được đọc"}, True),
        (tree["06001"], {"HL": 5}, False),
    ]
    Response.objects.bulk_create(
        Response(campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel="qr", answers=answers,
                 submitted_at=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC), excluded=excluded,
                 decision_rule="too_fast" if excluded else "")
        for agency, answers, excluded in rows
    )  # fmt: skip
    campaign.state = CampaignState.CLOSED
    campaign.save()
    return compute_campaign_index(campaign=campaign)


def test_comments_of_a_run_come_from_counted_responses_only_in_one_query(computed_run, tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        comments = run_comments(computed_run)

    assert [(c.agency_id, c.text) for c in comments] == [
        (tree["20.SNV"].pk, "Thái độ cán bộ tốt"),
        (tree["20.STP"].pk, "thu tuc ruom ra"),
    ]


def test_comments_of_one_agency(computed_run, tree):
    comments = run_comments(computed_run, agency_id=tree["20.STP"].pk)

    assert [c.text for c in comments] == ["thu tuc ruom ra"]


def test_comments_by_theme_of_a_run(computed_run):
    total, groups = comments_by_theme(computed_run)

    assert total == 2
    assert {g.code: g.count for g in groups} == {
        "attitude": 1, "time": 0, "fees": 0, "procedure": 1, "facilities": 0, "other": 0,
    }  # fmt: skip
