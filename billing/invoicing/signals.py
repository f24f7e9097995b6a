"""Signals of invoicing for the layer above (notifications writes the e-mails; billing cannot import it).

- ``debit_returned(sender, *, debit, invoice)``: the bank returned a direct debit, the invoice is open again.
- ``invoice_reminder_due(sender, *, reminder, invoice)``: an unpaid invoice past its due date needs a reminder.
- ``tax_certificate_ready(sender, *, certificate, link)``: a tax certificate may be e-mailed to the family.
Sent inside the transaction that records the fact; receivers queue their e-mails on commit.
"""
from django.dispatch import Signal

debit_returned = Signal()
invoice_reminder_due = Signal()
tax_certificate_ready = Signal()
