"""The index for any version (issue 18): SIPAS-2023's two parts combined by the weights of its setting reproduce the
Ministry's published 2024 pairs; a campaign with a different version per level is computed as a plain Python reading
of the same definitions says (hypothesis; the reference below shares no code with reports.services); pooled figures
over different versions combine only what is comparable and say so; grades and targets per level."""

from __future__ import annotations

import datetime
import math
import uuid

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.models import IndexRun
from reports.services.compute import compute_campaign_index
from reports.services.figures import combine_parts, grade, pooled_note
from surveys.models import CampaignState, Methodology, Response
from surveys.services.campaigns import create_campaign, set_level_settings
from surveys.services.methodology import add_question, clone_methodology, definition_of

DEPARTMENTS = ("20.SNV", "20.STP")
COMMUNES = ("06001", "06004")
ANSWERED_AT = datetime.datetime(2026, 5, 1, tzinfo=datetime.UTC)


# --- the published pairs ------------------------------------------------------------------------------------------


@pytest.fixture
def sipas_2023(db) -> Methodology:
    return Methodology.objects.get(code="SIPAS-2023")


def shipped_weights(version: Methodology) -> dict[str, float]:
    return {part["code"]: part["weight"] for part in version.parts}


def test_the_shipped_weights_are_each_parts_number_of_items(sipas_2023):
    items = {part: sipas_2023.questions.filter(role="criterion", factor__part=part).count() for part in ("I", "II")}

    assert items == {"I": 23, "II": 16}
    assert shipped_weights(sipas_2023) == items


@pytest.mark.parametrize(
    ("policy", "service", "published"),
    [(83.84, 84.09, 83.94), (86.51, 86.49, 86.50)],  # 2024: the nation, Hà Nội
)
def test_the_shipped_setting_reproduces_the_published_2024_pairs(sipas_2023, policy, service, published):
    index = combine_parts({"I": policy, "II": service}, shipped_weights(sipas_2023))

    assert round(index, 2) == published


def test_the_plain_mean_of_the_two_parts_would_not_reproduce_the_nation(sipas_2023):
    assert round(combine_parts({"I": 83.84, "II": 84.09}, {"I": 1, "II": 1}), 2) == 83.97 != 83.94


def test_the_weights_note_says_where_the_rule_comes_from_and_asks_for_confirmation(sipas_2023):
    note = sipas_2023.weights_note

    assert "1001/QĐ-BNV" in note and "83.94" in note and "86.50" in note and "confirms" in note
    assert sipas_2023.weights_confirmed_at is None


# --- a plain reading of a version's definition --------------------------------------------------------------------


def index_of(answers: list[dict], code: str) -> float | None:
    values = [a[code] for a in answers if a.get(code) is not None]
    return 100 * sum(1 for v in values if v >= 4) / len(values) if values else None


def mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def reference(definition: dict, answers: list[dict]) -> dict:
    """SIPAS by the definition's rule, the criteria and the factors' figures, literally."""
    criteria_of = {f["code"]: [] for f in definition["factors"]}
    satisfaction_of = {}
    for q in definition["questions"]:
        if q["role"] == "criterion" and q["factor"]:
            criteria_of[q["factor"]].append(q["code"])
        if q["role"] == "factor_satisfaction":
            satisfaction_of[q["factor"]] = q["code"]
    criteria = {c: index_of(answers, c) for codes in criteria_of.values() for c in codes}
    factors = {
        f: {
            "evaluation": mean(criteria[c] for c in codes),
            "satisfaction": index_of(answers, satisfaction_of.get(f, "")),
        }
        for f, codes in criteria_of.items()
    }
    if definition["index_rule"] == "parts":
        parts = {
            p["code"]: mean(
                criteria[c] for f in definition["factors"] if f["part"] == p["code"] for c in criteria_of[f["code"]]
            )
            for p in definition["parts"]
        }
        weights = {p["code"]: p["weight"] for p in definition["parts"]}
        present = [(weights[p], v) for p, v in parts.items() if v is not None]
        sipas = sum(w * v for w, v in present) / sum(w for w, _v in present) if present else None
    else:
        sipas = mean(f["satisfaction"] for f in factors.values())
    return {"n": len(answers), "sipas": sipas, "criteria": criteria, "factors": factors}


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_same(result: dict, expected: dict) -> None:
    assert result["n"] == expected["n"]
    assert close(result["sipas"], expected["sipas"]), (result["sipas"], expected["sipas"])
    assert set(result["criteria"]) == set(expected["criteria"])
    for code, value in expected["criteria"].items():
        assert close(result["criteria"][code], value), code
    for code, value in expected["factors"].items():
        assert close(result["factors"][code]["evaluation"], value["evaluation"]), code
        assert close(result["factors"][code]["satisfaction"], value["satisfaction"]), code


