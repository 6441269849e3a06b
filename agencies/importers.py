"""Parsing and checking an officer's agency list. Every bad row is reported; nothing is written here."""

from __future__ import annotations

import datetime
import re

from django.utils.translation import gettext as _

from agencies.models import Agency, AgencyKind
from agencies.rows import AgencyRow
from sipas.tabular import RowError, UnreadableFile, cell_text, read_rows

REQUIRED_COLUMNS = ("code", "name", "kind")
OPTIONAL_COLUMNS = ("parent_code", "unit_type", "active_from", "active_to", "successor_code")
HEADER_ALIASES = {
    "mã": "code", "mã_đơn_vị": "code",
    "tên": "name", "tên_đơn_vị": "name",
    "loại": "kind", "cấp": "kind",
    "parent": "parent_code", "mã_đơn_vị_cha": "parent_code", "mã_cha": "parent_code",
    "loại_hình": "unit_type",
    "successor": "successor_code", "mã_đơn_vị_kế_thừa": "successor_code",
}  # fmt: skip
# A kind may be written as its code or as a Vietnamese unit type; the latter also fills `unit_type`.
KIND_WORDS = {
    "tỉnh": AgencyKind.PROVINCE, "thành phố trung ương": AgencyKind.PROVINCE,
    "sở": AgencyKind.DEPARTMENT, "ban": AgencyKind.DEPARTMENT, "ngành": AgencyKind.DEPARTMENT,
    "huyện": AgencyKind.DISTRICT, "quận": AgencyKind.DISTRICT, "thị xã": AgencyKind.DISTRICT,
    "thành phố": AgencyKind.DISTRICT,
    "xã": AgencyKind.COMMUNE, "phường": AgencyKind.COMMUNE, "thị trấn": AgencyKind.COMMUNE,
    "đặc khu": AgencyKind.SPECIAL_ZONE,
}  # fmt: skip
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


class AgencyFileInvalid(Exception):
    """The file cannot be imported; `errors` lists every problem found."""

    def __init__(self, errors: list[RowError]):
        super().__init__(_("%(count)s error(s) in the agency file") % {"count": len(errors)})
        self.errors = errors


def read_agency_file(source, *, name: str = "", scope=None) -> list[AgencyRow]:
    """Read and check the whole file: each row on its own, then the rows against each other and the stored
    tree (see tree_errors). Returns the rows, parents first not guaranteed. Raises AgencyFileInvalid with
    every problem found, sorted by row."""
    rows, row_numbers, bad_codes, errors = _parse_rows(source, name=name)
    errors += tree_errors(rows, row_numbers, scope=scope, known=bad_codes)
    if not rows and not errors:
        errors.append(RowError(2, "", _("the file has no data rows")))
    if errors:
        raise AgencyFileInvalid(sorted(errors, key=lambda e: (e.row, e.column)))
    return rows


