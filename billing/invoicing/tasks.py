"""Beat's monthly invoicing: on the 1st, each structure with invoiced wallets gets the drafts of
the month just ended, for staff to review and finalise (numbers are never given by beat)."""
from __future__ import annotations

import logging

from celery import shared_task

from billing.models import Wallet
from portal import dates
from portal.models import Structure

from .services import invoicing_run_start

logger = logging.getLogger(__name__)


@shared_task(name="billing.tasks.invoicing_month_drafts")
def invoicing_month_drafts() -> list[int]:
    """Compute last month's drafts per structure (a finalised month is left alone); returns the run ids."""
    month = dates.add_months(dates.today(), -1)
    structures = Structure.objects.filter(wallets__mode=Wallet.Mode.INVOICED).distinct().order_by("pk")
    run_ids = []
    for structure in structures:
        run = invoicing_run_start(structure=structure, month=month)
        logger.info("invoicing %s %s: run %s (%s)", structure.slug, month, run.pk, run.status)
        run_ids.append(run.pk)
    return run_ids


@shared_task(name="billing.tasks.invoice_reminders")
def invoice_reminders() -> int:
    """Every morning: the reminders of invoices unpaid after their due date (once per level)."""
    from .reminders import reminders_send

    count = reminders_send()
    logger.info("invoice reminders: %s queued", count)
    return count


@shared_task(name="billing.tasks.tax_certificates_of_last_year")
def tax_certificates_of_last_year() -> int:
    """On 2 January: number last year's tax certificates so parents can download them (staff e-mail them)."""
    from .tax_certificates import tax_certificates_generate

    year = dates.today().year - 1
    return sum(len(tax_certificates_generate(structure=structure, year=year))
               for structure in Structure.objects.order_by("pk"))
