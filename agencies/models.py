"""The agency tree (province → departments, districts, communes), service points and memberships."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AgencyKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    DEPARTMENT = "department", _("Department")
    DISTRICT = "district", _("District")
    COMMUNE = "commune", _("Commune")
    SPECIAL_ZONE = "special_zone", _("Special zone")


class Agency(models.Model):
    """A state administrative agency whose service citizens judge.

    `path` is a materialised path of primary keys ("000012/000345/"), so a whole subtree is one indexed
    prefix query (`path__startswith`) on every database, with no recursion in Python. Services keep it in
    step with `parent`.
    """

    PATH_STEP = 10  # digits of one primary key in the path; wide enough for ten thousand million agencies

    code = models.CharField(_("official code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=255)
    kind = models.CharField(_("kind"), max_length=16, choices=AgencyKind.choices)
    unit_type = models.CharField(
        _("unit type"), max_length=64, blank=True, help_text=_("Vietnamese unit type, e.g. xã, phường, đặc khu, sở.")
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent")
    )
    path = models.CharField(max_length=255, editable=False, db_index=False)
    search_text = models.CharField(max_length=300, editable=False, default="")  # agencies.text.fold(code + name)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_to = models.DateField(_("active until"), null=True, blank=True)
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
        verbose_name=_("successor"),
        help_text=_("The unit that absorbed this one when units merged."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["path"]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%' whatever the collation.
            models.Index(fields=["path"], name="agency_subtree_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "path"], name="agency_kind_path_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(active_to__isnull=True)
                | Q(active_from__isnull=True)
                | Q(active_to__gte=models.F("active_from")),
                name="agency_active_period_ordered",
            ),
            models.CheckConstraint(condition=~Q(successor=models.F("id")), name="agency_not_own_successor"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def is_active_on(self, day) -> bool:
        return (self.active_from is None or self.active_from <= day) and (
            self.active_to is None or day <= self.active_to
        )

    @property
    def active(self) -> bool:
        return self.is_active_on(timezone.localdate())


class ServicePoint(models.Model):
    """A one-stop-shop counter or location (Bộ phận Một cửa, điểm tiếp nhận) of an agency."""

    agency = models.ForeignKey(
        Agency, on_delete=models.CASCADE, related_name="service_points", verbose_name=_("agency")
    )
    code = models.CharField(_("code"), max_length=32)
    name = models.CharField(_("name"), max_length=255)
    address = models.CharField(_("address"), max_length=255, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("service point")
        verbose_name_plural = _("service points")
        ordering = ["agency", "code"]
        constraints = [models.UniqueConstraint(fields=["agency", "code"], name="service_point_code_per_agency")]

    def __str__(self) -> str:
        return f"{self.name} — {self.agency.name}"


class Role(models.TextChoices):
    OFFICER = "officer", _("Home Affairs officer")
    MANAGER = "manager", _("Agency leader")
    STAFF = "staff", _("One-stop-shop staff")
    ENUMERATOR = "enumerator", _("Enumerator")


class Membership(models.Model):
    """Ties a user to an agency with a role. An officer's scope is the agency's whole subtree; the other
    roles see their own agency only."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("agency"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "agency", "role"], name="membership_unique_role")]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency.code}"
