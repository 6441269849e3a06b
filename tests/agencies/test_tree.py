"""The agency tree: materialised paths, depths, one-query subtrees, moves that keep the tree a tree, and the
database constraints on activity periods and successors."""

from __future__ import annotations

import datetime
import re

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies import selectors
from agencies.models import Agency, AgencyKind
from agencies.rows import AgencyRow
from agencies.services import AgencyTreeError, sync_agencies

DEEP_ROWS = [
    AgencyRow("D1", "Huyện Một", AgencyKind.DISTRICT, "huyện", "20"),
    AgencyRow("X1", "Xã Một", AgencyKind.COMMUNE, "xã", "D1"),
    AgencyRow("X2", "Xã Hai", AgencyKind.COMMUNE, "xã", "D1"),
    AgencyRow("T1", "Thôn Một", AgencyKind.COMMUNE, "thôn", "X1"),
]


@pytest.fixture
def deep_tree(tree) -> dict[str, Agency]:
    """The shared tree plus a district 20 → D1 → X1 → T1 and D1 → X2."""
    sync_agencies(DEEP_ROWS)
    return {a.code: a for a in Agency.objects.all()}


def codes(queryset) -> list[str]:
    return [a.code for a in queryset]


def test_subtree_is_one_query(deep_tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = codes(selectors.subtree(deep_tree["20"]))

    assert len(found) == 9


def test_subtree_returns_exactly_the_descendants_in_tree_order(deep_tree):
    found = codes(selectors.subtree(deep_tree["20"]))

    assert sorted(found) == sorted(["20", "20.SNV", "20.STP", "06001", "06004", "D1", "X1", "X2", "T1"])
    assert found.index("D1") < found.index("X1") < found.index("T1") < found.index("X2")
    assert found[0] == "20"


def test_subtree_of_a_middle_agency_stops_at_its_own_branch(deep_tree):
    assert codes(selectors.subtree(deep_tree["D1"])) == ["D1", "X1", "T1", "X2"]


def test_subtree_without_root_leaves_the_root_out(deep_tree, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = codes(selectors.subtree(deep_tree["D1"], include_root=False))

    assert found == ["X1", "T1", "X2"]


def test_subtree_of_a_leaf_is_the_leaf(deep_tree):
    assert codes(selectors.subtree(deep_tree["T1"])) == ["T1"]


def test_subtree_of_one_province_holds_nothing_of_another(tree):
    assert codes(selectors.subtree(tree["22"])) == ["22", "07000"]


def test_depth_counts_the_levels_below_the_root(deep_tree):
    depths = {code: deep_tree[code].depth for code in ("20", "20.SNV", "D1", "X1", "T1", "22", "07000")}

    assert depths == {"20": 0, "20.SNV": 1, "D1": 1, "X1": 2, "T1": 3, "22": 0, "07000": 1}


def test_path_is_the_chain_of_zero_padded_primary_keys(deep_tree):
    chain = [deep_tree[code] for code in ("20", "D1", "X1", "T1")]

    assert chain[0].path == f"{chain[0].pk:010d}/"
    assert chain[-1].path == "".join(f"{a.pk:010d}/" for a in chain)
    assert all(re.fullmatch(rf"(\d{{10}}/){{{a.depth + 1}}}", a.path) for a in deep_tree.values())


def test_moving_under_own_descendant_raises_tree_error(deep_tree):
    with pytest.raises(AgencyTreeError):
        sync_agencies([AgencyRow("D1", "Huyện Một", AgencyKind.DISTRICT, "huyện", "T1")])

    d1 = Agency.objects.get(code="D1")
    assert (d1.parent.code, d1.path, d1.depth) == ("20", deep_tree["D1"].path, 1)


def test_moving_a_province_under_its_commune_raises_tree_error(tree):
    with pytest.raises(AgencyTreeError):
        sync_agencies([AgencyRow("20", "Tỉnh Lạng Sơn", AgencyKind.PROVINCE, "tỉnh", "06001")])

    assert Agency.objects.get(code="20").parent is None


def test_parent_cycle_among_the_rows_raises_tree_error(db):
    rows = [
        AgencyRow("A", "Huyện A", AgencyKind.DISTRICT, "", "B"),
        AgencyRow("B", "Huyện B", AgencyKind.DISTRICT, "", "A"),
    ]

    with pytest.raises(AgencyTreeError):
        sync_agencies(rows)

    assert not Agency.objects.exists()


def test_unknown_parent_raises_tree_error_and_writes_nothing(tree):
    count = Agency.objects.count()

    with pytest.raises(AgencyTreeError):
        sync_agencies(
            [AgencyRow("06100", "Xã Mới", AgencyKind.COMMUNE, "xã", "20"), AgencyRow("X", "X", "commune", "", "99")]
        )

    assert Agency.objects.count() == count


def test_moving_a_branch_rewrites_the_paths_and_depths_below_it(deep_tree):
    sync_agencies([AgencyRow("X1", "Xã Một", AgencyKind.COMMUNE, "xã", "22")])

    moved = {a.code: a for a in Agency.objects.filter(code__in=["22", "X1", "T1"])}
    assert moved["T1"].path == f"{moved['22'].path}{moved['X1'].pk:010d}/{moved['T1'].pk:010d}/"
    assert (moved["X1"].depth, moved["T1"].depth) == (1, 2)
    assert codes(selectors.subtree(moved["22"])) == ["22", "07000", "X1", "T1"]
    assert codes(selectors.subtree(deep_tree["D1"])) == ["D1", "X2"]


def test_end_of_activity_before_its_start_is_refused_by_the_database(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.filter(code="06001").update(
            active_from=datetime.date(2025, 7, 1), active_to=datetime.date(2025, 6, 30)
        )


def test_one_day_activity_period_is_allowed(tree):
    Agency.objects.filter(code="06001").update(
        active_from=datetime.date(2025, 7, 1), active_to=datetime.date(2025, 7, 1)
    )

    assert Agency.objects.get(code="06001").active_to == datetime.date(2025, 7, 1)


def test_agency_as_its_own_successor_is_refused_by_the_database(tree):
    commune = tree["06001"]

    with pytest.raises(IntegrityError), transaction.atomic():
        Agency.objects.filter(pk=commune.pk).update(successor=commune)


def test_another_agency_as_successor_is_allowed(tree):
    Agency.objects.filter(code="06001").update(successor=tree["06004"])

    assert Agency.objects.get(code="06001").successor == tree["06004"]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2025, 6, 30), False),
        (datetime.date(2025, 7, 1), True),
        (datetime.date(2025, 12, 31), True),
        (datetime.date(2026, 1, 1), False),
    ],
)
def test_is_active_on_includes_both_ends_of_the_period(day, expected):
    agency = Agency(active_from=datetime.date(2025, 7, 1), active_to=datetime.date(2025, 12, 31))

    assert agency.is_active_on(day) is expected


def test_open_ended_agency_is_active_on_any_day():
    agency = Agency(active_from=None, active_to=None)

    assert agency.is_active_on(datetime.date(1990, 1, 1))
    assert agency.is_active_on(datetime.date(2100, 1, 1))


def test_active_is_judged_on_today():
    today = timezone.localdate()
    yesterday = today - datetime.timedelta(days=1)

    assert Agency(active_from=today).active
    assert Agency(active_to=today).active
    assert not Agency(active_to=yesterday).active
    assert not Agency(active_from=today + datetime.timedelta(days=1)).active
