"""An officer's own agency list (XLSX or CSV): every bad row reported with its spreadsheet row number and
column, nothing written unless the whole file is good, re-imports idempotent, moves carry whole subtrees."""

from __future__ import annotations

import csv
import datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from openpyxl import Workbook

from agencies import selectors, services
from agencies.importers import AgencyFileInvalid
from agencies.models import Agency, Role
from agencies.scope import agencies_in_scope
from sipas.models import AuditEntry

HEADER = ("code", "name", "kind", "parent_code")
NEW_COMMUNE = ("06100", "Xã Mới", "commune", "20")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """The shared `actors` hash six passwords; the default hasher would make each scope test take seconds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def write_xlsx(path: Path, rows, header=HEADER) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row) if row is not None else [])
    workbook.save(path)
    return path


def write_csv(path: Path, rows, header=HEADER, encoding="utf-8") -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row or [])
    return path


@pytest.fixture(params=["xlsx", "csv"])
def agency_file(request, tmp_path):
    """Writes rows (row 1 = header) as an .xlsx or a .csv file; every test using it runs for both."""

    def make(rows, header=HEADER, name="agencies"):
        path = tmp_path / f"{name}.{request.param}"
        writer = write_xlsx if request.param == "xlsx" else write_csv
        return writer(path, rows, header)

    return make


def import_file(path: Path, **kwargs) -> services.SyncReport:
    return services.import_agency_file(source=path, name=path.name, **kwargs)


def rejected(path: Path, **kwargs) -> list:
    with pytest.raises(AgencyFileInvalid) as caught:
        import_file(path, **kwargs)
    return caught.value.errors


def places(errors) -> list[tuple[int, str]]:
    return [(e.row, e.column) for e in errors]


def run_command(path: Path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_agencies", file=str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# Good files


def test_new_commune_is_created_under_stored_province(tree, agency_file):
    report = import_file(agency_file([NEW_COMMUNE]))

    commune = Agency.objects.get(code="06100")
    assert (commune.name, commune.kind, commune.parent.code, commune.depth) == ("Xã Mới", "commune", "20", 1)
    assert commune.path.startswith(tree["20"].path)
    assert report.created == 1


def test_import_records_an_audit_entry_naming_the_officer(actors, agency_file):
    import_file(agency_file([NEW_COMMUNE]), acting_user=actors.officer_a)

    entry = AuditEntry.objects.filter(action="agencies.sync").first()
    assert entry.actor == actors.officer_a
    assert entry.data["created"] == 1


def test_vietnamese_kind_word_sets_kind_and_unit_type(tree, agency_file):
    import_file(
        agency_file(
            [
                ("06100", "Xã Mới", "xã", "20"),
                ("06101", "Phường Mới", "Phường", "20"),
                ("07100", "Đặc khu Mới", "đặc khu", "22"),
                ("20.SYT", "Sở Y tế", "sở", "20"),
            ]
        )
    )

    stored = {
        a.code: (a.kind, a.unit_type) for a in Agency.objects.filter(code__in=["06100", "06101", "07100", "20.SYT"])
    }
    assert stored == {
        "06100": ("commune", "xã"),
        "06101": ("commune", "phường"),
        "07100": ("special_zone", "đặc khu"),
        "20.SYT": ("department", "sở"),
    }


def test_unit_type_column_wins_over_kind_word(tree, agency_file):
    import_file(agency_file([("06100", "Xã Mới", "xã", "20", "xã biên giới")], header=(*HEADER, "unit_type")))

    assert Agency.objects.get(code="06100").unit_type == "xã biên giới"


def test_vietnamese_column_names_are_understood(tree, agency_file):
    import_file(agency_file([NEW_COMMUNE], header=("Mã", "Tên", "Loại", "Mã cha")))

    assert Agency.objects.get(code="06100").parent.code == "20"


def test_province_without_parent_is_accepted(db, agency_file):
    import_file(agency_file([("24", "Tỉnh Bắc Ninh", "province", None)]))

    province = Agency.objects.get(code="24")
    assert province.parent is None
    assert province.depth == 0


def test_parent_later_in_the_file_is_accepted(db, agency_file):
    import_file(
        agency_file(
            [
                ("06100", "Xã Mới", "commune", "D1"),
                ("D1", "Huyện Một", "district", "24"),
                ("24", "Tỉnh Bắc Ninh", "province", None),
            ]
        )
    )

    commune = Agency.objects.get(code="06100")
    assert [a.code for a in (commune.parent, commune.parent.parent)] == ["D1", "24"]
    assert commune.depth == 2


def test_dates_in_both_formats_are_read(tree, agency_file):
    import_file(
        agency_file(
            [("06100", "Xã Mới", "commune", "20", "2025-07-01", "31/12/2030")],
            header=(*HEADER, "active_from", "active_to"),
        )
    )

    commune = Agency.objects.get(code="06100")
    assert (commune.active_from, commune.active_to) == (datetime.date(2025, 7, 1), datetime.date(2030, 12, 31))


def test_date_cells_of_a_workbook_are_read(tree, tmp_path):
    path = write_xlsx(
        tmp_path / "dates.xlsx",
        [("06100", "Xã Mới", "commune", "20", datetime.date(2025, 7, 1))],
        header=(*HEADER, "active_from"),
    )

    import_file(path)

    assert Agency.objects.get(code="06100").active_from == datetime.date(2025, 7, 1)


def test_number_cells_of_a_workbook_match_stored_codes(tree, tmp_path):
    path = write_xlsx(tmp_path / "numbers.xlsx", [("06100", "Xã Mới", "commune", 20), ("06101", "Xã Hai", "xã", 20.0)])

    import_file(path)

    assert set(Agency.objects.filter(code__in=["06100", "06101"]).values_list("parent__code", flat=True)) == {"20"}


def test_csv_saved_by_excel_with_a_byte_order_mark_is_read(tree, tmp_path):
    path = write_csv(tmp_path / "excel.csv", [NEW_COMMUNE], encoding="utf-8-sig")

    import_file(path)

    assert Agency.objects.filter(code="06100").exists()


def test_successor_in_the_file_is_linked(tree, agency_file):
    import_file(
        agency_file(
            [("06001", "Xã Đoàn Kết", "commune", "20", "06100"), ("06100", "Xã Mới", "commune", "20", None)],
            header=(*HEADER, "successor_code"),
        )
    )

    assert Agency.objects.get(code="06001").successor.code == "06100"


def test_stored_successor_is_linked(tree, agency_file):
    import_file(agency_file([("06001", "Xã Đoàn Kết", "commune", "20", "06004")], header=(*HEADER, "successor_code")))

    assert Agency.objects.get(code="06001").successor == tree["06004"]


def test_reimporting_the_same_file_changes_nothing(tree, agency_file):
    path = agency_file([NEW_COMMUNE, ("06001", "Xã Đoàn Kết", "commune", "20")])
    import_file(path)
    before = list(Agency.objects.values_list("code", "name", "path", "updated_at"))
    audits = AuditEntry.objects.count()

    report = import_file(path)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert list(Agency.objects.values_list("code", "name", "path", "updated_at")) == before
    assert AuditEntry.objects.count() == audits


def test_changing_a_name_updates_it(tree, agency_file):
    report = import_file(agency_file([("06001", "Xã Đoàn Kết Mới", "commune", "20")]))

    assert Agency.objects.get(code="06001").name == "Xã Đoàn Kết Mới"
    assert (report.created, report.updated) == (0, 1)


def test_moving_an_agency_moves_its_whole_subtree(tree, agency_file):
    import_file(
        agency_file(
            [
                ("D1", "Huyện Một", "district", "20"),
                ("D2", "Huyện Hai", "district", "20"),
                ("X1", "Xã Một", "commune", "D1"),
                ("T1", "Thôn Một", "commune", "X1"),
            ],
            name="first",
        )
    )

    report = import_file(agency_file([("D1", "Huyện Một", "district", "D2")], name="move"))

    moved = {a.code: a for a in Agency.objects.filter(code__in=["D1", "D2", "X1", "T1"])}
    assert report.updated == 1
    assert moved["D1"].parent.code == "D2"
    assert [moved[c].depth for c in ("D2", "D1", "X1", "T1")] == [1, 2, 3, 4]
    assert moved["D1"].path == f"{moved['D2'].path}{moved['D1'].pk:010d}/"
    assert moved["X1"].path == f"{moved['D1'].path}{moved['X1'].pk:010d}/"
    assert moved["T1"].path == f"{moved['X1'].path}{moved['T1'].pk:010d}/"
    assert list(selectors.subtree(moved["D2"]).values_list("code", flat=True)) == ["D2", "D1", "X1", "T1"]


def test_moving_a_commune_to_another_province_takes_it_out_of_the_first(tree, agency_file):
    import_file(agency_file([("06001", "Xã Đoàn Kết", "commune", "22")]))

    assert "06001" in selectors.subtree(tree["22"]).values_list("code", flat=True)
    assert "06001" not in selectors.subtree(tree["20"]).values_list("code", flat=True)
    assert Agency.objects.get(code="06001").depth == 1


# Bad headers and unreadable files


def test_missing_required_header_column_is_reported_on_row_1(tree, agency_file):
    errors = rejected(agency_file([("06100", "Xã Mới", "20")], header=("code", "name", "parent_code")))

    assert places(errors) == [(1, "kind")]
    assert "missing" in errors[0].message


def test_every_missing_header_column_is_reported(tree, agency_file):
    errors = rejected(agency_file([("06100",)], header=("code",)))

    assert places(errors) == [(1, "name"), (1, "kind")]


def test_workbook_that_is_not_a_zip_is_rejected(db, tmp_path):
    path = tmp_path / "agencies.xlsx"
    path.write_bytes(b"code,name,kind\n20,Tinh,province\n")

    errors = rejected(path)

    assert places(errors) == [(0, "")]
    assert "Excel" in errors[0].message


@pytest.mark.parametrize("filename", ["agencies.xls", "agencies.txt", "agencies"])
def test_unsupported_file_type_is_rejected(db, tmp_path, filename):
    path = tmp_path / filename
    path.write_bytes(b"code,name,kind\n20,Tinh,province\n")

    errors = rejected(path)

    assert places(errors) == [(0, "")]
    assert ".xlsx" in errors[0].message


def test_empty_csv_is_rejected(db, tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")

    errors = rejected(path)

    assert places(errors) == [(0, "")]
    assert "empty" in errors[0].message


def test_empty_workbook_is_rejected(db, tmp_path):
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)

    errors = rejected(path)

    assert places(errors) == [(0, "")]
    assert "empty" in errors[0].message


def test_file_with_only_a_header_has_no_data_rows(db, agency_file):
    errors = rejected(agency_file([]))

    assert places(errors) == [(2, "")]
    assert "no data rows" in errors[0].message


def test_csv_that_is_not_utf8_is_rejected(db, tmp_path):
    path = write_csv(tmp_path / "latin.csv", [("20", "Tinh Hà Nam", "province", None)], encoding="latin-1")

    errors = rejected(path)

    assert places(errors) == [(0, "")]
    assert "UTF-8" in errors[0].message


def test_csv_that_turns_out_not_utf8_after_the_first_block_is_rejected(tree, tmp_path):
    good = [(f"C{i:05d}", f"Xã Số {i}", "commune", "20") for i in range(400)]
    path = write_csv(tmp_path / "mixed.csv", good)
    with path.open("ab") as handle:
        handle.write("C99999,Xã Hà,commune,20\n".replace("ã", "a").replace("à", "\xe0").encode("latin-1"))
    count = Agency.objects.count()

    errors = rejected(path)

    assert "UTF-8" in errors[0].message
    assert Agency.objects.count() == count


# Bad rows: one problem each, located by spreadsheet row and column


def test_missing_code_is_reported(tree, agency_file):
    assert places(rejected(agency_file([NEW_COMMUNE, (None, "Xã Mới", "commune", "20")]))) == [(3, "code")]


def test_missing_name_is_reported(tree, agency_file):
    assert places(rejected(agency_file([NEW_COMMUNE, ("06101", None, "commune", "20")]))) == [(3, "name")]


def test_missing_kind_is_reported(tree, agency_file):
    assert places(rejected(agency_file([NEW_COMMUNE, ("06101", "Xã Hai", None, "20")]))) == [(3, "kind")]


@pytest.mark.parametrize("code", ["061 00", "xã01", "-0610", "06/100", "C" * 33])
def test_bad_code_is_reported(tree, agency_file, code):
    errors = rejected(agency_file([(code, "Xã Mới", "commune", "20")]))

    assert places(errors) == [(2, "code")]


def test_code_of_32_allowed_characters_is_accepted(tree, agency_file):
    code = "A1._-" + "x" * 27

    import_file(agency_file([(code, "Xã Mới", "commune", "20")]))

    assert Agency.objects.filter(code=code).exists()


def test_name_longer_than_255_characters_is_reported(tree, agency_file):
    errors = rejected(agency_file([("06100", "X" * 256, "commune", "20")]))

    assert places(errors) == [(2, "name")]
    assert "255" in errors[0].message


def test_unit_type_longer_than_64_characters_is_reported(tree, agency_file):
    errors = rejected(agency_file([("06100", "Xã Mới", "commune", "20", "x" * 65)], header=(*HEADER, "unit_type")))

    assert places(errors) == [(2, "unit_type")]


def test_unknown_kind_is_reported_with_the_word_used(tree, agency_file):
    errors = rejected(agency_file([("06100", "Thôn Mới", "thôn", "20")]))

    assert places(errors) == [(2, "kind")]
    assert "thôn" in errors[0].message


def test_non_province_without_parent_is_reported(tree, agency_file):
    errors = rejected(agency_file([("06100", "Xã Mới", "xã", None)]))

    assert places(errors) == [(2, "parent_code")]


def test_agency_that_is_its_own_parent_is_reported(tree, agency_file):
    errors = rejected(agency_file([("06100", "Xã Mới", "commune", "06100")]))

    assert places(errors) == [(2, "parent_code")]
    assert "own parent" in errors[0].message


def test_unknown_parent_is_reported(tree, agency_file):
    errors = rejected(agency_file([NEW_COMMUNE, ("06101", "Xã Hai", "commune", "99")]))

    assert places(errors) == [(3, "parent_code")]
    assert "99" in errors[0].message


def test_duplicate_code_reports_second_row_naming_first(tree, agency_file):
    errors = rejected(
        agency_file([NEW_COMMUNE, ("06101", "Xã Hai", "commune", "20"), ("06100", "Xã Mới Khác", "commune", "20")])
    )

    assert places(errors) == [(4, "code")]
    assert "06100" in errors[0].message
    assert "row 2" in errors[0].message


def test_bad_iso_date_is_reported(tree, agency_file):
    errors = rejected(agency_file([(*NEW_COMMUNE, "2025-13-01")], header=(*HEADER, "active_from")))

    assert places(errors) == [(2, "active_from")]
    assert "2025-13-01" in errors[0].message


def test_bad_day_month_year_date_is_reported(tree, agency_file):
    errors = rejected(agency_file([(*NEW_COMMUNE, "31/02/2025")], header=(*HEADER, "active_to")))

    assert places(errors) == [(2, "active_to")]
    assert "31/02/2025" in errors[0].message


def test_end_date_before_start_date_is_reported(tree, agency_file):
    errors = rejected(
        agency_file([(*NEW_COMMUNE, "01/07/2025", "2025-06-30")], header=(*HEADER, "active_from", "active_to"))
    )

    assert places(errors) == [(2, "active_to")]


def test_unknown_successor_is_reported(tree, agency_file):
    errors = rejected(agency_file([(*NEW_COMMUNE, "99999")], header=(*HEADER, "successor_code")))

    assert places(errors) == [(2, "successor_code")]
    assert "99999" in errors[0].message


def test_agency_that_is_its_own_successor_is_reported(tree, agency_file):
    errors = rejected(agency_file([(*NEW_COMMUNE, "06100")], header=(*HEADER, "successor_code")))

    assert places(errors) == [(2, "successor_code")]


def test_parent_cycle_within_the_file_is_reported_on_each_row(tree, agency_file):
    errors = rejected(
        agency_file(
            [NEW_COMMUNE, ("D1", "Huyện Một", "district", "D2"), ("D2", "Huyện Hai", "district", "D1")],
        )
    )

    assert places(errors) == [(3, "parent_code"), (4, "parent_code")]


def test_parent_cycle_through_stored_agencies_is_reported(tree, agency_file):
    errors = rejected(agency_file([("20", "Tỉnh Lạng Sơn", "province", "06001")]))

    assert places(errors) == [(2, "parent_code")]
    assert Agency.objects.get(code="20").parent is None


def test_blank_rows_keep_the_spreadsheet_row_numbers(tree, agency_file):
    errors = rejected(agency_file([NEW_COMMUNE, None, ("06101", None, "commune", "20")]))

    assert places(errors) == [(4, "name")]


def test_several_bad_rows_are_all_reported(tree, agency_file):
    errors = rejected(
        agency_file(
            [
                NEW_COMMUNE,
                ("06101", None, "commune", "20"),
                ("06102", "Xã Ba", "làng", "20"),
                ("06 103", "Xã Bốn", "commune", None),
                ("06104", "Xã Năm", "commune", "20"),
            ]
        )
    )

    assert places(errors) == [(3, "name"), (4, "kind"), (5, "code"), (5, "parent_code")]


def test_bad_row_and_unknown_parent_elsewhere_are_reported_together(tree, agency_file):
    errors = rejected(agency_file([("06101", None, "commune", "20"), ("06102", "Xã Ba", "commune", "99")]))

    assert places(errors) == [(2, "name"), (3, "parent_code")]


# All or nothing


def test_one_bad_row_among_good_rows_writes_nothing(tree, agency_file):
    path = agency_file([NEW_COMMUNE, ("06001", "Xã Đoàn Kết Mới", "commune", "20"), ("06102", None, "commune", "20")])
    count, audits = Agency.objects.count(), AuditEntry.objects.count()

    rejected(path)

    assert Agency.objects.count() == count
    assert Agency.objects.get(code="06001").name == "Xã Đoàn Kết"
    assert AuditEntry.objects.count() == audits


def test_one_unknown_parent_among_good_rows_writes_nothing(tree, agency_file):
    path = agency_file([NEW_COMMUNE, ("06001", "Xã Đoàn Kết", "commune", "22"), ("06102", "Xã Ba", "commune", "99")])
    count = Agency.objects.count()

    rejected(path)

    assert Agency.objects.count() == count
    assert Agency.objects.get(code="06001").parent.code == "20"


# Officer uploads: restricted to the officer's own area


@pytest.fixture
def officer_scope(actors):
    return agencies_in_scope(actors.officer_a, [Role.OFFICER])


def test_officer_may_add_and_rename_inside_own_area(officer_scope, agency_file):
    import_file(agency_file([NEW_COMMUNE, ("06001", "Xã Đoàn Kết Mới", "commune", "20")]), scope=officer_scope)

    assert Agency.objects.get(code="06100").parent.code == "20"
    assert Agency.objects.get(code="06001").name == "Xã Đoàn Kết Mới"


def test_officer_may_not_change_an_agency_outside_own_area(officer_scope, agency_file):
    errors = rejected(agency_file([("07000", "Đặc khu Đổi Tên", "special_zone", "20")]), scope=officer_scope)

    assert (2, "code") in places(errors)
    assert Agency.objects.get(code="07000").name == "Đặc khu Vân Đồn"


def test_officer_may_not_add_under_a_parent_outside_own_area(officer_scope, agency_file):
    errors = rejected(agency_file([NEW_COMMUNE, ("07100", "Xã Mới", "commune", "22")]), scope=officer_scope)

    assert places(errors) == [(3, "parent_code")]
    assert not Agency.objects.filter(code__in=["06100", "07100"]).exists()


def test_officer_may_not_move_an_agency_out_of_own_area(officer_scope, agency_file):
    errors = rejected(agency_file([("06001", "Xã Đoàn Kết", "commune", "22")]), scope=officer_scope)

    assert places(errors) == [(2, "parent_code")]
    assert Agency.objects.get(code="06001").parent.code == "20"


def test_officer_may_not_name_a_successor_outside_own_area(officer_scope, agency_file):
    errors = rejected(
        agency_file([("06001", "Xã Đoàn Kết", "commune", "20", "07000")], header=(*HEADER, "successor_code")),
        scope=officer_scope,
    )

    assert places(errors) == [(2, "successor_code")]


def test_officer_may_not_add_an_agency_without_parent(officer_scope, agency_file):
    errors = rejected(agency_file([("24", "Tỉnh Bắc Ninh", "province", None)]), scope=officer_scope)

    assert places(errors) == [(2, "parent_code")]
    assert not Agency.objects.filter(code="24").exists()


def test_without_scope_the_same_file_is_accepted(tree, agency_file):
    import_file(agency_file([("07100", "Xã Mới", "commune", "22"), ("24", "Tỉnh Bắc Ninh", "province", None)]))

    assert Agency.objects.filter(code__in=["07100", "24"]).count() == 2


# The management command


def test_command_imports_a_file_and_reports_counts(tree, agency_file):
    out, _err = run_command(agency_file([NEW_COMMUNE, ("06001", "Xã Đoàn Kết Mới", "commune", "20")]))

    assert "1 created, 1 updated, 0 unchanged" in out
    assert Agency.objects.filter(code="06100").exists()


def test_command_says_when_a_file_changes_nothing(tree, agency_file):
    path = agency_file([NEW_COMMUNE])
    run_command(path)

    out, _err = run_command(path)

    assert "Nothing changed" in out


def test_command_prints_each_error_and_says_nothing_was_imported(tree, tmp_path):
    path = write_csv(
        tmp_path / "bad.csv",
        [NEW_COMMUNE, ("06101", None, "commune", "20"), ("06102", "Xã Ba", "làng", "20")],
    )
    err = StringIO()
    count = Agency.objects.count()

    with pytest.raises(CommandError) as caught:
        call_command("import_agencies", file=str(path), stdout=StringIO(), stderr=err)

    assert err.getvalue().splitlines() == [
        "Row 3, column name: a name is required",
        "Row 4, column kind: unknown kind làng (use province, department, district, commune or special_zone)",
    ]
    assert "Nothing was imported" in str(caught.value)
    assert "2 error(s)" in str(caught.value)
    assert Agency.objects.count() == count


def test_command_reports_a_missing_csv_file(db, tmp_path):
    with pytest.raises(CommandError, match="File not found"):
        run_command(tmp_path / "missing.csv")


def test_command_reports_a_missing_workbook(db, tmp_path):
    with pytest.raises(CommandError, match="File not found"):
        run_command(tmp_path / "missing.xlsx")
