"""Free comments (question "YK") grouped by theme, for the report's "comments" part and the agency page.

The rule set is deliberately plain so an officer can read it and argue with it: each theme lists Vietnamese
keywords and phrases; a comment belongs to every theme one of whose keywords it contains as whole words, and
to "other" when it contains none. Matching is on text folded by agencies.text.fold (lower case, no
diacritics: "Thái độ" and "thai do" match alike), since many people type without accents. Folding makes a
few words collide ("tiền" money / "tiện" convenient / "tiên" first, "máy" machine / "mấy" how many, "chật"
cramped / "chất" quality, "nóng" hot / "nông" rural), so such words appear only inside phrases ("nộp tiền",
"máy tính", "chật hẹp"), and the common phrases that would still mislead (IGNORED_PHRASES, e.g. "chăm sóc"
against "chậm", "đất phi nông nghiệp" against "phí") are removed before matching.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from agencies.text import fold
from reports.models import IndexRun
from surveys.models import Response

COMMENT_CODE = "YK"
EXAMPLES_PER_THEME = 5
EXAMPLE_LENGTH = 400  # characters of a comment quoted in a report; longer ones are shortened with "…"


@dataclass(frozen=True)
class Theme:
    code: str
    label: str | Promise
    keywords: tuple[str, ...]


THEMES: tuple[Theme, ...] = (
    Theme("attitude", _("Attitude of civil servants"), (
        "thái độ", "công chức", "cán bộ", "nhân viên", "lịch sự", "nhiệt tình", "tận tình", "thân thiện",
        "niềm nở", "hòa nhã", "vui vẻ", "cáu gắt", "hách dịch", "gây khó", "khó dễ", "sách nhiễu", "nhũng nhiễu",
        "phiền hà", "hướng dẫn", "giải thích", "tiếp dân", "trách nhiệm",
    )),
    Theme("time", _("Processing time"), (
        "thời gian", "thời hạn", "chậm", "chậm trễ", "bị trễ", "trả trễ", "trễ hẹn", "trễ hạn", "quá hạn", "chờ lâu",
        "đợi lâu", "quá lâu", "rất lâu", "lâu quá", "chờ đợi", "mất thời gian", "đúng hẹn", "nhanh", "nhanh chóng",
        "kịp thời", "giấy hẹn", "tiến độ", "đi lại nhiều", "nhiều lần",
    )),
    Theme("fees", _("Fees and payments"), (
        "phí", "lệ phí", "chi phí", "nộp tiền", "thu tiền", "trả tiền", "đưa tiền", "thêm tiền", "mất tiền", "tốn tiền",
        "đòi tiền", "xin tiền", "tiền phí", "tiền lệ phí", "bồi dưỡng", "phong bì", "tốn kém",
    )),
    Theme("procedure", _("Procedures and documents"), (
        "thủ tục", "giấy tờ", "hồ sơ", "biểu mẫu", "tờ khai", "rườm rà", "phức tạp", "đơn giản hóa",
        "rút gọn", "bổ sung", "trực tuyến", "dịch vụ công",
    )),
    Theme("facilities", _("Premises and equipment"), (
        "cơ sở vật chất", "chỗ ngồi", "ghế", "ghế ngồi", "phòng chờ", "nơi chờ", "chỗ để xe", "bãi xe",
        "trang thiết bị", "thiết bị", "máy tính", "máy lấy số", "máy in", "máy photo", "máy tra cứu",
        "máy lạnh", "máy điều hòa", "điều hòa", "quạt mát", "quạt điện", "nhà vệ sinh", "wifi", "kiosk",
        "chật hẹp", "chật chội", "nóng nực", "oi bức",
    )),
)  # fmt: skip
OTHER = Theme("other", _("Other comments"), ())
# Phrases removed before matching, because after folding they contain a theme's word with another meaning.
IGNORED_PHRASES = ("chăm sóc", "chăm chỉ", "chăm lo", "chấm điểm", "phi nông nghiệp", "phi lý", "lãng phí")
# Answers that say "no comment" are not comments.
NO_COMMENT = {"", "khong", "ko", "k", "khong co", "khong co y kien", "khong y kien", "chua co", "none", "no"}


def _pattern(phrases: Iterable[str]) -> re.Pattern:
    folded = sorted({fold(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(p) for p in folded) + r")(?!\w)")


_MATCHERS = [(theme, _pattern(theme.keywords)) for theme in THEMES]
_IGNORED = _pattern(IGNORED_PHRASES)


def normalise(text: str) -> str:
    """The folded text a rule is matched against: no diacritics, lower case, single spaces."""
    return " ".join(_IGNORED.sub(" ", " ".join(fold(text).split())).split())


def is_comment(text: str) -> bool:
    return re.sub(r"[^\w ]", "", " ".join(fold(text).split())).strip() not in NO_COMMENT


def themes_of(text: str) -> list[str]:
    """The codes of the themes a comment belongs to, in THEMES order; ["other"] when it matches none."""
    folded = normalise(text)
    found = [theme.code for theme, matcher in _MATCHERS if matcher.search(folded)]
    return found or [OTHER.code]


@dataclass(frozen=True)
class Comment:
    agency_id: int
    text: str


@dataclass
class ThemeGroup:
    code: str
    label: str | Promise
    count: int = 0
    examples: list[Comment] = field(default_factory=list)


def run_comments(run: IndexRun, *, agency_id: int | None = None) -> list[Comment]:
    """The free comments of the run's campaign from counted responses (not excluded by a decision), in the
    order they arrived, optionally of one agency. One query; blank and "no comment" answers are dropped."""
    responses = Response.objects.filter(campaign_id=run.campaign_id, excluded=False, answers__has_key=COMMENT_CODE)
    if agency_id is not None:
        responses = responses.filter(agency_id=agency_id)
    rows = responses.order_by("pk").values_list("agency_id", f"answers__{COMMENT_CODE}")
    return [
        Comment(agency, " ".join(text.split())) for agency, text in rows if isinstance(text, str) and is_comment(text)
    ]


def group_by_theme(comments: Iterable[Comment], *, examples: int = EXAMPLES_PER_THEME) -> list[ThemeGroup]:
    """Counts per theme (a comment counts once in each theme it belongs to) and the first few different
    comments of each as examples, shortened to EXAMPLE_LENGTH. Every theme is listed, "other" last, even
    when empty."""
    groups = {theme.code: ThemeGroup(theme.code, theme.label) for theme in (*THEMES, OTHER)}
    quoted: dict[str, set[str]] = {code: set() for code in groups}
    for comment in comments:
        folded = normalise(comment.text)
        for code in themes_of(comment.text):
            group = groups[code]
            group.count += 1
            if len(group.examples) < examples and folded not in quoted[code]:  # quote the same words once
                quoted[code].add(folded)
                text = comment.text
                if len(text) > EXAMPLE_LENGTH:
                    text = text[: EXAMPLE_LENGTH - 1].rstrip() + "…"
                group.examples.append(Comment(comment.agency_id, text))
    return list(groups.values())


def comments_by_theme(
    run: IndexRun, *, agency_id: int | None = None, examples: int = EXAMPLES_PER_THEME
) -> tuple[int, list[ThemeGroup]]:
    """(number of comments, groups by theme) for a run, or for one agency of it."""
    comments = run_comments(run, agency_id=agency_id)
    return len(comments), group_by_theme(comments, examples=examples)
