"""Demo data for `seed_demo`: the real province from the official list and one user per role."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from agencies.models import Agency, AgencyKind, Role
from agencies.services import SyncReport, grant_membership, import_province


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    role: str
    agency: Agency | None


def seed_demo_agencies(*, province_code: str) -> tuple[SyncReport, list[DemoUser]]:
    """Import the province (idempotent) and create or reset the demo accounts, one per role.

    The passwords are public (printed by the command), so this must never run on a production database:
    the command refuses unless DEBUG is on or --force is given.
    """
    report = import_province(province_code=province_code)
    province = Agency.objects.get(code=f"{int(province_code):02d}", kind=AgencyKind.PROVINCE)
    home_affairs = Agency.objects.get(code=f"{province.code}.SNV")
    justice = Agency.objects.get(code=f"{province.code}.STP")
    communes = Agency.objects.filter(parent=province, kind=AgencyKind.COMMUNE).order_by("code")
    plan = [
        ("officer", Role.OFFICER, province, "Cán bộ Sở Nội vụ"),
        ("leader", Role.MANAGER, justice, "Lãnh đạo Sở Tư pháp"),
        ("staff", Role.STAFF, communes[0], "Công chức Bộ phận Một cửa"),
        ("enumerator", Role.ENUMERATOR, communes[1], "Điều tra viên"),
    ]
    users = []
    with transaction.atomic():
        for username, role, agency, full_name in plan:
            user = _reset_user(f"demo_{username}", first_name=full_name)
            grant_membership(user=user, agency=agency, role=role)
            users.append(DemoUser(user.username, _password(username), role, agency))
        admin = _reset_user("demo_admin", first_name="Quản trị", superuser=True)
        users.append(DemoUser(admin.username, _password("admin"), "admin", None))
        grant_membership(user=admin, agency=home_affairs, role=Role.OFFICER)
    return report, users


def _password(role: str) -> str:
    return f"sipas-{role}-demo"


def _reset_user(username: str, *, first_name: str, superuser: bool = False):
    user, _created = get_user_model().objects.get_or_create(username=username)
    user.first_name = first_name
    user.is_staff = user.is_superuser = superuser
    user.set_password(_password(username.removeprefix("demo_")))
    user.save()
    return user
