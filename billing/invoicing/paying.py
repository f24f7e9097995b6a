"""How a parent pays an invoice online: providers of a "Payer" link (a POST target).

``pay_link_register(provider)`` adds a function ``provider(invoice, amount) -> url | None``;
"Payer" on *Mes factures* and "en ligne" on the PDF appear only when one answers, for an
invoice with something left to pay (``invoice_pay_link``). Registered (billing.apps):
``online.online_pay_invoice_link``, the online payment of that one invoice (billing.payments),
when the structure has a usable provider. Otherwise the invoice says how to pay at the desk
(and by direct debit with a mandate).
"""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

_providers: list[Callable] = []


def pay_link_register(provider: Callable) -> None:
    if provider not in _providers:
        _providers.append(provider)


def pay_link(*, invoice, amount: Decimal) -> str | None:
    for provider in _providers:
        url = provider(invoice, amount)
        if url:
            return url
    return None


def invoice_pay_link(row) -> str | None:
    """'Payer' for one row of selectors.invoice_rows: only while something is left to pay on it."""
    if not row.is_open or row.left <= 0:
        return None
    return pay_link(invoice=row.invoice, amount=row.left)
