"""Every write to the agency tree goes through here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies import official
from agencies.importers import AgencyFileInvalid, read_agency_file
from agencies.models import Agency, Membership, ServicePoint
from agencies.rows import AgencyRow
from agencies.text import fold
from sipas.audit import record_audit

_COMPARED_FIELDS = ("name", "kind", "unit_type", "active_from", "active_to")


class AgencyTreeError(ValueError):
    """A change would break the tree (a cycle, a missing parent)."""


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> int:
        return self.created + self.updated

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def path_for(parent: Agency | None, pk: int) -> str:
    return f"{parent.path if parent else ''}{pk:0{Agency.PATH_STEP}d}/"


def sync_agencies(rows: Iterable[AgencyRow], *, acting_user=None, source: str = "") -> SyncReport:
    """Create or update agencies so that they match `rows`, in one transaction; rows equal to the stored
    agency are left untouched, so a repeated import changes nothing. Parents may be in `rows` (in any
    order) or already stored. Raises AgencyTreeError on an unknown parent or a cycle (nothing is written).
    """
    rows = list(rows)
    report = SyncReport()
    with transaction.atomic():
        wanted = {r.code for r in rows} | {r.parent_code for r in rows} | {r.successor_code or "" for r in rows}
        wanted.discard("")
        existing = {a.code: a for a in Agency.objects.filter(code__in=wanted).select_for_update()}
        touched: set[str] = set()
        for level in _levels(rows):
            new: list[Agency] = []
            changed: list[Agency] = []
            for row in level:
                parent = _parent_of(row, existing)
                agency = existing.get(row.code)
                if agency is None:
                    agency = Agency(
                        code=row.code,
                        parent=parent,
                        path="",
                        search_text=fold(f"{row.code} {row.name}"),
                        **{f: getattr(row, f) for f in _COMPARED_FIELDS},
                    )
                    new.append(agency)
                    existing[row.code] = agency
                    continue
                if agency.parent_id != (parent.pk if parent else None):
                    _move(agency, parent, existing)
                    touched.add(agency.code)
                if any(getattr(agency, f) != getattr(row, f) for f in _COMPARED_FIELDS):
                    for f in _COMPARED_FIELDS:
                        setattr(agency, f, getattr(row, f))
                    agency.search_text = fold(f"{agency.code} {agency.name}")
                    changed.append(agency)
                    touched.add(agency.code)
            Agency.objects.bulk_create(new)
            for agency in new:
                agency.path = path_for(agency.parent, agency.pk)
                agency.depth = agency.parent.depth + 1 if agency.parent else 0
            Agency.objects.bulk_update(new, ["path", "depth"])
            now = timezone.now()
            for agency in changed:
                agency.updated_at = now
            Agency.objects.bulk_update(changed, [*_COMPARED_FIELDS, "search_text", "updated_at"])
            report.created += len(new)
            touched.update(a.code for a in new)
        touched |= _sync_successors(rows, existing)
        report.updated = len(touched) - report.created
        report.unchanged = len({r.code for r in rows}) - report.changed
        if report.changed:
            record_audit(actor=acting_user, action="agencies.sync", source=source, **report.as_dict())
    return report


def _parent_of(row: AgencyRow, existing: dict[str, Agency]) -> Agency | None:
    if not row.parent_code:
        return None
    try:
        return existing[row.parent_code]
    except KeyError:
        raise AgencyTreeError(_("Parent agency %(code)s does not exist.") % {"code": row.parent_code}) from None


def _levels(rows: list[AgencyRow]) -> list[list[AgencyRow]]:
    """Group rows so that every row comes after the row of its parent (when its parent is in `rows`)."""
    by_code = {r.code: r for r in rows}
    depth: dict[str, int] = {}

    def depth_of(code: str, seen: frozenset[str]) -> int:
        if code in depth:
            return depth[code]
        if code in seen:
            raise AgencyTreeError(_("Agency %(code)s is its own ancestor.") % {"code": code})
        parent = by_code[code].parent_code
        depth[code] = depth_of(parent, seen | {code}) + 1 if parent in by_code else 0
        return depth[code]

    levels: dict[int, list[AgencyRow]] = {}
    for row in rows:
        levels.setdefault(depth_of(row.code, frozenset()), []).append(row)
    return [levels[d] for d in sorted(levels)]


def _move(agency: Agency, parent: Agency | None, existing: dict[str, Agency]) -> None:
    """Re-hang `agency` and its whole subtree under `parent` with one UPDATE of the subtree's paths."""
    if parent is not None and parent.path.startswith(agency.path):
        raise AgencyTreeError(_("Agency %(code)s cannot be moved under its own descendant.") % {"code": agency.code})
    old_prefix = agency.path
    new_prefix = path_for(parent, agency.pk)
    delta = (parent.depth + 1 if parent else 0) - agency.depth
    Agency.objects.filter(path__startswith=old_prefix).update(
        path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1, Length("path"))),
        depth=F("depth") + delta,
    )
    Agency.objects.filter(pk=agency.pk).update(parent=parent)
    agency.parent = parent
    for other in existing.values():  # keep in-memory paths of moved descendants right for later levels
        if other.path.startswith(old_prefix):
            other.path = new_prefix + other.path[len(old_prefix) :]
            other.depth += delta


