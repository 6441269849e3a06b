"""`seed_demo`: a demo portal with public passwords, so it refuses a production-like setup (DEBUG off)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from agencies.models import Agency, AgencyKind, Membership

DEMO_ACCOUNTS = {
    "demo_officer": "sipas-officer-demo",
    "demo_leader": "sipas-leader-demo",
    "demo_staff": "sipas-staff-demo",
    "demo_enumerator": "sipas-enumerator-demo",
    "demo_admin": "sipas-admin-demo",
}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    out = StringIO()
    options.setdefault("responses", 0)  # the responses are tested in tests/reports/test_seed_demo_campaigns.py
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def debug_on(settings):
    settings.DEBUG = True


def can_log_in(username: str, password: str) -> bool:
    user = get_user_model().objects.get(username=username)
    return user.is_active and user.check_password(password)


def roles_of(username: str) -> set[tuple[str, str]]:
    return set(Membership.objects.filter(user__username=username).values_list("role", "agency__code"))


def test_refuses_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        seed()

    assert not get_user_model().objects.exists()
    assert not Agency.objects.exists()


def test_force_runs_with_debug_off(db, settings):
    settings.DEBUG = False

    seed(force=True)

    assert set(get_user_model().objects.values_list("username", flat=True)) == set(DEMO_ACCOUNTS)


def test_creates_one_demo_user_per_role_in_the_province(db, debug_on):
    seed()

    first_communes = list(
        Agency.objects.filter(parent__code="20", kind=AgencyKind.COMMUNE)
        .order_by("code")
        .values_list("code", flat=True)[:2]
    )
    assert roles_of("demo_officer") == {("officer", "20")}
    assert roles_of("demo_leader") == {("manager", "20.STP")}
    assert roles_of("demo_staff") == {("staff", first_communes[0])}
    assert roles_of("demo_enumerator") == {("enumerator", first_communes[1])}
    admin = get_user_model().objects.get(username="demo_admin")
    assert admin.is_superuser and admin.is_staff
    assert not get_user_model().objects.get(username="demo_officer").is_staff


def test_imports_the_whole_province(db, debug_on):
    seed()

    assert Agency.objects.get(code="20").name == "Tỉnh Lạng Sơn"
    assert Agency.objects.filter(parent__code="20").count() == 14 + 65


def test_prints_usernames_with_passwords_that_log_in(db, debug_on):
    out = seed()

    for username, password in DEMO_ACCOUNTS.items():
        line = next(line for line in out.splitlines() if line.split()[:1] == [username])
        assert password in line
        assert can_log_in(username, password)


def test_running_twice_is_fine(db, debug_on):
    seed()
    get_user_model().objects.filter(username="demo_staff").update(password="!")

    out = seed()

    assert "0 created, 0 updated, 80 unchanged" in out
    assert get_user_model().objects.count() == len(DEMO_ACCOUNTS)
    assert Membership.objects.count() == len(DEMO_ACCOUNTS)
    assert can_log_in("demo_staff", DEMO_ACCOUNTS["demo_staff"])


def test_unknown_province_is_reported(db, debug_on):
    with pytest.raises(CommandError, match="99"):
        seed(province="99")

    assert not get_user_model().objects.exists()
