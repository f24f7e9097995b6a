"""Reads of the history: months, a month's lines and totals, filters, query counts, Paris time."""
import datetime
from decimal import Decimal

import pytest
import time_machine

from billing.ledger import history
from billing.ledger.history import Month, Period, allowed_months, consumption_lines, payment_lines
from billing.tests.factories import ConsumptionFactory, PaymentFactory
from portal import dates

pytestmark = pytest.mark.django_db
JAN = Month(2017, 1)


def test_month_parsing_and_arithmetic():
    assert Month.parse("2017-01") == JAN
    for bad in ("2017-13", "2017-1", "janvier", "", "2017-00", "0001-01", "2017-01-01"):
        with pytest.raises(ValueError):  # noqa: PT011 (the message is the bad text itself)
            Month.parse(bad)
    assert JAN.previous() == Month(2016, 12) and Month(2016, 12).next() == JAN
    assert JAN.last_day == datetime.date(2017, 1, 31) and Month(2016, 2).last_day == datetime.date(2016, 2, 29)
    assert JAN.shifted(-13) == Month(2015, 12)
    assert JAN.label == "Janvier 2017" and Month(2017, 2).label == "Février 2017"


def test_allowed_months_default_to_the_current_and_the_previous(family):
    assert allowed_months(family.structure, today=datetime.date(2017, 2, 15)) == [Month(2017, 2), JAN]
    family.structure.history_months = 4
    assert allowed_months(family.structure, today=datetime.date(2017, 2, 15))[-1] == Month(2016, 11)


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
    assert [p.piece_number for p in payment_lines(family=january, period=Period.single(Month(2017, 2)),
                                                  query="chèque").lines] == ["2578012"]
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
        history.month_totals(family=family, month=JAN)


@time_machine.travel(datetime.datetime(2017, 1, 31, 23, 30, tzinfo=datetime.UTC), tick=False)
def test_the_current_month_follows_paris_time_not_utc(family):
    assert dates.today() == datetime.date(2017, 2, 1)
    assert allowed_months(family.structure)[0] == Month(2017, 2)
