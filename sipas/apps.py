from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SipasConfig(AppConfig):
    name = "sipas"
    verbose_name = _("SIPAS portal")
