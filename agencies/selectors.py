from __future__ import annotations

from django.db.models import Count, QuerySet

from agencies.models import Agency, Membership


def subtree(root: Agency, *, include_root: bool = True) -> QuerySet[Agency]:
    """All agencies under `root`, in tree order, with one indexed prefix query."""
    queryset = Agency.objects.filter(path__startswith=root.path)
    return queryset if include_root else queryset.exclude(pk=root.pk)


def children_of(agency: Agency) -> QuerySet[Agency]:
    return Agency.objects.filter(parent=agency).annotate(child_count=Count("children")).order_by("kind", "name")


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("agency").order_by("role", "agency__path")


def kind_counts(queryset: QuerySet[Agency]) -> dict[str, int]:
    return dict(queryset.order_by().values_list("kind").annotate(n=Count("id")))
