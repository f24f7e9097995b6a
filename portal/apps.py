from django.apps import AppConfig
from django.core.signals import got_request_exception
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Portail")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .errors import remember_request_exception
        from .middleware import session_refreshed_at_login

        got_request_exception.connect(remember_request_exception, dispatch_uid="portal.remember_request_exception")
        user_logged_in.connect(session_refreshed_at_login, dispatch_uid="portal.session_refreshed_at_login")
