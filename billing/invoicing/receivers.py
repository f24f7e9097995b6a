"""Invoicing listens to the ledger: a payment recorded settles the family's open invoices."""
from .settlement import settlements_refresh


def on_payment_recorded(sender, *, payment, **kwargs) -> None:
    settlements_refresh(family_id=payment.family_id)
