"""The official unit list of the 2025 two-tier model (34 provinces, 3,321 communes) from the
`vietnam-provinces` package, plus the standard set of provincial departments that this project keeps in
agencies/data/departments.csv."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

from agencies.models import AgencyKind
from agencies.rows import AgencyRow

TWO_TIER_START = datetime.date(2025, 7, 1)
DEPARTMENTS_CSV = Path(__file__).resolve().parent / "data" / "departments.csv"

# vietnam_provinces is imported where it is used: its tables take a tenth of Django's start-up to load, and
# every command (compute_index among them) would pay for it at start.
_COMMUNE_KIND = {"XA": AgencyKind.COMMUNE, "PHUONG": AgencyKind.COMMUNE, "DAC_KHU": AgencyKind.SPECIAL_ZONE}


class UnknownProvince(ValueError):
    pass


def province_code_text(code: int) -> str:
    return f"{int(code):02d}"


def commune_code_text(code: int) -> str:
    return f"{int(code):05d}"


def department_code(province_code: str, suffix: str) -> str:
    return f"{province_code}.{suffix}"


def province_rows(code: str | int) -> list[AgencyRow]:
    """Rows for a province, its departments and all its communes, parents first. Raises UnknownProvince."""
    from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType, Ward

    try:
        province = Province.from_code(ProvinceCode(int(code)))
    except ValueError as exc:
        raise UnknownProvince(str(code)) from exc
    pcode = province_code_text(province.code)
    # The list names provinces bare ("Lạng Sơn") but centrally-run cities in full ("Thành phố Hà Nội").
    prefix = "Tỉnh" if province.division_type == VietNamDivisionType.TINH else "Thành phố"
    name = province.name if province.name.startswith(prefix) else f"{prefix} {province.name}"
    rows = [
        AgencyRow(
            code=pcode,
            name=name,
            kind=AgencyKind.PROVINCE,
            unit_type=province.division_type.value,
            parent_code="",
            active_from=TWO_TIER_START,
        )
    ]
    rows += [
        AgencyRow(
            code=department_code(pcode, dept["suffix"]),
            name=dept["name"],
            kind=AgencyKind.DEPARTMENT,
            unit_type=dept["unit_type"],
            parent_code=pcode,
            active_from=TWO_TIER_START,
        )
        for dept in department_list()
    ]
    wards = sorted((w for w in Ward.iter_all() if w.province_code == province.code), key=lambda w: int(w.code))
    rows += [
        AgencyRow(
            code=commune_code_text(ward.code),
            name=ward.name,
            kind=_COMMUNE_KIND[ward.division_type.name],
            unit_type=ward.division_type.value,
            parent_code=pcode,
            active_from=TWO_TIER_START,
        )
        for ward in wards
    ]
    return rows


def department_list() -> list[dict[str, str]]:
    with DEPARTMENTS_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def all_province_codes() -> list[str]:
    from vietnam_provinces import Province

    return sorted(province_code_text(p.code) for p in Province.iter_all())
