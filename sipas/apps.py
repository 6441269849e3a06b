from django.apps import AppConfig
from django.contrib import admin
from django.contrib.admin.apps import SimpleAdminConfig
from django.utils.translation import gettext_lazy as _


class SipasConfig(AppConfig):
    name = "sipas"
    verbose_name = _("SIPAS portal")
    # Job handlers are found when a job is first queued or run (sipas.jobs), not at start-up.


class AdminConfig(SimpleAdminConfig):
    """The admin, without importing every app's admin module at start-up: a command such as compute_index never
    uses them, and importing them took a few hundredths of a second of its start-up. They are imported when
    the admin is first needed: by its URLs (sipas/urls.py) and by its system checks (AdminSite below)."""

    default_site = "sipas.apps.AdminSite"

    def ready(self) -> None:
        super().ready()
        # The default site is made on first use. Make it now, so that the admin's checks, which check the sites
        # that exist, find it even when nothing else has used it yet.
        admin.site.check  # noqa: B018


class AdminSite(admin.AdminSite):
    def check(self, app_configs):
        # Register every ModelAdmin first, so that the checks see them whatever ran before.
        admin.autodiscover()
        return super().check(app_configs)
