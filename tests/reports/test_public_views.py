"""The public results pages (/results/) and the open data downloads of published campaigns.

Data: province 20 of the `tree` fixture plus two communes. A published campaign of 2025 and a published
campaign of 2026 (minimum sample 5 per agency), so 2026 carries changes against 2025:
- departments: Sở Nội vụ 100 (rank 1, up from 50 and rank 2: a change beyond chance), Sở Tư pháp 66.67
  (rank 2, down from 100 and rank 1: within uncertainty);
- communes: Phường Đông Kinh and Xã Yên Bình 100 (rank 1, tied), Phường Tam Thanh 80 (rank 3), Xã Đoàn Kết
  (3 responses: not enough, unranked).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from agencies.models import Agency, AgencyKind
from agencies.rows import AgencyRow
from agencies.services import sync_agencies
from reports.models import IndexRun
from reports.rendering import uncertainty_note
from reports.services.compute import compute_campaign_index
from reports.services.export import export_payload
from reports.services.publication import appraise_run, publish_run
from surveys.models import Campaign, CampaignState, Methodology, Response
from surveys.services.campaigns import create_campaign

EXTRA = [
    AgencyRow("06007", "Xã Yên Bình", AgencyKind.COMMUNE, "xã", "20"),
    AgencyRow("06008", "Phường Tam Thanh", AgencyKind.COMMUNE, "phường", "20"),
]
CRITERIA = {"TC": 4, "TT": 5, "CC": 6, "KQ": 3}
FACTORS = ("TC", "TT", "CC", "KQ")  # GY is asked only after PA = 1; these answers say PA = 2


def answers(level: int) -> dict:
    values = {f"{f}{i}": level for f, n in CRITERIA.items() for i in range(1, n + 1)}
    values.update({f"HL_{f}": level for f in FACTORS}, HL=level, GY1=level, PA="2", DL="1", TH="2", NC=["NC5"])
    return values


def make_campaign(slug: str, year: int, root: Agency, rows, *, state: str = "published") -> IndexRun:
    """A campaign over province 20's departments and communes, computed and taken to `state`:
    "open" (an interim run), "computed", "appraised" or "published"."""
    campaign = create_campaign(
        year=year, name=f"Khảo sát SIPAS {year}", slug=slug, root=root,
        methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31),
        level_samples={AgencyKind.DEPARTMENT: 5, AgencyKind.COMMUNE: 5}, target_percent=90.0, thresholds=[80],
    )  # fmt: skip
    Response.objects.bulk_create(
        Response(campaign=campaign, agency=agency, client_id=uuid.uuid4(), channel="qr", answers=answers(level),
                 submitted_at=datetime.datetime(year, 3, 1, tzinfo=datetime.UTC), excluded=bool(rule),
                 decision_rule=rule)
        for agency, level, rule in rows
    )  # fmt: skip
    campaign.state = CampaignState.OPEN if state == "open" else CampaignState.CLOSED
    campaign.save()
    run = compute_campaign_index(campaign=campaign)
    if state in ("appraised", "published"):
        appraise_run(run=run, approved=True, note="Đạt", acting_user=None)
    if state == "published":
        publish_run(run=IndexRun.objects.get(pk=run.pk), acting_user=None)
    return IndexRun.objects.get(pk=run.pk)


def current_rows(a: dict[str, Agency]) -> list:
    return (
        [(a["20.SNV"], 5, "")] * 6
        + [(a["20.SNV"], 1, "too_fast")]
        + [(a["20.STP"], 5, "")] * 4
        + [(a["20.STP"], 2, "")] * 2
        + [(a["06004"], 5, "")] * 5
        + [(a["06007"], 5, "")] * 5
        + [(a["06008"], 5, "")] * 4
        + [(a["06008"], 1, "")]
        + [(a["06001"], 4, "")] * 3
    )


@pytest.fixture
def published(tree) -> IndexRun:
    """The 2026 campaign's published run (the 2025 campaign is published before it)."""
    sync_agencies(EXTRA)
    a = {agency.code: agency for agency in Agency.objects.all()}
    previous = [(a["20.SNV"], 5, "")] * 3 + [(a["20.SNV"], 1, "")] * 3 + [(a["20.STP"], 5, "")] * 5
    make_campaign("sipas-2025", 2025, a["20"], previous)
    return make_campaign("sipas-2026", 2026, a["20"], current_rows(a))


def vi(message: str, **values) -> str:
    with translation.override("vi"):
        return gettext(message) % values if values else gettext(message)


def page(client, name: str, *args, language: str | None = None):
    if language:
        client.cookies["django_language"] = language
    return client.get(reverse(f"results:{name}", args=args))


