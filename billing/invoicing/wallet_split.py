"""What is left to pay on an invoice, wallet by wallet: how one payment of it is allocated.

An invoice holds the lines of all the family's invoiced wallets for the month (canteen and
after-school care, say), while the ledger keeps a balance per wallet. A payment of what is
left on the invoice is therefore split so that each wallet gets what is left due on it:

1. **Due per wallet**: the sum of the invoice's consumption lines charged to that wallet
   (``InvoicedConsumption``); these add up to the invoice's total, which is their sum.
2. **Covered per wallet**: each settlement of the invoice (oldest payment first) covers the
   wallets its payment was allocated to first, each up to what the payment brought to it
   (net of corrections) and what is still due on it; what is left of the settlement covers the
   invoice's other wallets in their display order. A desk payment of the canteen part thus
   leaves the after-school care part to pay, whatever wallet came first.
3. **Left per wallet** = due − covered, never below zero.
4. **Fitted to the amount, in cents**: the parts must add up exactly to the amount paid (what
   is left on the invoice). Normally the lefts add up to it already and are the parts. When
   they do not (a wallet whose lines are negative this month, a correction of a past month),
   the amount is spread in proportion to the lefts by the largest-remainder rule: each part is
   rounded down to the cent, then the cents still missing go one each to the largest
   remainders (ties: display order). Wallets with nothing get no part.

The split is computed once, when the online payment starts, and written with the attempt
(billing.payments.models.AttemptAllocation); a direct debit of what is left on an invoice
(sepa.debit_batch_create) is allocated by the same rule.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_FLOOR, Decimal

from django.db.models import Sum

from billing.models import Consumption, PaymentAllocation, Wallet

from .models import Invoice, InvoiceSettlement

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def invoice_dues_per_wallet(invoice: Invoice) -> dict[Wallet, Decimal]:
    """Step 1: the invoice's lines per wallet, in the wallets' display order. One query."""
    totals = dict(Consumption.objects.filter(invoiced__invoice=invoice).values("wallet_id")
                  .annotate(total=Sum("total")).values_list("wallet_id", "total"))
    return {wallet: totals[wallet.pk] for wallet in Wallet.objects.filter(pk__in=list(totals)).order_by("position", "name", "pk")}


def _payment_parts(payment_ids: list[int], wallet_ids: list[int]) -> dict[int, dict[int, Decimal]]:
    """Per payment, what it brought to each of these wallets, net of its corrections."""
    rows = (PaymentAllocation.objects.filter(wallet_id__in=wallet_ids, payment_id__in=payment_ids)
            .values_list("payment_id", "wallet_id", "amount"))
    corrections = (PaymentAllocation.objects.filter(wallet_id__in=wallet_ids, payment__correction_of_id__in=payment_ids)
                   .values_list("payment__correction_of_id", "wallet_id", "amount"))
    parts: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for payment_id, wallet_id, amount in [*rows, *corrections]:
        if payment_id is not None:
            parts[payment_id][wallet_id] += amount
    return parts


def invoice_left_per_wallet(invoice: Invoice, dues: dict[Wallet, Decimal] | None = None) -> dict[Wallet, Decimal]:
    """Steps 2 and 3: what is still due on the invoice for each of its wallets."""
    dues = invoice_dues_per_wallet(invoice) if dues is None else dues
    order = [wallet.pk for wallet in dues]
    open_ = {wallet.pk: max(due, ZERO) for wallet, due in dues.items()}
    settlements = list(InvoiceSettlement.objects.filter(invoice=invoice).order_by("payment__date", "payment_id")
                       .values_list("payment_id", "amount"))
    brought = _payment_parts([payment_id for payment_id, _amount in settlements], order)
    for payment_id, amount in settlements:
        rest = amount
        # First the wallets this payment credited (up to what it brought each), then any.
        preferred = [(pk, brought[payment_id][pk]) for pk in order if brought[payment_id][pk] > 0]
        for pk, limit in [*preferred, *[(pk, amount) for pk in order]]:
            take = min(rest, limit, open_[pk])
            if take > 0:
                open_[pk] -= take
                rest -= take
    return {wallet: open_[wallet.pk] for wallet in dues}


def split_in_cents(lefts: dict, amount: Decimal) -> list[tuple]:
    """Step 4: ``amount`` over the keys of ``lefts`` (in their order), adding up exactly."""
    amount = amount.quantize(CENT)
    positive = {key: left for key, left in lefts.items() if left > 0}
    total = sum(positive.values(), ZERO)
    if total == amount:
        return list(positive.items())
    if amount <= 0 or not lefts:
        return []
    if total <= 0:  # nothing left anywhere but something to pay: the first wallet takes it
        return [(next(iter(lefts)), amount)]
    floors, remainders = {}, []
    for index, (key, left) in enumerate(positive.items()):
        exact = amount * left / total
        floors[key] = exact.quantize(CENT, rounding=ROUND_FLOOR)
        remainders.append((floors[key] - exact, index, key))  # most negative = largest remainder first
    missing = int((amount - sum(floors.values(), ZERO)) / CENT)
    for _remainder, _index, key in sorted(remainders)[:missing]:
        floors[key] += CENT
    return [(key, part) for key, part in floors.items() if part > 0]


def invoice_payment_split(invoice: Invoice, amount: Decimal) -> list[tuple[Wallet, Decimal]]:
    """[(wallet, part)] of a payment of ``amount`` (what is left on ``invoice``): the module's rule."""
    return split_in_cents(invoice_left_per_wallet(invoice), amount)
