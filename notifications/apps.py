from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from accounts.signals import invitation_ready
        from billing.payments.signals import online_payment_received
        from reservations.nightly.signals import reports_range_due, run_counted, transmission_finished

        from .receivers import (
            on_invitation_ready,
            on_online_payment_received,
            on_reports_range_due,
            on_run_counted,
            on_transmission_finished,
        )

        transmission_finished.connect(on_transmission_finished, dispatch_uid="notifications.nightly_reports")
        reports_range_due.connect(on_reports_range_due, dispatch_uid="notifications.nightly_report_ranges")
        run_counted.connect(on_run_counted, dispatch_uid="notifications.run_figures")
        invitation_ready.connect(on_invitation_ready, dispatch_uid="notifications.invitations")
        online_payment_received.connect(on_online_payment_received, dispatch_uid="notifications.payment_receipts")
        from billing.invoicing.signals import debit_returned, invoice_reminder_due, tax_certificate_ready

        from .invoicing_mail import on_debit_returned, on_invoice_reminder_due, on_tax_certificate_ready

        debit_returned.connect(on_debit_returned, dispatch_uid="notifications.debit_returned")
        invoice_reminder_due.connect(on_invoice_reminder_due, dispatch_uid="notifications.invoice_reminders")
        tax_certificate_ready.connect(on_tax_certificate_ready, dispatch_uid="notifications.tax_certificates")
        # The staff home's panel about e-mails (accounts.staff_panels).
        # The hourly task of reminders before booking deadlines (Celery discovers only .tasks).
        from . import reminders, staff_home, staff_panels  # noqa: F401