def flat(html: str) -> str:
    """The markup with each run of white space made one space, to look for whole sentences."""
    return re.sub(r"\s+", " ", html)


def section(html: str, ident: str) -> str:
    return re.search(rf'id="{ident}".*?</section>', html, re.S).group(0)


def level_rows(html: str, level: str) -> list[tuple[str, str]]:
    """(rank cell text, agency name) of each row of a level's ranking table, in page order."""
    rows = []
    for row in re.findall(r'<tr role="row" class="\w+">(.*?)</tr>', section(html, f"level-{level}"), re.S):
        rank_cell = re.search(r'class="rank"[^>]*>(.*?)</td>', row, re.S).group(1)
        name = re.search(r'<th scope="row"[^>]*><a [^>]*>(.*?)</a>', row, re.S).group(1)
        rows.append((flat(re.sub(r"<[^>]+>", "", rank_cell)).strip(), name))
    return rows


def row_of(html: str, name: str) -> str:
    """The markup of the ranking row of the agency called `name`."""
    return next(row for row in re.findall(r'<tr role="row".*?</tr>', html, re.S) if f">{name}</a>" in row)


EVERY_PAGE = [("list", ()), ("campaign", ("{slug}",)), ("agency", ("{slug}", "20.SNV")),
              ("data-json", ("{slug}",)), ("data-csv", ("{slug}",))]  # fmt: skip
CAMPAIGN_PAGES = [p for p in EVERY_PAGE if p[0] != "list"]


# --- Nothing unpublished is visible -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "args"), CAMPAIGN_PAGES)
def test_unknown_campaign_is_404_on_every_page(client, tree, name, args):
    response = page(client, name, *(a.format(slug="no-such-campaign") for a in args))

    assert response.status_code == 404


@pytest.mark.parametrize("state", ["open", "computed", "appraised"])
def test_campaign_without_published_run_is_404_on_every_page_even_for_its_officer(client, actors, tree, state):
    make_campaign("sipas-2026", 2026, tree["20"], [(tree["20.SNV"], 5, "")] * 5, state=state)
    client.force_login(actors.officer_a)

    for name, args in CAMPAIGN_PAGES:
        response = page(client, name, *(a.format(slug="sipas-2026") for a in args))

        assert response.status_code == 404, name


def test_list_leaves_out_campaigns_without_a_published_run(client, tree):
    make_campaign("sipas-2026", 2026, tree["20"], [(tree["20.SNV"], 5, "")] * 5, state="appraised")

    response = page(client, "list")

    assert response.status_code == 200
    assert "sipas-2026" not in response.content.decode()


def test_a_newer_unpublished_run_never_replaces_the_published_figures(client, published):
    # Another computation of a published campaign is refused, so the published run stays the only one shown;
    # a run in any other state of the same campaign (written here directly) is never read.
    IndexRun.objects.create(
        campaign=published.campaign, number=99, scoring="share-positive", checksum="x" * 64,
        responses_counted=1, responses_excluded=0, summary={"interim": True},
    )  # fmt: skip

    payload = json.loads(page(client, "data-json", "sipas-2026").content)

    assert payload["run"]["id"] == published.pk


@pytest.mark.parametrize("code", ["07000", "NO-SUCH"])
def test_agency_not_in_the_published_run_is_404(client, published, code):
    assert page(client, "agency", "sipas-2026", code).status_code == 404


# --- The list of published campaigns -------------------------------------------------------------------------


def test_list_shows_published_campaigns_newest_first_with_their_sipas(client, published):
    html = page(client, "list").content.decode()

    assert html.index("Khảo sát SIPAS 2026") < html.index("Khảo sát SIPAS 2025")
    assert "Tỉnh Lạng Sơn" in html
    campaign_sipas = published.group_results.get(key="campaign").figures["sipas"]
    assert f"{campaign_sipas:.2f}".replace(".", ",") in html


# --- Rankings per level ------------------------------------------------------------------------------------


def test_ranking_lists_agencies_of_a_level_by_rank(client, published):
    html = page(client, "campaign", "sipas-2026").content.decode()

    assert [name for _rank, name in level_rows(html, "department")] == ["Sở Nội vụ", "Sở Tư pháp"]
    assert [rank for rank, _name in level_rows(html, "department")] == ["1", "2"]


def test_equal_sipas_share_a_rank_and_the_next_rank_skips(client, published):
    rows = level_rows(page(client, "campaign", "sipas-2026").content.decode(), "commune")

    tied = vi("(tied)")
    assert rows[:3] == [(f"1 {tied}", "Phường Đông Kinh"), (f"1 {tied}", "Xã Yên Bình"), ("3", "Phường Tam Thanh")]


