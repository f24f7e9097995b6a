import datetime
from decimal import Decimal

import pytest
import time_machine

from billing import selectors
from portal import dates
from billing.selectors import Month, Period, allowed_months, balance_summary, consumption_lines, payment_lines, wallet_balances
from billing.tests.conftest import invoiced
from billing.tests.factories import ConsumptionFactory, PaymentAllocationFactory, PaymentFactory

pytestmark = pytest.mark.django_db
JAN = Month(2017, 1)


def test_month_parsing_and_arithmetic():
    assert Month.parse("2017-01") == JAN
    for bad in ("2017-13", "2017-1", "janvier", "", "2017-00", "0001-01", "2017-01-01"):
        with pytest.raises(ValueError):
            Month.parse(bad)
    assert JAN.previous() == Month(2016, 12) and Month(2016, 12).next() == JAN
    assert JAN.last_day == datetime.date(2017, 1, 31) and Month(2016, 2).last_day == datetime.date(2016, 2, 29)
    assert JAN.shifted(-13) == Month(2015, 12)
    assert JAN.label == "Janvier 2017" and Month(2017, 2).label == "Février 2017"


def test_allowed_months_default_to_the_current_and_the_previous(family):
    assert allowed_months(family.structure, today=datetime.date(2017, 2, 15)) == [Month(2017, 2), JAN]
    family.structure.history_months = 4
    assert allowed_months(family.structure, today=datetime.date(2017, 2, 15))[-1] == Month(2016, 11)


def test_balances_are_allocations_minus_consumptions_per_wallet(january, wallets, stranger):
    balances = {row.wallet.name: row.balance for row in wallet_balances(family=january)}
    # Restauration 100 − 4.62; Périscolaire 50 − (3.15 + 0.81 + 4.50); Loisirs 50 − 0; the stranger's lines don't count.
    assert balances == {"Accueil de Loisirs": Decimal("50.00"), "Accueil Périscolaire": Decimal("41.54"), "Restauration": Decimal("95.38")}


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


def test_month_lines_newest_first_with_the_total_of_what_is_shown(january):
    data = consumption_lines(family=january, month=JAN)
    assert [line.day.day for line in data.lines] == [31, 31, 30, 26]
    assert data.total == Decimal("13.08")
    payments = payment_lines(family=january, period=Period.single(JAN))
    assert [p.piece_number for p in payments.lines] == ["3150-N°AUTO:445401"] and payments.total == Decimal("150.00")
    assert payment_lines(family=january, period=Period.single(Month(2017, 2))).total == Decimal("50.00")


def test_filter_every_word_on_child_activity_or_wallet_case_insensitive(january):
    assert consumption_lines(family=january, month=JAN, query="garderie").total == Decimal("7.65")
    assert consumption_lines(family=january, month=JAN, query="EMMY gouter").total == Decimal("0.81")
    assert consumption_lines(family=january, month=JAN, query="restauration").total == Decimal("4.62")
    assert consumption_lines(family=january, month=JAN, query="piscine").lines == []
    assert [p.piece_number for p in payment_lines(family=january, period=Period.single(Month(2017, 2)), query="chèque").lines] == ["2578012"]
    assert payment_lines(family=january, period=Period.single(JAN), query="agricole").lines == []


def test_another_familys_lines_are_never_returned(january, stranger):
    shown = consumption_lines(family=january, month=JAN).lines + payment_lines(family=january, period=Period.single(JAN)).lines
    assert all(line.family_id == january.pk for line in shown)
    assert consumption_lines(family=january, month=JAN, query="Confidentiel").lines == []


@pytest.mark.parametrize("count", [5, 50])
def test_month_lines_cost_one_query_whatever_their_number(family, wallets, count, django_assert_num_queries):
    emmy = family.children.get()
    for index in range(count):
        ConsumptionFactory(family=family, child=emmy, wallet=wallets["restauration"], day=datetime.date(2017, 1, 1 + index % 28))
        PaymentFactory(family=family, date=datetime.date(2017, 1, 1 + index % 28))
    with django_assert_num_queries(2):
        assert len(consumption_lines(family=family, month=JAN, query="restauration emmy").lines) == count
        assert len(payment_lines(family=family, period=Period.single(JAN)).lines) == count
    with django_assert_num_queries(2):
        selectors.month_totals(family=family, month=JAN)


@pytest.fixture
def provider(wallets):
    calls = []

    def estimate(*, family, until, include_confirmed, include_pending):
        calls.append((family.pk, until, include_confirmed, include_pending))
        amount = Decimal("10.00") if include_confirmed else Decimal(0)
        amount += Decimal("2.505") if include_pending else Decimal(0)
        return {wallets["restauration"].pk: amount, wallets["periscolaire"].pk: Decimal("1.00")}

    selectors.register_estimate_provider(estimate)
    selectors.register_estimate_provider(estimate)  # twice is a no-op
    yield calls
    selectors.unregister_estimate_provider(estimate)


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


@time_machine.travel(datetime.datetime(2017, 1, 31, 23, 30, tzinfo=datetime.timezone.utc), tick=False)
def test_the_current_month_follows_paris_time_not_utc(family):
    assert dates.today() == datetime.date(2017, 2, 1)
    assert allowed_months(family.structure)[0] == Month(2017, 2)


def test_payment_allocations_count_only_for_the_familys_wallets(family, wallets):
    payment = PaymentFactory(family=family, amount=Decimal("30.00"))
    PaymentAllocationFactory(payment=payment, wallet=wallets["loisirs"], amount=Decimal("30.00"))
    assert {r.wallet.name: r.balance for r in wallet_balances(family=family)}["Accueil de Loisirs"] == Decimal("30.00")


def test_a_failing_provider_does_not_take_the_balance_down(family, wallets, provider):
    def broken(**kwargs):
        raise RuntimeError("reservations database unreachable")

    selectors.register_estimate_provider(broken)
    try:
        summary = balance_summary(family=family, until=datetime.date(2017, 2, 28), include_confirmed=True)
    finally:
        selectors.unregister_estimate_provider(broken)
    assert summary.estimate_unavailable
    assert {row.wallet.name: row.estimated for row in summary.wallets}["Restauration"] == Decimal("10.00")  # the others still count