def _parse_rows(source, *, name: str) -> tuple[list[AgencyRow], dict[str, int], set[str], list[RowError]]:
    """Each row checked on its own: (good rows, row number of each code, codes of bad rows, errors)."""
    try:
        header, rows = read_rows(source, name=name)
    except UnreadableFile as exc:
        raise AgencyFileInvalid([RowError(0, "", str(exc))]) from exc
    header = [HEADER_ALIASES.get(h, h) for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise AgencyFileInvalid([RowError(1, c, _("required column is missing from the header")) for c in missing])
    errors: list[RowError] = []
    parsed: list[AgencyRow] = []
    row_numbers: dict[str, int] = {}
    bad_codes: set[str] = set()
    try:
        for number, raw in rows:
            raw = {HEADER_ALIASES.get(k, k): v for k, v in raw.items()}
            row, row_errors = _parse_row(number, raw, has_successor_column="successor_code" in header)
            code = row.code if row else cell_text(raw.get("code"))
            if code and code in row_numbers:
                row_errors.append(
                    RowError(
                        number,
                        "code",
                        _("code %(code)s is already on row %(row)s") % {"code": code, "row": row_numbers[code]},
                    )
                )
            elif code:
                row_numbers[code] = number
            errors += row_errors
            if row and not row_errors:
                parsed.append(row)
            elif code:
                bad_codes.add(code)
    except UnreadableFile as exc:  # e.g. a CSV that stops being UTF-8 after its first block
        errors.append(RowError(0, "", str(exc)))
    return parsed, row_numbers, bad_codes, errors


def _parse_row(number: int, raw: dict, *, has_successor_column: bool) -> tuple[AgencyRow | None, list[RowError]]:
    errors: list[RowError] = []

    def fail(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    code = cell_text(raw.get("code"))
    name = cell_text(raw.get("name"))
    kind_text = cell_text(raw.get("kind"))
    unit_type = cell_text(raw.get("unit_type"))
    parent_code = cell_text(raw.get("parent_code"))
    if not code:
        fail("code", _("a code is required"))
    elif len(code) > 32 or not CODE_PATTERN.match(code):
        fail("code", _("a code has at most 32 letters, digits, dots, dashes or underscores"))
    if not name:
        fail("name", _("a name is required"))
    elif len(name) > 255:
        fail("name", _("a name has at most 255 characters"))
    kind = None
    if not kind_text:
        fail("kind", _("a kind is required"))
    elif kind_text.lower() in AgencyKind.values:
        kind = kind_text.lower()
    elif kind_text.lower() in KIND_WORDS:
        kind = KIND_WORDS[kind_text.lower()]
        unit_type = unit_type or kind_text.lower()
    else:
        fail(
            "kind",
            _("unknown kind %(kind)s (use province, department, district, commune or special_zone)")
            % {"kind": kind_text},
        )
    if len(unit_type) > 64:
        fail("unit_type", _("a unit type has at most 64 characters"))
    if kind and kind != AgencyKind.PROVINCE and not parent_code:
        fail("parent_code", _("every agency other than a province needs a parent code"))
    if parent_code and parent_code == code:
        fail("parent_code", _("an agency cannot be its own parent"))
    active_from = _parse_date(raw.get("active_from"), "active_from", fail)
    active_to = _parse_date(raw.get("active_to"), "active_to", fail)
    if active_from and active_to and active_to < active_from:
        fail("active_to", _("the end date is before the start date"))
    successor_code = cell_text(raw.get("successor_code")) if has_successor_column else None
    if successor_code and successor_code == code:
        fail("successor_code", _("an agency cannot be its own successor"))
    if errors:
        return None, errors
    return AgencyRow(code, name, kind, unit_type, parent_code, active_from, active_to, successor_code), errors


def _parse_date(value, column: str, fail) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = cell_text(value)
    for fmt in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    fail(column, _("%(value)s is not a date (use YYYY-MM-DD or DD/MM/YYYY)") % {"value": text})
    return None


def tree_errors(
    rows: list[AgencyRow], row_numbers: dict[str, int], *, scope=None, known: set[str] = frozenset()
) -> list[RowError]:
    """Check the rows against each other and the stored tree: parents and successors exist, no cycles,
    and, when `scope` (a queryset of agencies) is given, every stored agency the file touches or hangs
    rows under lies inside it. Codes in `known` (rows with errors of their own) count as present, so their
    children are not reported a second time."""
    in_file = {r.code: r for r in rows}
    known = set(known) | set(in_file)
    referenced = {r.parent_code for r in rows if r.parent_code} | {r.successor_code for r in rows if r.successor_code}
    stored_parent = dict(Agency.objects.filter(code__in=referenced | set(in_file)).values_list("code", "parent__code"))
    errors: list[RowError] = []
    for row in rows:
        number = row_numbers[row.code]
        if row.parent_code and row.parent_code not in known and row.parent_code not in stored_parent:
            errors.append(
                RowError(
                    number,
                    "parent_code",
                    _("parent %(code)s is neither in the file nor stored") % {"code": row.parent_code},
                )
            )
        if row.successor_code and row.successor_code not in known and row.successor_code not in stored_parent:
            errors.append(
                RowError(
                    number,
                    "successor_code",
                    _("successor %(code)s is neither in the file nor stored") % {"code": row.successor_code},
                )
            )
    if scope is not None:
        errors += _scope_errors(rows, row_numbers, set(stored_parent), scope)
    if not errors:
        errors = _cycle_errors(rows, row_numbers, stored_parent)
    return errors


def _scope_errors(rows, row_numbers, stored: set[str], scope) -> list[RowError]:
    allowed = set(scope.filter(code__in=stored).values_list("code", flat=True))
    errors = []
    for row in rows:
        number = row_numbers[row.code]
        if row.code in stored and row.code not in allowed:
            errors.append(RowError(number, "code", _("agency %(code)s is outside your area") % {"code": row.code}))
        for column in ("parent_code", "successor_code"):
            code = getattr(row, column)
            if code and code in stored and code not in allowed:
                errors.append(RowError(number, column, _("agency %(code)s is outside your area") % {"code": code}))
        if not row.parent_code:
            errors.append(
                RowError(number, "parent_code", _("only an administrator can add an agency without a parent"))
            )
    return errors


def _cycle_errors(rows, row_numbers, stored_parent: dict[str, str | None]) -> list[RowError]:
    """Walk up from each row through the file's parents, falling back to stored ones; a repeat is a cycle.
    Stored ancestors above the referenced codes are loaded lazily, level by level."""
    parent_of = {**stored_parent, **{r.code: r.parent_code or None for r in rows}}
    errors = []
    for row in rows:
        seen = {row.code}
        current = parent_of.get(row.code)
        while current:
            if current in seen:
                errors.append(
                    RowError(
                        row_numbers[row.code], "parent_code", _("this parent would make the agency its own ancestor")
                    )
                )
                break
            seen.add(current)
            if current not in parent_of:
                parent_of.update(Agency.objects.filter(code=current).values_list("code", "parent__code"))
            current = parent_of.get(current)
    return errors
