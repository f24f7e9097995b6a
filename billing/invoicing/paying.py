"""How a parent pays an invoice online: a hook the online-payment flow fills.

The online payment (billing/payments/, its own issue) registers a function
``provider(invoice, amount) -> url | None`` with ``pay_link_register``; "Payer" on *Mes
factures* and "en ligne" on the PDF appear only when one answers. Until then the invoice says
how to pay at the desk (and by direct debit when the family has a mandate).
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


def online_payment_available() -> bool:
    return bool(_providers)
