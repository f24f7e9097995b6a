"""Reminders of invoices unpaid after their due date: once per invoice and level, through the
outbox (the signal notifications connects). Beat runs ``reminders_send`` every morning; a rerun
the same day, or a second worker, sends nothing twice (a row per invoice and level, written
under the invoice's row lock)."""
from __future__ import annotations

import datetime

from django.db import transaction

from portal import dates

from .models import Invoice, InvoiceReminder, InvoicingSettings
from .selectors import InvoiceState, invoice_rows
from .signals import invoice_reminder_due

DEFAULT_LEVELS = (7, 30)  # days after the due date of the first and second reminder


def reminder_levels(*, structure_id: int) -> list[tuple[int, int]]:
    """[(level, days after the due date)], ascending."""
    row = InvoicingSettings.objects.filter(structure_id=structure_id).first()
    days = (row.first_reminder_days, row.second_reminder_days) if row else DEFAULT_LEVELS
    return [(level, day) for level, day in enumerate(days, start=1) if day]


def reminders_send(*, today: datetime.date | None = None, structure_id: int | None = None) -> int:
    """Send the reminders due today; returns how many were queued."""
    today = today or dates.today()
    invoices = Invoice.objects.filter(status=Invoice.Status.FINALISED, credit_note__isnull=True, due_date__lt=today)
    if structure_id is not None:
        invoices = invoices.filter(structure_id=structure_id)
    levels: dict[int, list[tuple[int, int]]] = {}
    sent = 0
    for row in invoice_rows(list(invoices.select_related("family", "structure").order_by("due_date", "id")), today=today):
        if row.state != InvoiceState.LATE:
            continue
        invoice = row.invoice
        if invoice.structure_id not in levels:
            levels[invoice.structure_id] = reminder_levels(structure_id=invoice.structure_id)
        if invoice.due_date is None:
            continue
        late_days = (today - invoice.due_date).days
        reached = [level for level, days in levels[invoice.structure_id] if late_days >= days]
        if reached and _remind(invoice=invoice, level=max(reached), amount_due=row.left, today=today):
            sent += 1
    return sent


@transaction.atomic
def _remind(*, invoice: Invoice, level: int, amount_due, today: datetime.date) -> bool:
    Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if InvoiceReminder.objects.filter(invoice=invoice, level__gte=level).exists():
        return False
    reminder = InvoiceReminder.objects.create(invoice=invoice, level=level, sent_on=today, amount_due=amount_due)
    invoice_reminder_due.send(sender=InvoiceReminder, reminder=reminder, invoice=invoice)
    return True
