from django.contrib import admin

from agencies.models import Agency, Membership, ServicePoint


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "unit_type", "parent", "active_from", "active_to")
    list_filter = ("kind",)
    search_fields = ("code", "name")
    list_select_related = ("parent",)
    # The tree is changed through imports (agencies.services), which keep `path` right.
    readonly_fields = ("parent", "path", "depth")
    raw_id_fields = ("successor",)


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "agency", "is_active")
    search_fields = ("code", "name", "agency__name")
    raw_id_fields = ("agency",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "agency")
    list_filter = ("role",)
    search_fields = ("user__username", "agency__code", "agency__name")
    raw_id_fields = ("user", "agency")
