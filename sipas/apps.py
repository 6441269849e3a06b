from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SipasConfig(AppConfig):
    name = "sipas"
    verbose_name = _("SIPAS portal")

    def ready(self) -> None:
        from sipas import tasks  # noqa: F401  (registers the job task that sipas.jobs sends by name)
