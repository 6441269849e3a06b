"""Public, read-only agency list: GET /api/v1/agencies/ (?root=CODE for a subtree, ?kind=, ?active=)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError

from agencies.models import Agency, AgencyKind

CODE_PATTERN = r"[A-Za-z0-9._-]+"


class DetailSerializer(serializers.Serializer):
    """{"detail": "..."}: the agency does not exist, or too many requests."""

    detail = serializers.CharField(read_only=True)


class AgencySerializer(serializers.ModelSerializer):
    parent = serializers.CharField(
        source="parent.code",
        default=None,
        allow_null=True,
        read_only=True,
        help_text=_("Code of the parent agency; null for a province (the top of the tree)."),
    )
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

    def filter_queryset(self, queryset):
        # django-filter reads an unknown `active` or an empty `kind` as "no filter": a client that mistyped one
        # would get every agency. A value the schema does not allow is a 400 instead.
        allowed = {"active": {"true", "false"}, "kind": set(AgencyKind.values)}
        wrong = {
            name: [_("Not one of the allowed values: %(values)s.") % {"values": ", ".join(sorted(values))}]
            for name, values in allowed.items()
            if any(value not in values for value in self.data.getlist(name))
        }
        if wrong:
            raise ValidationError(wrong)
        return super().filter_queryset(queryset)

    def filter_root(self, queryset, name, value):
        root = Agency.objects.filter(code=value).only("path").first()
        if root is None:
            raise ValidationError({"root": [_("No agency has the code %(code)s.") % {"code": value}]})
        return queryset.filter(path__startswith=root.path)

    def filter_active(self, queryset, name, value):
        today = timezone.localdate()
        current = (Q(active_from__isnull=True) | Q(active_from__lte=today)) & (
            Q(active_to__isnull=True) | Q(active_to__gte=today)
        )
        return queryset.filter(current) if value else queryset.exclude(current)


TOO_MANY = OpenApiResponse(DetailSerializer, description="Too many requests without a token from this address.")


@extend_schema_view(
    list=extend_schema(
        responses={
            200: AgencySerializer(many=True),
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description="A filter that is not valid (an unknown root or kind), by field."
            ),
            404: OpenApiResponse(DetailSerializer, description="A page beyond the last (or not a page number)."),
            429: TOO_MANY,
        }
    ),
    retrieve=extend_schema(
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                pattern=f"^{CODE_PATTERN}$",
                description="The agency's official code.",
            )
        ],
        responses={
            200: AgencySerializer,
            404: OpenApiResponse(DetailSerializer, description="No agency has this code."),
            429: TOO_MANY,
        },
    ),
)
class AgencyViewSet(viewsets.ReadOnlyModelViewSet):
    """Agencies in tree order. Public: the list of state agencies is public information."""

    queryset = Agency.objects.select_related("parent").order_by("path")
    serializer_class = AgencySerializer
    filterset_class = AgencyFilter
    permission_classes = [permissions.AllowAny]
    lookup_field = "code"
    lookup_value_regex = CODE_PATTERN

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": timezone.localdate()}
