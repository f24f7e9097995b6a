from django.apps import AppConfig
from django.core.signals import got_request_exception
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portail")

    def ready(self):
        from .errors import remember_request_exception

        got_request_exception.connect(remember_request_exception, dispatch_uid="portal.remember_request_exception")
