"""The one mechanism by which every view and API endpoint decides which agencies a user may reach.

An officer's membership covers the agency's whole subtree (one indexed prefix query on `path`); every other
role covers its own agency only. Superusers reach everything. A lookup outside the scope is a 404, so a
user cannot even learn that an agency exists outside their area.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from agencies.models import Agency, Membership, Role

ALL_ROLES: tuple[str, ...] = tuple(Role.values)


def scope_q(user, roles: Iterable[str] = ALL_ROLES) -> Q | None:
    """A filter on Agency for the agencies `user` reaches through `roles`; None means everything."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return None
    condition = Q(pk__in=[])
    memberships = Membership.objects.filter(user=user, role__in=list(roles)).values_list(
        "role", "agency__path", "agency_id"
    )
    for role, path, agency_id in memberships:
        condition |= Q(path__startswith=path) if role == Role.OFFICER else Q(pk=agency_id)
    return condition


def agencies_in_scope(user, roles: Iterable[str] = ALL_ROLES, base: QuerySet[Agency] | None = None) -> QuerySet[Agency]:
    """The agencies `user` may see through `roles` (optionally narrowing `base`)."""
    queryset = base if base is not None else Agency.objects.all()
    condition = scope_q(user, roles)
    return queryset if condition is None else queryset.filter(condition)


def get_agency_in_scope(user, code: str, roles: Iterable[str] = ALL_ROLES) -> Agency:
    """The agency with `code` if `user` reaches it through `roles`; Http404 otherwise (never 403)."""
    agency = (
        agencies_in_scope(user, roles, Agency.objects.select_related("parent", "successor")).filter(code=code).first()
    )
    if agency is None:
        raise Http404("No agency in scope")
    return agency


def roles_at(user, agency: Agency) -> set[str]:
    """The roles through which `user` reaches `agency` (an officer above it counts as officer)."""
    if user.is_superuser:
        return set(ALL_ROLES)
    roles = set()
    for role, path, agency_id in Membership.objects.filter(user=user).values_list("role", "agency__path", "agency_id"):
        if agency_id == agency.pk or (role == Role.OFFICER and agency.path.startswith(path)):
            roles.add(role)
    return roles
