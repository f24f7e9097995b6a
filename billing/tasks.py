"""Celery tasks of billing (Celery's autodiscovery imports ``billing.tasks``)."""
from .invoicing.tasks import invoice_reminders, invoicing_month_drafts, tax_certificates_of_last_year  # noqa: F401
from .payments.tasks import online_payments_poll  # noqa: F401