def test_agency_under_its_minimum_sample_is_listed_after_the_ranked_ones_as_not_enough_responses(client, published):
    rows = level_rows(page(client, "campaign", "sipas-2026").content.decode(), "commune")

    assert rows[-1][1] == "Xã Đoàn Kết"
    assert rows[-1][0].startswith(vi("Not enough responses"))


def test_sipas_is_shown_with_two_decimals_and_a_vietnamese_decimal_comma(client, published):
    html = page(client, "campaign", "sipas-2026").content.decode()

    assert ">66,67<" in html  # Sở Tư pháp: 66.666…
    assert "66.67" not in html


def test_english_cookie_shows_english_and_a_decimal_point(client, published):
    response = page(client, "campaign", "sipas-2026", language="en")
    html = response.content.decode()

    assert '<html lang="en">' in html
    assert "Not enough responses" in html
    assert ">66.67<" in html


def test_pages_render_in_vietnamese_by_default(client, published):
    for name, args in EVERY_PAGE[:3]:
        response = page(client, name, *(a.format(slug="sipas-2026") for a in args))

        assert response.status_code == 200
        assert '<html lang="vi">' in response.content.decode()


def test_change_and_rank_change_are_shown_in_words(client, published):
    html = page(client, "campaign", "sipas-2026").content.decode()

    with translation.override("vi"):
        up = ngettext("up %(count)s place", "up %(count)s places", 1) % {"count": 1}
        down = ngettext("down %(count)s place", "down %(count)s places", 1) % {"count": 1}
    assert "+50,00" in row_of(html, "Sở Nội vụ") and up in row_of(html, "Sở Nội vụ")
    assert "−33,33" in row_of(html, "Sở Tư pháp") and down in row_of(html, "Sở Tư pháp")


def test_only_a_change_beyond_chance_is_marked(client, published):
    html = page(client, "campaign", "sipas-2026").content.decode()

    assert vi("beyond chance") in row_of(html, "Sở Nội vụ")
    assert vi("beyond chance") not in row_of(html, "Sở Tư pháp")


def test_first_campaign_has_no_change_columns(client, published):
    html = page(client, "campaign", "sipas-2025").content.decode()

    assert vi("Rank change") not in html


def test_level_summary_counts_agencies_meeting_each_threshold(client, published):
    html = page(client, "campaign", "sipas-2026").content.decode()

    # Among the ranked communes, ≥ 80: Đông Kinh, Yên Bình (100) and Tam Thanh (80); ≥ 90 (the target): two.
    # Đoàn Kết (100 on 3 responses) is under its minimum sample, so it counts towards neither.
    part = flat(section(html, "level-commune"))
    assert vi("SIPAS ≥ %(mark)s: %(n)s of %(total)s ranked agencies", mark="80", n="3", total="3") in part
    assert vi("SIPAS ≥ %(mark)s: %(n)s of %(total)s ranked agencies", mark="90", n="2", total="3") in part


def test_each_level_has_an_inline_accessible_svg_chart(client, published):
    html = page(client, "campaign", "sipas-2026").content.decode()

    for level in ("department", "commune"):
        part = section(html, f"level-{level}")
        assert re.search(r'<svg [^>]*role="img"', part)
        assert "<title" in part and "<desc" in part


def test_method_note_gives_counts_excluded_by_rule_and_labels_the_intervals(client, published):
    html = page(client, "campaign", "sipas-2026").content.decode()
    method = section(html, "method")

    with translation.override("vi"):
        from surveys.models import FlagRule

        assert f"{FlagRule.TOO_FAST.label}: 1" in method
    with translation.override("vi"):
        assert uncertainty_note() in method  # what the intervals are, labelled as the project's addition


# --- One agency ----------------------------------------------------------------------------------------------


def test_agency_page_shows_sipas_interval_rank_and_change(client, published):
    html = page(client, "agency", "sipas-2026", "20.STP").content.decode()

    assert "66,67" in html
    assert vi("Rank <strong>%(rank)s</strong> of %(ranked)s ranked agencies of its level.", rank=2, ranked=2) in flat(
        html
    )
    with translation.override("vi"):
        assert ngettext("down %(count)s place", "down %(count)s places", 1) % {"count": 1} in html


def test_agency_page_links_to_the_previous_campaign_it_is_compared_with(client, published):
    html = page(client, "agency", "sipas-2026", "20.SNV").content.decode()

    assert f'href="{reverse("results:campaign", args=["sipas-2025"])}"' in html


def test_agency_page_shows_each_criterion_with_its_question_text(client, published):
    html = page(client, "agency", "sipas-2026", "20.SNV").content.decode()
    question = Methodology.objects.get(code="SIPAS-2017").questions.get(code="CC3")

    with translation.override("vi"):
        text = question.label
    assert text in html


