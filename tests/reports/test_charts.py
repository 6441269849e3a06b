"""Server-rendered SVG charts: valid, accessible, one bar per agency with data, whiskers only where an
interval exists, "no data" written instead of drawn."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from reports.charts import Bar, FactorBars, factor_chart, number, ranking_chart, share_chart

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def with_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in root.iter() if name in (e.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iter(f"{SVG}text")]


@pytest.fixture
def agencies() -> list[Bar]:
    return [
        Bar("Sở Nội vụ", 91.5, (87.0, 95.2)),
        Bar("Sở Tư pháp", 72.0, None),
        Bar("Xã Đoàn Kết", 64.25, (50.0, 77.0), weak=True),
        Bar("Phường Đông Kinh", None),
    ]


def ranking(bars, **options) -> ET.Element:
    return parse(ranking_chart(bars, title="SIPAS theo cơ quan", description="Xếp hạng", **options))


def test_ranking_chart_is_valid_svg_with_title_and_description(agencies):
    root = ranking(agencies)

    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title").text == "SIPAS theo cơ quan"
    assert root.find(f"{SVG}desc").text == "Xếp hạng"
    assert root.get("role") == "img"


def test_chart_names_its_title_and_description_for_screen_readers(agencies):
    root = ranking(agencies)

    ids = root.get("aria-labelledby").split()
    assert ids == [root.find(f"{SVG}title").get("id"), root.find(f"{SVG}desc").get("id")]


def test_each_agency_has_a_row_and_each_agency_with_data_one_bar(agencies):
    root = ranking(agencies)

    assert len(with_class(root, "chart-row")) == 4
    assert len(with_class(root, "bar")) == 3


def test_agency_with_no_data_is_written_not_drawn(agencies):
    with translation.override("en"):
        root = ranking(agencies)

    row = with_class(root, "chart-row")[3]
    assert not [e for e in row.iter(f"{SVG}rect")]
    assert [e.text for e in row.iter(f"{SVG}text") if e.get("class") == "no-data"] == ["no data"]


def test_whiskers_only_where_an_interval_exists(agencies):
    root = ranking(agencies)

    rows = with_class(root, "chart-row")
    assert [len(with_class(row, "whisker")) for row in rows] == [1, 0, 1, 0]


def test_bars_are_proportional_to_the_value_on_a_zero_to_hundred_scale():
    root = ranking([Bar("A", 100.0), Bar("B", 50.0), Bar("C", 0.0)])

    widths = [float(bar.get("width")) for bar in with_class(root, "bar")]
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.2)
    assert widths[2] == 0


def test_agency_under_its_minimum_sample_is_drawn_lighter(agencies):
    root = ranking(agencies)

    fills = [bar.get("fill") for bar in with_class(root, "bar")]
    assert fills[0] == fills[1] != fills[2]
    assert "weak" in with_class(root, "chart-row")[2].get("class")


def test_target_line_is_drawn_and_labelled_only_when_a_target_is_given(agencies):
    assert with_class(ranking(agencies), "target") == []

    with translation.override("en"):
        root = ranking(agencies, target=90)

    (target,) = with_class(root, "target")
    assert "Target 90" in texts(target)


def test_values_are_written_with_two_decimals_in_the_active_language(agencies):
    with translation.override("vi"):
        vietnamese = texts(ranking(agencies))
    with translation.override("en"):
        english = texts(ranking(agencies))

    assert "91,50" in vietnamese and "64,25" in vietnamese
    assert "91.50" in english


def test_labels_are_escaped_so_the_svg_stays_valid():
    root = ranking([Bar('Ban <Quản lý> & "Khu" kinh tế', 80.0)], target=None)

    assert 'Ban <Quản lý> & "Khu" kinh tế' in texts(root)


def test_long_names_are_shortened_and_given_whole_in_the_row_tooltip():
    name = "Ban Quản lý các khu công nghiệp, khu kinh tế cửa khẩu và khu chế xuất của tỉnh " * 2
    root = ranking([Bar(name, 80.0)])

    label = with_class(root, "label")[0].text
    assert label.endswith("…") and len(label) < len(name)
    assert with_class(root, "chart-row")[0].find(f"{SVG}title").text.startswith(name)


def test_value_column_widens_to_hold_a_note_inside_the_chart():
    root = ranking([Bar("Xã Đoàn Kết", 64.25, note="(not enough responses)")])

    value = with_class(root, "value")[0]
    assert value.text.endswith("(not enough responses)")
    assert float(value.get("x")) + len(value.text) * 10 * 0.6 <= float(root.get("width"))


def test_two_charts_of_different_data_have_different_ids(agencies):
    first = ranking(agencies)
    second = ranking(agencies[:2])

    assert first.find(f"{SVG}title").get("id") != second.find(f"{SVG}title").get("id")


def test_chart_has_no_script_and_no_event_handlers(agencies):
    svg = ranking_chart(agencies, title="t", description="d", target=90)

    assert "<script" not in svg
    assert not [name for e in parse(svg).iter() for name in e.attrib if name.startswith("on")]


def test_factor_chart_has_an_evaluation_and_a_satisfaction_bar_per_factor_and_a_legend():
    root = parse(
        factor_chart(
            [FactorBars("Tiếp cận", 80.0, 82.0, (75.0, 88.0)), FactorBars("Thủ tục", 70.0, 71.0)],
            title="Yếu tố",
            description="Đánh giá và hài lòng",
        )
    )

    assert root.find(f"{SVG}title").text == "Yếu tố"
    assert len(with_class(root, "evaluation")) == 2
    assert len(with_class(root, "satisfaction")) == 2
    assert len(with_class(root, "whisker")) == 1
    assert len(with_class(root, "legend")) == 1


def test_factor_without_answers_has_no_bar():
    root = parse(factor_chart([FactorBars("Góp ý", None, None)], title="t", description="d"))

    assert with_class(root, "bar") == []
    assert len(with_class(root, "no-data")) == 2


def test_share_chart_writes_shares_in_percent_and_scales_to_the_largest():
    with translation.override("vi"):
        root = parse(share_chart([Bar("Rút ngắn thời gian", 34.5), Bar("Giảm phí", None)], title="t", description="d"))

    assert len(with_class(root, "bar")) == 1
    assert "34,50 %" in texts(root)
    assert "40" in texts(root)  # axis up to the largest share rounded up to a multiple of 10


def test_number_is_a_dash_for_no_data():
    assert number(None) == "—"


@pytest.mark.parametrize(
    ("language", "value", "places", "shown"),
    [("vi", 85.5, 2, "85,50"), ("en", 85.5, 2, "85.50"), ("vi", 66.666, 2, "66,67"), ("vi", 80.0, 0, "80"),
     ("en", -0.001, 2, "0.00"), ("en", 0.8766, 3, "0.877"), ("vi", 100.0, 2, "100,00")],
)  # fmt: skip
def test_number_rounds_and_uses_the_languages_decimal_mark(language, value, places, shown):
    with translation.override(language):
        assert number(value, places) == shown
