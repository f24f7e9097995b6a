from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Facturation")

    def ready(self):
        # The family-at-a-glance panel (accounts.staff_panels: accounts cannot read the ledger).
        # Payments settle invoices (billing.invoicing.settlement), whoever records them.
        # The parent's home page shows the balances (portal cannot import billing).
        from portal.home import register_home_section

        from .invoicing.receivers import on_payment_recorded
        from .ledger import staff_panels  # noqa: F401
        from .ledger.home import home_balance
        from .ledger.signals import payment_recorded

        payment_recorded.connect(on_payment_recorded, dispatch_uid="billing.invoicing.settle_payments")
        # "Payer" on an invoice goes through the online payment (billing.payments) when the structure has one,
        # and the Payment of that attempt settles that invoice first.
        from .invoicing.online import on_online_payment_received, online_pay_invoice_link
        from .invoicing.paying import pay_link_register
        from .payments.signals import online_payment_received

        pay_link_register(online_pay_invoice_link)
        online_payment_received.connect(on_online_payment_received, dispatch_uid="billing.invoicing.settle_paid_invoice")
        register_home_section(20, home_balance)
