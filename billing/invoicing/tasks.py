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
