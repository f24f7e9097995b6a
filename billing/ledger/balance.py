"""Reads of a family's balance: per wallet, derived from the ledger, and the estimate of
what its reservations will cost ("Consulter votre solde", DESIGN §7).

Billing cannot import the apps above it: reservations registers an estimate provider
(register_estimate_provider) from its AppConfig.ready().
"""
from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from billing.models import Consumption, PaymentAllocation, Wallet
from billing.money import round_money

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")


# --- Balances ---------------------------------------------------------------------------

@dataclass
class WalletBalance:
    wallet: Wallet
    balance: Decimal
    estimated: Decimal = ZERO

    @property
    def new_balance(self) -> Decimal:
        return round_money(self.balance - self.estimated)


def _sum_subquery(queryset, field_name: str):
    """SUM(field) of a queryset correlated on the wallet, 0 when it has no rows."""
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=12, decimal_places=2)
    summed = queryset.order_by().values("wallet").annotate(s=Sum(field_name)).values("s")
    return Coalesce(Subquery(summed, output_field=money), Value(ZERO), output_field=money)


def wallet_balances(*, family) -> list[WalletBalance]:
    """Per wallet of the family's structure: allocations − consumptions. One query.

    Negative means the family owes money. Derived from the ledger every time: nothing
    stores a balance that could drift from the lines.
    """
    allocated = PaymentAllocation.objects.filter(wallet=OuterRef("pk"), payment__family=family)
    consumed = Consumption.objects.filter(wallet=OuterRef("pk"), family=family)
    wallets = Wallet.objects.filter(structure_id=family.structure_id).annotate(
        allocated=_sum_subquery(allocated, "amount"), consumed=_sum_subquery(consumed, "total"),
    ).order_by("position", "name")
    return [WalletBalance(wallet=w, balance=round_money(w.allocated - w.consumed)) for w in wallets]


# --- Estimates of future reservations (filled by apps above billing) --------------------

EstimateProvider = Callable[..., dict]
_estimate_providers: list[EstimateProvider] = []


def register_estimate_provider(provider: EstimateProvider) -> EstimateProvider:
    """Apps above billing (reservations) tell the balance page what is booked.

    `provider(*, family, until: date, include_confirmed: bool, include_pending: bool)`
    returns {wallet_id: Decimal}. Registering the same function twice is a no-op, so a
    provider may register itself from AppConfig.ready(). Returns the provider (usable
    as a decorator).
    """
    if provider not in _estimate_providers:
        _estimate_providers.append(provider)
    return provider


def unregister_estimate_provider(provider: EstimateProvider) -> None:
    if provider in _estimate_providers:
        _estimate_providers.remove(provider)


class EstimateUnavailable(Exception):
    """A provider failed; the balance page still shows the balances and says so.

    ``totals`` are what the other providers estimated."""

    def __init__(self, totals: dict[int, Decimal]):
        super().__init__("an estimate provider failed")
        self.totals = totals


def estimated_costs(*, family, until: datetime.date, include_confirmed: bool, include_pending: bool) -> dict[int, Decimal]:
    """Sum of what every registered provider estimates, per wallet id.

    A provider that fails is logged and raises EstimateUnavailable once the others
    have answered (with their partial totals attached as `.totals`).
    """
    totals: dict[int, Decimal] = {}
    if not (include_confirmed or include_pending):
        return totals
    failed = False
    for provider in list(_estimate_providers):
        try:
            result = provider(family=family, until=until, include_confirmed=include_confirmed,
                              include_pending=include_pending) or {}
        except Exception:  # a broken provider must not take the balance page down
            logger.exception("estimate provider %r failed", provider)
            failed = True
            continue
        for wallet_id, amount in result.items():
            totals[wallet_id] = totals.get(wallet_id, ZERO) + Decimal(amount)
    if failed:
        raise EstimateUnavailable(totals)
    return totals


@dataclass
class BalanceSummary:
    wallets: list[WalletBalance]
    amount_due: Decimal
    reservations_amount: Decimal
    estimated_balance: Decimal
    has_invoiced: bool
    estimate_unavailable: bool = False


def balance_summary(*, family, until: datetime.date, include_confirmed: bool = True,
                    include_pending: bool = False) -> BalanceSummary:
    """The 'Consulter votre solde' page: balances, estimated costs for prepaid wallets.

    Invoiced wallets always estimate 0 (the family receives an invoice for them).
    Montant dû = what the negative balances add up to (0 when nothing is owed);
    Solde estimé = sum of balances − reservations.
    """
    wallets = wallet_balances(family=family)
    unavailable = False
    try:
        estimates = estimated_costs(family=family, until=until, include_confirmed=include_confirmed,
                                    include_pending=include_pending)
    except EstimateUnavailable as error:
        estimates, unavailable = error.totals, True
    for row in wallets:
        row.estimated = round_money(estimates.get(row.wallet.pk, ZERO)) if row.wallet.is_prepaid else ZERO
    total_balance = sum((row.balance for row in wallets), ZERO)
    reservations = round_money(sum((row.estimated for row in wallets), ZERO))
    due = round_money(-sum((row.balance for row in wallets if row.balance < 0), ZERO))
    return BalanceSummary(
        wallets=wallets,
        amount_due=due,
        reservations_amount=reservations,
        estimated_balance=round_money(total_balance - reservations),
        has_invoiced=any(not row.wallet.is_prepaid for row in wallets),
        estimate_unavailable=unavailable,
    )
