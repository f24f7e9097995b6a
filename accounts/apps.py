from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Comptes")

    def ready(self):
        # The staff home's panels about logins (accounts.staff_panels).
        from . import admin_home  # noqa: F401