def test_agency_page_shows_reported_facts_and_expectations(client, published):
    html = page(client, "agency", "sipas-2026", "20.SNV").content.decode()

    assert "Rút ngắn thời gian giải quyết" in html  # NC5, chosen by everyone: 100,00
    assert "Đúng hẹn" in html  # TH = 2
    assert "100,00" in html


def test_agency_page_of_an_agency_under_its_minimum_says_it_is_not_ranked(client, published):
    html = page(client, "agency", "sipas-2026", "06001").content.decode()

    sentence = vi(
        "Not enough responses: %(n)s counted, the minimum is %(minimum)s. "
        "The figures are shown but the agency is not ranked.",
        n="3",
        minimum="5",
    )
    assert sentence in flat(html)


def test_agency_page_in_english_uses_english_question_texts(client, published):
    html = page(client, "agency", "sipas-2026", "20.SNV", language="en").content.decode()

    assert "Shorter processing time" in html


# --- Open data ---------------------------------------------------------------------------------------------


def test_json_download_is_exactly_the_export_contract(client, published):
    response = page(client, "data-json", "sipas-2026")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert json.loads(response.content) == export_payload(published)


def read_csv(response) -> tuple[list[str], dict[str, dict[str, str]]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    return rows[0], {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


def test_csv_is_utf8_with_bom_as_an_attachment(client, published):
    response = page(client, "data-csv", "sipas-2026")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response.content.startswith(b"\xef\xbb\xbf")


def test_csv_header_names_every_figure(client, published):
    header, _rows = read_csv(page(client, "data-csv", "sipas-2026"))

    assert header[:9] == ["code", "name", "level", "n", "excluded", "sipas", "hl", "rank", "enough_sample"]
    assert header[9:11] == ["TC_evaluation", "TC_satisfaction"]
    for column in ("GY_satisfaction", "TC1", "KQ3", "NC1", "NC9", "DL_1", "DL_4", "TH_3", "TN_2"):
        assert column in header
    assert header.index("GY_satisfaction") < header.index("TC1") < header.index("NC1") < header.index("DL_1")


def test_csv_row_has_full_precision_with_a_dot_and_empty_for_no_data(client, published):
    _header, rows = read_csv(page(client, "data-csv", "sipas-2026"))
    stp = published.agency_results.get(agency__code="20.STP")

    row = rows["20.STP"]
    assert row["name"] == "Sở Tư pháp"
    assert row["level"] == "department"
    assert (row["n"], row["excluded"], row["rank"], row["enough_sample"]) == ("6", "0", "2", "true")
    assert row["sipas"] == repr(stp.sipas) == "66.66666666666667"
    assert float(row["TC_satisfaction"]) == stp.figures["factors"]["TC"]["satisfaction"]
    assert row["GY_satisfaction"] == ""  # nobody gave feedback: no data, not 0
    assert row["DL_1"] == "100.0"


def test_csv_unranked_agency_has_an_empty_rank(client, published):
    _header, rows = read_csv(page(client, "data-csv", "sipas-2026"))

    assert (rows["06001"]["rank"], rows["06001"]["enough_sample"]) == ("", "false")
    assert rows["20.SNV"]["excluded"] == "1"


# --- Queries ---------------------------------------------------------------------------------------------


# campaign: the published run, its agency results (each with its minimum sample), its groups; agency: the run, the
# result, its level, the factors and the questions.
# data-csv: the run, the versions of its levels, their questions and factors, the agency results.
QUERIES = {"list": 3, "campaign": 3, "agency": 5, "data-json": 3, "data-csv": 5}


@pytest.mark.parametrize(("name", "args"), EVERY_PAGE)
def test_query_count_is_pinned(client, published, django_assert_num_queries, name, args):
    with django_assert_num_queries(QUERIES[name]):
        response = page(client, name, *(a.format(slug="sipas-2026") for a in args))

    assert response.status_code == 200


def test_query_counts_do_not_grow_with_agencies(client, tree, django_assert_num_queries):
    more = [AgencyRow(f"0610{i}", f"Xã Thử {i}", AgencyKind.COMMUNE, "xã", "20") for i in range(6)]
    sync_agencies([*EXTRA, *more])
    a = {agency.code: agency for agency in Agency.objects.all()}
    make_campaign("sipas-2026", 2026, a["20"], current_rows(a) + [(a[r.code], 4, "") for r in more for _ in range(5)])
    assert Campaign.objects.get(slug="sipas-2026").runs.get().agency_results.count() == 12  # twice the fixture's

    for name, args in EVERY_PAGE:
        with django_assert_num_queries(QUERIES[name]):
            response = page(client, name, *(a.format(slug="sipas-2026") for a in args))

        assert response.status_code == 200, name
