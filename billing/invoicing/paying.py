"""How a parent pays an invoice online: providers of a "Payer" link (a POST target).

``pay_link_register(provider)`` adds a function ``provider(invoice, amount) -> url | None``;
"Payer" on *Mes factures* and "en ligne" on the PDF appear only when one answers. Registered
(billing.apps): ``online_pay_due_link``, the online payment's "pay what is owed on the wallet"
(billing.payments), for an invoice of one wallet in a structure with an active provider.
Otherwise the invoice says how to pay at the desk (and by direct debit with a mandate).
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


def online_payment_available(invoice=None) -> bool:
    if invoice is None:
        return bool(_providers)
    return pay_link(invoice=invoice, amount=invoice.total) is not None


def online_pay_due_link(invoice, amount: Decimal) -> str | None:
    """The online payment's 'Payer' (billing.payments: what is owed on one wallet, computed by the
    server), for an invoice of a single wallet when the structure has an active provider."""
    from django.urls import reverse

    from billing.models import Consumption
    from billing.payments.selectors import active_provider

    if active_provider(structure=invoice.structure) is None:
        return None
    wallets = list(Consumption.objects.filter(invoiced__invoice=invoice).values_list("wallet_id", flat=True).distinct()[:2])
    if len(wallets) != 1:
        return None
    return reverse("billing:online_pay_due", args=[wallets[0]])
