"""agencies.scope: which agencies each actor reaches, and 404 (never 403) outside that."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from agencies.models import Agency, AgencyKind, Role
from agencies.rows import AgencyRow
from agencies.scope import ALL_ROLES, agencies_in_scope, get_agency_in_scope, roles_at
from agencies.services import grant_membership, sync_agencies

PROVINCE_20 = {"20", "20.SNV", "20.STP", "06001", "06004"}
PROVINCE_22 = {"22", "07000"}


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The actors' passwords are hashed with a cheap hasher: scope does not depend on the hash."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def codes(queryset) -> set[str]:
    return set(queryset.values_list("code", flat=True))


# --- agencies_in_scope ---------------------------------------------------------------------------------------


def test_officer_sees_their_whole_province_subtree(actors):
    assert codes(agencies_in_scope(actors.officer_a)) == PROVINCE_20


def test_officer_sees_nothing_of_the_other_province(actors):
    assert codes(agencies_in_scope(actors.officer_a)).isdisjoint(PROVINCE_22)
    assert codes(agencies_in_scope(actors.officer_b)) == PROVINCE_22


def test_officer_sees_an_agency_added_under_their_province_later(actors):
    sync_agencies([AgencyRow("06010", "Xã Mới", AgencyKind.COMMUNE, "xã", "20.SNV")])

    assert "06010" in codes(agencies_in_scope(actors.officer_a))
    assert "06010" not in codes(agencies_in_scope(actors.officer_b))


def test_officer_scope_follows_the_tree_not_the_code_prefix(actors):
    # "20X" starts with "20" but hangs under province 22.
    sync_agencies([AgencyRow("20X", "Xã Lạ", AgencyKind.COMMUNE, "xã", "22")])

    assert "20X" not in codes(agencies_in_scope(actors.officer_a))
    assert "20X" in codes(agencies_in_scope(actors.officer_b))


def test_manager_sees_only_their_own_agency(actors):
    assert codes(agencies_in_scope(actors.manager)) == {"20.STP"}


def test_staff_sees_only_their_own_commune(actors):
    assert codes(agencies_in_scope(actors.staff)) == {"06001"}


def test_enumerator_sees_only_their_own_commune(actors):
    assert codes(agencies_in_scope(actors.enumerator)) == {"06004"}


def test_manager_of_a_province_does_not_reach_its_subtree(actors, tree):
    grant_membership(user=actors.manager, agency=tree["22"], role=Role.MANAGER)

    assert codes(agencies_in_scope(actors.manager)) == {"20.STP", "22"}


def test_anonymous_visitor_sees_nothing(tree):
    assert not agencies_in_scope(AnonymousUser()).exists()


def test_inactive_officer_sees_nothing(actors):
    actors.officer_a.is_active = False
    actors.officer_a.save()

    assert not agencies_in_scope(actors.officer_a).exists()


def test_user_without_membership_sees_nothing(actors, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="correct-horse-battery")

    assert not agencies_in_scope(nobody).exists()


def test_superuser_sees_every_agency(actors):
    assert codes(agencies_in_scope(actors.admin)) == PROVINCE_20 | PROVINCE_22


def test_roles_argument_limits_scope_to_those_roles(actors):
    assert not agencies_in_scope(actors.officer_a, [Role.MANAGER]).exists()
    assert not agencies_in_scope(actors.manager, [Role.OFFICER]).exists()
    assert codes(agencies_in_scope(actors.manager, [Role.MANAGER])) == {"20.STP"}


def test_base_queryset_is_narrowed_not_replaced(actors):
    communes = Agency.objects.filter(kind=AgencyKind.COMMUNE)

    assert codes(agencies_in_scope(actors.officer_a, base=communes)) == {"06001", "06004"}
    assert codes(agencies_in_scope(actors.admin, base=communes)) == {"06001", "06004"}


# --- get_agency_in_scope ---------------------------------------------------------------------------------------


def test_get_agency_in_scope_returns_an_agency_inside_the_scope(actors):
    agency = get_agency_in_scope(actors.officer_a, "06004")

    assert agency.name == "Phường Đông Kinh"
    assert agency.parent.code == "20"


@pytest.mark.parametrize(
    ("actor", "code"),
    [
        ("officer_a", "22"),
        ("officer_a", "07000"),
        ("officer_b", "20.STP"),
        ("manager", "20"),
        ("manager", "20.SNV"),
        ("staff", "06004"),
        ("enumerator", "06001"),
    ],
)
def test_get_agency_in_scope_raises_404_outside_the_scope(actors, actor, code):
    with pytest.raises(Http404):
        get_agency_in_scope(getattr(actors, actor), code)


def test_get_agency_in_scope_raises_404_for_an_unknown_code(actors):
    with pytest.raises(Http404):
        get_agency_in_scope(actors.admin, "99999")


def test_get_agency_in_scope_raises_404_for_anonymous(tree):
    with pytest.raises(Http404):
        get_agency_in_scope(AnonymousUser(), "20")


def test_get_agency_in_scope_respects_roles(actors):
    with pytest.raises(Http404):
        get_agency_in_scope(actors.manager, "20.STP", [Role.OFFICER])


# --- roles_at --------------------------------------------------------------------------------------------------


def test_officer_has_officer_role_at_every_agency_below(actors, tree):
    assert roles_at(actors.officer_a, tree["20"]) == {Role.OFFICER}
    assert roles_at(actors.officer_a, tree["06001"]) == {Role.OFFICER}


def test_officer_has_no_role_in_the_other_province(actors, tree):
    assert roles_at(actors.officer_a, tree["07000"]) == set()


def test_manager_has_manager_role_only_at_their_agency(actors, tree):
    assert roles_at(actors.manager, tree["20.STP"]) == {Role.MANAGER}
    assert roles_at(actors.manager, tree["20"]) == set()


def test_staff_role_does_not_extend_to_a_sibling_commune(actors, tree):
    assert roles_at(actors.staff, tree["06001"]) == {Role.STAFF}
    assert roles_at(actors.staff, tree["06004"]) == set()


def test_roles_at_combines_every_membership_that_reaches_the_agency(actors, tree):
    grant_membership(user=actors.staff, agency=tree["20"], role=Role.OFFICER)

    assert roles_at(actors.staff, tree["06001"]) == {Role.STAFF, Role.OFFICER}


def test_superuser_has_every_role_everywhere(actors, tree):
    assert roles_at(actors.admin, tree["07000"]) == set(ALL_ROLES)