# --- a campaign with a version per level --------------------------------------------------------------------------


@pytest.fixture
def commune_clone(db) -> Methodology:
    """SIPAS-2017 with a fifth access criterion asked of communes only (Lạng Sơn's research, say)."""
    clone = clone_methodology(
        source=Methodology.objects.get(code="SIPAS-2017"), code="LS-XA-2026", name="Lạng Sơn: cấp xã 2026"
    )
    add_question(
        methodology=clone, code="TC5", kind="scale5", role="criterion", section="TC",
        text="Bộ phận Một cửa của xã dễ tìm", agency_kinds=["commune"],
    )  # fmt: skip
    return clone


def per_level_campaign(tree, communes: Methodology, slug: str = "per-level"):
    campaign = create_campaign(
        year=2026, name="Theo cấp", slug=slug, root=tree["20"], methodology=Methodology.objects.get(code="SIPAS-2017"),
        period_start=datetime.date(2026, 1, 1), period_end=datetime.date(2026, 12, 31),
        level_samples={"department": 1, "commune": 1},
    )  # fmt: skip
    campaign = set_level_settings(campaign=campaign, versions={"commune": communes})
    campaign.state = CampaignState.CLOSED
    campaign.save(update_fields=["state"])
    return campaign


def store(campaign, tree, rows) -> None:
    Response.objects.bulk_create(
        Response(campaign=campaign, agency=tree[code], client_id=uuid.uuid4(), channel="paper", answers=answers,
                 submitted_at=ANSWERED_AT)
        for code, answers in rows
    )  # fmt: skip


scale = st.one_of(st.none(), st.integers(min_value=1, max_value=5))


def answer_sheets(codes: list[str]):
    return st.fixed_dictionaries({code: scale for code in codes}).map(
        lambda d: {k: v for k, v in d.items() if v is not None}
    )


def scaled_codes(definition: dict, kind: str) -> list[str]:
    return [
        q["code"]
        for q in definition["questions"]
        if q["kind"] == "scale5" and (not q["agency_kinds"] or kind in q["agency_kinds"]) and not q["shown_if"]
    ]


@pytest.mark.parametrize("commune_version", ["LS-XA-2026", "SIPAS-2023"])
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(data=st.data())
def test_a_version_per_level_is_computed_as_its_definitions_say(tree, commune_clone, commune_version, data):
    communes = Methodology.objects.get(code=commune_version)
    IndexRun.objects.all().delete()
    Response.objects.all().delete()
    from surveys.models import Campaign

    Campaign.objects.filter(slug="per-level").delete()
    campaign = per_level_campaign(tree, communes)
    by_level = {"department": definition_of(campaign.methodology), "commune": definition_of(communes)}
    rows = data.draw(
        st.lists(
            st.one_of(
                st.tuples(
                    st.sampled_from(DEPARTMENTS), answer_sheets(scaled_codes(by_level["department"], "department"))
                ),
                st.tuples(st.sampled_from(COMMUNES), answer_sheets(scaled_codes(by_level["commune"], "commune"))),
            ),
            max_size=16,
        )
    )
    store(campaign, tree, rows)

    run = compute_campaign_index(campaign=campaign)

    for level, codes in (("department", DEPARTMENTS), ("commune", COMMUNES)):
        for code in codes:
            result = run.agency_results.get(agency=tree[code])
            assert result.figures["version"] == by_level[level]["code"]
            assert_same(result.figures, reference(by_level[level], [a for c, a in rows if c == code]))
        group = run.group_results.get(key=level).figures
        assert_same(group, reference(by_level[level], [a for c, a in rows if c in codes]))
    pooled = run.group_results.get(key="campaign").figures
    assert pooled["comparable"]["versions"] == sorted([by_level["department"]["code"], by_level["commune"]["code"]])
    if commune_version == "LS-XA-2026":  # the same five satisfaction questions: the index pools
        everyone = [a for _c, a in rows]
        expected = mean(index_of(everyone, f"HL_{f}") for f in ("TC", "TT", "CC", "KQ", "GY"))
        assert pooled["comparable"]["index"] is True
        assert close(pooled["sipas"], expected)
        assert pooled["factors"]["TC"]["evaluation"] is None  # TC's criteria differ between the versions
        assert close(pooled["criteria"]["TC1"], index_of(everyone, "TC1")) and "TC5" not in pooled["criteria"]
        assert close(pooled["factors"]["TT"]["evaluation"], mean(index_of(everyone, f"TT{i}") for i in range(1, 6)))
    else:  # a different index: not pooled, and said so
        assert pooled["comparable"]["index"] is False
        assert pooled["sipas"] is None and pooled["criteria"] == {}
        with translation.override("en"):
            assert "not pooled" in pooled_note(pooled["comparable"])
    assert run.summary["levels"]["commune"]["version"] == commune_version


