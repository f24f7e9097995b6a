"""Gapless numbers: one counter row per structure, year and series, taken under a row lock.

The caller's transaction holds the lock until it commits, so two finalisations never read the
same last number, and a rolled-back one gives its numbers back (no gap).
"""
from __future__ import annotations

from django.db import transaction

from .models import DEFAULT_CREDIT_NOTE_FORMAT, DEFAULT_INVOICE_FORMAT, InvoiceCounter, InvoicingSettings

TAX_CERTIFICATE_FORMAT = "AF{year}-{number:05d}"


def number_format(*, structure_id: int, series: str) -> str:
    if series == InvoiceCounter.Series.TAX_CERTIFICATE:
        return TAX_CERTIFICATE_FORMAT
    settings_row = InvoicingSettings.objects.filter(structure_id=structure_id).first()
    if series == InvoiceCounter.Series.INVOICE:
        return settings_row.invoice_number_format if settings_row else DEFAULT_INVOICE_FORMAT
    return settings_row.credit_note_number_format if settings_row else DEFAULT_CREDIT_NOTE_FORMAT


def numbers_take(*, structure_id: int, year: int, series: str, count: int = 1) -> list[str]:
    """The next `count` numbers of the series, formatted; must run inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("numbers_take must run inside the transaction that uses the numbers")
    # Create the row if it is missing without racing another creator (ON CONFLICT DO NOTHING).
    InvoiceCounter.objects.bulk_create([InvoiceCounter(structure_id=structure_id, year=year, series=series)],
                                       ignore_conflicts=True)
    counter = InvoiceCounter.objects.select_for_update().get(structure_id=structure_id, year=year, series=series)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    template = number_format(structure_id=structure_id, series=series)
    return [template.format(year=year, number=n) for n in range(first, first + count)]
