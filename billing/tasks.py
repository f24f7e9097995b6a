"""Celery tasks of billing (Celery's autodiscovery imports ``billing.tasks``)."""
from .invoicing.tasks import invoicing_month_drafts  # noqa: F401
from .payments.tasks import online_payments_poll  # noqa: F401
