"""Direct debits under way, as the invoice list needs them (filled by the SEPA flow)."""
from __future__ import annotations

import datetime


def debit_dates(*, invoice_ids) -> dict[int, datetime.date]:
    """Invoice id → collection date of its direct debit in progress (not returned)."""
    return {}


def mandate_for_invoice(invoice):
    """The active mandate that will collect this invoice, or None (no direct debit)."""
    return None
