from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SipasConfig(AppConfig):
    name = "sipas"
    verbose_name = _("SIPAS portal")

    def ready(self) -> None:
        # Each app declares its long-running job kinds in a `jobs` module; load them all once.
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("jobs")
