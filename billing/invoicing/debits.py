"""Direct debits under way, as the invoice list and PDF need them."""
from __future__ import annotations

import datetime


def debit_dates(*, invoice_ids) -> dict[int, datetime.date]:
    """Invoice id → collection date of its direct debit in progress (sent, not returned)."""
    from .sepa_models import DirectDebitTransaction

    return dict(DirectDebitTransaction.objects.filter(invoice_id__in=list(invoice_ids),
                                                      status=DirectDebitTransaction.Status.SENT)
                .values_list("invoice_id", "batch__collection_date"))


def mandate_for_invoice(invoice):
    """The active mandate that will collect this invoice (with its ``debit_date``), or None."""
    from .sepa_models import Mandate
    from .target_days import invoice_debit_date

    mandate = Mandate.objects.filter(family_id=invoice.family_id, status=Mandate.Status.ACTIVE).first()
    if mandate is not None:
        mandate.debit_date = invoice_debit_date(invoice)
    return mandate
