"""`import_agencies --province CODE`: a province, its standard departments and every commune of the 2025
official list, idempotent and kept apart from other provinces."""

from __future__ import annotations

import csv
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from vietnam_provinces import Ward

from agencies import selectors
from agencies.models import Agency, AgencyKind
from agencies.official import DEPARTMENTS_CSV
from sipas.models import AuditEntry

COMMUNE_KINDS = (AgencyKind.COMMUNE, AgencyKind.SPECIAL_ZONE)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def run_import(province: str) -> str:
    out = StringIO()
    call_command("import_agencies", province=province, stdout=out)
    return out.getvalue()


def official_wards(province_code: int) -> dict[str, Ward]:
    return {f"{int(w.code):05d}": w for w in Ward.iter_all() if w.province_code == province_code}


def departments() -> list[dict[str, str]]:
    with DEPARTMENTS_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def communes_of(code: str) -> dict[str, Agency]:
    return {a.code: a for a in Agency.objects.filter(parent__code=code, kind__in=COMMUNE_KINDS)}


@pytest.fixture
def lang_son(db) -> str:
    return run_import("20")


def test_lang_son_gets_exactly_its_65_official_communes(lang_son):
    stored = communes_of("20")

    assert len(stored) == 65
    assert set(stored) == set(official_wards(20))


def test_commune_names_keep_their_diacritics_and_unit_types(lang_son):
    stored = communes_of("20")

    expected = {code: (w.name, w.division_type.value) for code, w in official_wards(20).items()}
    assert {code: (a.name, a.unit_type) for code, a in stored.items()} == expected
    assert stored["06001"].name == "Xã Đoàn Kết"
    assert {a.unit_type for a in stored.values()} == {"xã", "phường"}


def test_province_is_a_root_with_its_vietnamese_name(lang_son):
    province = Agency.objects.get(code="20")

    assert province.name == "Tỉnh Lạng Sơn"
    assert province.kind == AgencyKind.PROVINCE
    assert province.unit_type == "tỉnh"
    assert province.parent is None
    assert province.depth == 0


def test_province_gets_the_14_standard_departments(lang_son):
    stored = {a.code: a for a in Agency.objects.filter(kind=AgencyKind.DEPARTMENT)}

    expected = {f"20.{d['suffix']}": (d["name"], d["unit_type"]) for d in departments()}
    assert len(expected) == 14
    assert {code: (a.name, a.unit_type) for code, a in stored.items()} == expected
    assert {a.parent.code for a in stored.values()} == {"20"}
    assert stored["20.SNV"].name == "Sở Nội vụ"


def test_province_import_holds_nothing_but_the_province_departments_and_communes(lang_son):
    assert Agency.objects.count() == 1 + 14 + 65
    assert set(Agency.objects.exclude(code="20").values_list("parent__code", flat=True)) == {"20"}
    assert set(Agency.objects.exclude(code="20").values_list("depth", flat=True)) == {1}


def test_first_run_reports_what_it_created(lang_son):
    assert "80 created, 0 updated, 0 unchanged" in lang_son


def test_first_run_records_one_audit_entry(lang_son):
    entry = AuditEntry.objects.get()

    assert entry.action == "agencies.sync"
    assert entry.data["created"] == 80


def test_second_run_changes_nothing_and_says_so(lang_son):
    before = list(Agency.objects.values_list("code", "name", "path", "depth", "updated_at"))

    out = run_import("20")

    assert "Nothing changed" in out
    assert "80" in out
    assert list(Agency.objects.values_list("code", "name", "path", "depth", "updated_at")) == before


def test_second_run_writes_no_audit_entry(lang_son):
    run_import("20")

    assert AuditEntry.objects.count() == 1


def test_second_run_restores_a_commune_renamed_by_hand(lang_son):
    Agency.objects.filter(code="06001").update(name="Xã Sai Tên")

    out = run_import("20")

    assert Agency.objects.get(code="06001").name == "Xã Đoàn Kết"
    assert "0 created, 1 updated, 79 unchanged" in out


def test_dac_khu_of_quang_ninh_are_special_zones(db):
    run_import("22")

    stored = communes_of("22")
    zones = {a.name: a for a in stored.values() if a.kind == AgencyKind.SPECIAL_ZONE}
    assert set(zones) == {"Đặc khu Vân Đồn", "Đặc khu Cô Tô"}
    assert {a.unit_type for a in zones.values()} == {"đặc khu"}
    assert set(stored) == set(official_wards(22))
    assert all(a.kind == AgencyKind.COMMUNE for a in stored.values() if a.unit_type in ("xã", "phường"))


def test_two_provinces_side_by_side_do_not_mix(db):
    run_import("20")
    run_import("22")

    lang_son = set(selectors.subtree(Agency.objects.get(code="20")).values_list("code", flat=True))
    quang_ninh = set(selectors.subtree(Agency.objects.get(code="22")).values_list("code", flat=True))
    assert lang_son == {"20"} | {f"20.{d['suffix']}" for d in departments()} | set(official_wards(20))
    assert quang_ninh == {"22"} | {f"22.{d['suffix']}" for d in departments()} | set(official_wards(22))
    assert not lang_son & quang_ninh
    assert Agency.objects.count() == len(lang_son) + len(quang_ninh)


def test_unknown_province_code_lists_the_known_codes(db):
    with pytest.raises(CommandError) as caught:
        run_import("99")

    message = str(caught.value)
    assert "99" in message
    assert "01, 04, 08" in message
    assert "20, 22" in message
    assert message.rstrip().endswith("96")
    assert not Agency.objects.exists()


def test_province_code_that_is_not_a_number_is_unknown(db):
    with pytest.raises(CommandError, match="Known codes"):
        run_import("lang-son")


def test_centrally_run_city_is_named_once(db):
    run_import("01")

    assert Agency.objects.get(code="01").name == "Thành phố Hà Nội"
