"""Signals of the ledger, for the flows beside it (invoicing settles invoices with payments).

``payment_recorded(sender, *, payment)``: a payment (or its correction) and its allocations are
saved, inside the transaction that saved them.
"""
from django.dispatch import Signal

payment_recorded = Signal()
