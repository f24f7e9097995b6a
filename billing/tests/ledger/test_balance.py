"""Reads of the balance: per wallet from the ledger, estimates of what is booked."""
import datetime
from decimal import Decimal

import pytest

from billing.ledger import balance
from billing.ledger.balance import balance_summary, wallet_balances
from billing.tests.conftest import invoiced
from billing.tests.factories import ConsumptionFactory, PaymentAllocationFactory, PaymentFactory

pytestmark = pytest.mark.django_db


def test_balances_are_allocations_minus_consumptions_per_wallet(january, wallets, stranger):
    balances = {row.wallet.name: row.balance for row in wallet_balances(family=january)}
    # Restauration 100 − 4.62; Périscolaire 50 − (3.15 + 0.81 + 4.50); Loisirs 50 − 0; the stranger's lines don't count.
    assert balances == {"Accueil de Loisirs": Decimal("50.00"), "Accueil Périscolaire": Decimal("41.54"),
                        "Restauration": Decimal("95.38")}


def test_balance_summary_like_the_guide(family, wallets):
    emmy = family.children.get()
    ConsumptionFactory(family=family, child=emmy, wallet=wallets["periscolaire"], unit_price=Decimal("13.53"))
    ConsumptionFactory(family=family, child=emmy, wallet=wallets["restauration"], unit_price=Decimal("71.60"))
    summary = balance_summary(family=family, until=datetime.date(2017, 2, 28))
    assert [row.balance for row in summary.wallets] == [Decimal("0.00"), Decimal("-13.53"), Decimal("-71.60")]
    assert summary.amount_due == Decimal("85.13")
    assert summary.reservations_amount == Decimal("0.00")
    assert summary.estimated_balance == Decimal("-85.13")


def test_balances_cost_one_query_whatever_the_number_of_wallets_and_lines(family, wallets, django_assert_num_queries):
    for _ in range(20):
        ConsumptionFactory(family=family, child=family.children.get(), wallet=wallets["restauration"])
    with django_assert_num_queries(1):
        wallet_balances(family=family)


@pytest.fixture
def provider(wallets):
    calls = []

    def estimate(*, family, until, include_confirmed, include_pending):
        calls.append((family.pk, until, include_confirmed, include_pending))
        amount = Decimal("10.00") if include_confirmed else Decimal(0)
        amount += Decimal("2.505") if include_pending else Decimal(0)
        return {wallets["restauration"].pk: amount, wallets["periscolaire"].pk: Decimal("1.00")}

    balance.register_estimate_provider(estimate)
    balance.register_estimate_provider(estimate)  # twice is a no-op
    yield calls
    balance.unregister_estimate_provider(estimate)


def test_estimate_providers_are_summed_for_prepaid_wallets_only(family, wallets, provider):
    invoiced(wallets["periscolaire"])
    until = datetime.date(2017, 2, 28)
    summary = balance_summary(family=family, until=until, include_confirmed=True, include_pending=True)
    rows = {row.wallet.name: (row.estimated, row.new_balance) for row in summary.wallets}
    assert rows["Restauration"] == (Decimal("12.51"), Decimal("-12.51"))   # 12.505 half-up
    assert rows["Accueil Périscolaire"] == (Decimal("0.00"), Decimal("0.00"))  # invoiced: always 0
    assert summary.reservations_amount == Decimal("12.51") and summary.estimated_balance == Decimal("-12.51")
    assert summary.has_invoiced
    assert provider == [(family.pk, until, True, True)]


def test_no_kind_of_reservation_chosen_asks_no_provider(family, wallets, provider):
    summary = balance_summary(family=family, until=datetime.date(2017, 2, 28), include_confirmed=False, include_pending=False)
    assert summary.reservations_amount == Decimal("0.00") and provider == []


def test_payment_allocations_count_only_for_the_familys_wallets(family, wallets):
    payment = PaymentFactory(family=family, amount=Decimal("30.00"))
    PaymentAllocationFactory(payment=payment, wallet=wallets["loisirs"], amount=Decimal("30.00"))
    assert {r.wallet.name: r.balance for r in wallet_balances(family=family)}["Accueil de Loisirs"] == Decimal("30.00")


def test_a_failing_provider_does_not_take_the_balance_down(family, wallets, provider):
    def broken(**kwargs):
        raise RuntimeError("reservations database unreachable")

    balance.register_estimate_provider(broken)
    try:
        summary = balance_summary(family=family, until=datetime.date(2017, 2, 28), include_confirmed=True)
    finally:
        balance.unregister_estimate_provider(broken)
    assert summary.estimate_unavailable
    # The other providers still count.
    assert {row.wallet.name: row.estimated for row in summary.wallets}["Restauration"] == Decimal("10.00")