def _sync_successors(rows: list[AgencyRow], existing: dict[str, Agency]) -> set[str]:
    changed = []
    for row in rows:
        if row.successor_code is None:  # the source says nothing about successors: leave them
            continue
        agency = existing[row.code]
        successor = existing.get(row.successor_code) if row.successor_code else None
        if row.successor_code and successor is None:
            raise AgencyTreeError(_("Successor agency %(code)s does not exist.") % {"code": row.successor_code})
        if agency.successor_id != (successor.pk if successor else None):
            agency.successor = successor
            changed.append(agency)
    Agency.objects.bulk_update(changed, ["successor"])
    return {a.code for a in changed}


def import_province(*, province_code: str, acting_user=None) -> SyncReport:
    """Load a province, its standard departments and every commune of the 2025 official list.

    Raises official.UnknownProvince for a code that is not one of the 34 provinces.
    """
    rows = official.province_rows(province_code)
    return sync_agencies(rows, acting_user=acting_user, source=f"official:{rows[0].code}")


def import_agency_file(*, source, name: str = "", acting_user=None, scope=None) -> SyncReport:
    """Load an officer's own list (XLSX or CSV). All or nothing: raises AgencyFileInvalid listing every bad
    row (spreadsheet row number, column, reason) and writes nothing. With `scope` (the acting officer's
    agencies) the file may only change or add agencies inside it."""
    rows = read_agency_file(source, name=name, scope=scope)
    try:
        return sync_agencies(rows, acting_user=acting_user, source=f"file:{name}")
    except AgencyTreeError as exc:  # validate_tree catches these first; kept as a last guard
        raise AgencyFileInvalid([]) from exc


def add_service_point(*, agency: Agency, code: str, name: str, address: str = "", acting_user=None) -> ServicePoint:
    """Create a one-stop-shop service point of `agency`. Raises ValueError if the code is taken there."""
    with transaction.atomic():
        if ServicePoint.objects.filter(agency=agency, code=code).exists():
            raise ValueError(_("Service point code %(code)s is already used in this agency.") % {"code": code})
        point = ServicePoint.objects.create(agency=agency, code=code, name=name, address=address)
        record_audit(actor=acting_user, action="agencies.service_point_added", target=point, code=code)
    return point


def grant_membership(*, user, agency: Agency, role: str, acting_user=None) -> Membership:
    """Give `user` `role` at `agency` (idempotent)."""
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, agency=agency, role=role)
        if created:
            record_audit(actor=acting_user, action="agencies.membership_granted", target=membership, role=role)
    return membership