def test_rankings_stay_within_a_level_answering_one_version(tree, sipas_2023):
    campaign = per_level_campaign(tree, sipas_2023)
    items = [q.code for q in sipas_2023.questions.filter(role="criterion")]
    store(campaign, tree, [("06001", dict.fromkeys(items, 5)), ("06004", dict.fromkeys(items, 2))])
    store(campaign, tree, [("20.SNV", {"HL_TC": 4}), ("20.STP", {"HL_TC": 1})])

    run = compute_campaign_index(campaign=campaign)

    ranks = {r.agency.code: (r.level, r.rank, r.figures["sipas"]) for r in run.agency_results.select_related("agency")}
    assert ranks == {
        "06001": ("commune", 1, 100.0), "06004": ("commune", 2, 0.0),
        "20.SNV": ("department", 1, 100.0), "20.STP": ("department", 2, 0.0),
    }  # fmt: skip
    figures = run.agency_results.get(agency=tree["06001"]).figures
    assert figures["parts"] == {"I": 100.0, "II": 100.0}
    assert set(figures["factors"]) == {"I_A", "I_B", "I_C", "I_D", "II_A", "II_B", "II_C", "II_D", "II_E"}


def test_sipas_2023_ratings_and_facts_are_shares_per_answer(tree, sipas_2023):
    campaign = per_level_campaign(tree, sipas_2023)
    store(campaign, tree, [("06001", {"MD1": "4", "NK": "1", "KT": ["1", "6"]}), ("06001", {"MD1": "2", "NK": "3"})])

    figures = compute_campaign_index(campaign=campaign).agency_results.get(agency=tree["06001"]).figures

    assert figures["ratings"]["MD1"] == {"1": 0.0, "2": 50.0, "3": 0.0, "4": 50.0}
    assert figures["facts"]["NK"] == {"1": 50.0, "2": 0.0, "3": 50.0}
    assert figures["facts"]["KT"]["6"] == 100.0
    assert figures["expectations"] == {}


# --- grades and targets per level ---------------------------------------------------------------------------------


BANDS = [
    {"min": 95, "label": "Xuất sắc", "label_en": "Excellent"},
    {"min": 80, "label": "Tốt", "label_en": "Good"},
    {"min": 70, "label": "Khá", "label_en": "Fair"},
]


def test_grades_and_targets_of_a_level_are_counted_and_kept_in_the_summary(
    tree, make_index_campaign, add_index_responses
):
    campaign = make_index_campaign(target_percent=50)
    campaign = set_level_settings(campaign=campaign, versions={}, grading={"commune": {"target": 90, "bands": BANDS}})
    add_index_responses(campaign, tree["06001"], *[{"HL_TC": 5}] * 9, {"HL_TC": 1})  # 90
    add_index_responses(campaign, tree["06004"], *[{"HL_TC": 5}] * 7, *[{"HL_TC": 2}] * 3)  # 70
    add_index_responses(campaign, tree["20.SNV"], {"HL_TC": 5}, {"HL_TC": 1})  # 50

    run = compute_campaign_index(campaign=campaign)

    communes = run.group_results.get(key="commune").figures
    assert communes["target"] == 90 and communes["meets_target"] == 1
    assert [(g["label_en"], g["agencies"]) for g in communes["grades"]] == [("Excellent", 0), ("Good", 1), ("Fair", 1)]
    departments = run.group_results.get(key="department").figures
    assert (departments["target"], departments["meets_target"]) == (50, 1)  # the campaign's target
    assert run.summary["levels"]["commune"] == {"version": "SIPAS-2017", "target": 90, "bands": BANDS}
    sipas = run.agency_results.get(agency=tree["06004"]).sipas
    assert grade(sipas, run.summary["levels"]["commune"]["bands"])["label_en"] == "Fair"
