"""Public, read-only agency list: GET /api/v1/agencies/ (?root=CODE for a subtree, ?kind=, ?active=)."""

from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError

from agencies.models import Agency, AgencyKind


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.CharField(source="parent.code", default=None, read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = Agency
        fields = ["code", "name", "kind", "unit_type", "parent", "active", "active_from", "active_to"]

    def get_active(self, agency: Agency) -> bool:
        return agency.is_active_on(self.context["today"])


class AgencyFilter(django_filters.FilterSet):
    root = django_filters.CharFilter(method="filter_root", label=_("Code of the subtree's root agency"))
    kind = django_filters.ChoiceFilter(choices=AgencyKind.choices)
    active = django_filters.BooleanFilter(method="filter_active")

    class Meta:
        model = Agency
        fields = ["root", "kind", "active"]

    def filter_root(self, queryset, name, value):
        root = Agency.objects.filter(code=value).only("path").first()
        if root is None:
            raise ValidationError({"root": [_("No agency has the code %(code)s.") % {"code": value}]})
        return queryset.filter(path__startswith=root.path)

    def filter_active(self, queryset, name, value):
        from django.db.models import Q

        today = timezone.localdate()
        current = (Q(active_from__isnull=True) | Q(active_from__lte=today)) & (
            Q(active_to__isnull=True) | Q(active_to__gte=today)
        )
        return queryset.filter(current) if value else queryset.exclude(current)


class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    """Agencies in tree order. Public: the list of state agencies is public information."""

    queryset = Agency.objects.select_related("parent").order_by("path")
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9._-]+"

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}
