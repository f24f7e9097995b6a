import datetime
from decimal import Decimal

import pytest

from billing.ledger.pricing import NoRateError, quote
from billing.models import Tariff
from billing.tests.factories import TariffFactory, TariffRateFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 11, 16)


@pytest.fixture
def canteen():
    tariff = TariffFactory(name="Restauration Scolaire")
    for low, high, amount in ((None, 700, "3.76"), (700, 1200, "4.20"), (1200, None, "4.62")):
        TariffRateFactory(tariff=tariff, valid_from=datetime.date(2026, 9, 1), quotient_min=low, quotient_max=high,
                          amount=Decimal(amount))
    return tariff


def test_flat_rate_without_bracket():
    tariff = TariffFactory(name="Gouter")
    TariffRateFactory(tariff=tariff, amount=Decimal("0.81"))
    result = quote(tariff=tariff, quotient=Decimal(620), on_date=DAY)
    assert (result.unit_price, result.quantity, result.total) == (Decimal("0.81"), 1, Decimal("0.81"))
    assert "forfait de 0,81 €" in result.explanation


@pytest.mark.parametrize(("quotient", "expected"), [
    (Decimal(0), "3.76"), (Decimal("699.99"), "3.76"), (Decimal(700), "4.20"), (Decimal("1199.99"), "4.20"),
    (Decimal(1200), "4.62"),
])
def test_quotient_brackets_include_the_low_bound_and_exclude_the_high_one(canteen, quotient, expected):
    assert quote(tariff=canteen, quotient=quotient, on_date=DAY).total == Decimal(expected)


def test_an_unknown_quotient_pays_the_highest_bracket(canteen):
    result = quote(tariff=canteen, quotient=None, on_date=DAY)
    assert result.total == Decimal("4.62")
    assert "à partir de 1200" in result.explanation


def test_per_time_unit_counts_started_quarter_hours_and_rounds_the_total_once():
    tariff = TariffFactory(name="Garderie", kind=Tariff.Kind.PER_TIME_UNIT, unit_minutes=15)
    TariffRateFactory(tariff=tariff, amount=Decimal("0.2125"))
    assert quote(tariff=tariff, quotient=None, on_date=DAY, minutes=60).quantity == 4
    result = quote(tariff=tariff, quotient=None, on_date=DAY, minutes=61)  # 5 started quarters
    assert (result.quantity, result.total) == (5, Decimal("1.06"))         # 1.0625 → 1.06
    assert quote(tariff=tariff, quotient=None, on_date=DAY, minutes=105).total == Decimal("1.49")  # 7 × 0.2125 = 1.4875
    assert quote(tariff=tariff, quotient=None, on_date=DAY, minutes=0).total == Decimal("0.00")
    assert "5 × 15 min commencées" in result.explanation


def test_validity_dates_choose_the_rate_of_the_day():
    tariff = TariffFactory()
    TariffRateFactory(tariff=tariff, valid_from=datetime.date(2016, 9, 1), valid_until=datetime.date(2017, 8, 31),
                      amount=Decimal("4.62"))
    TariffRateFactory(tariff=tariff, valid_from=datetime.date(2017, 9, 1), amount=Decimal("4.80"))
    assert quote(tariff=tariff, quotient=Decimal(800), on_date=datetime.date(2017, 8, 31)).total == Decimal("4.62")
    assert quote(tariff=tariff, quotient=Decimal(800), on_date=datetime.date(2017, 9, 1)).total == Decimal("4.80")


def test_no_rate_raises_no_rate_error_with_a_french_message(canteen):
    with pytest.raises(NoRateError, match="Aucun tarif « Restauration Scolaire » ne s'applique le 31/08/2026"):
        quote(tariff=canteen, quotient=Decimal(800), on_date=datetime.date(2026, 8, 31))


def test_prefetched_rates_price_without_a_query(canteen, django_assert_num_queries):
    rates = list(canteen.rates.all())
    with django_assert_num_queries(0):
        assert quote(tariff=canteen, quotient=Decimal(800), on_date=DAY, rates=rates).total == Decimal("4.20")
