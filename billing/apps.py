from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Facturation")

    def ready(self):
        # The family-at-a-glance panel (accounts.staff_panels: accounts cannot read the ledger).
        from .ledger import staff_panels  # noqa: F401
