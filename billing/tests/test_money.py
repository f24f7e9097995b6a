from decimal import Decimal

import pytest
from django.template import Context, Template

from billing.money import format_decimal, format_money, format_quantity, format_unit_price, round_money

NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.parametrize(("value", "expected"), [
    ("2.675", "2.68"), ("2.665", "2.67"), ("-0.125", "-0.13"), ("0.004", "0.00"), ("1.005", "1.01"), ("85.13", "85.13"),
])
def test_round_money_is_half_up_away_from_zero_to_the_cent(value, expected):
    assert round_money(Decimal(value)) == Decimal(expected)


def test_round_money_takes_floats_through_their_text_so_they_do_not_drift():
    assert round_money(2.675) == Decimal("2.68")  # binary 2.67499999… would give 2.67


@pytest.mark.parametrize(("value", "expected"), [
    ("1234.56", f"1{NNBSP}234,56{NBSP}€"),
    ("-85.13", f"-85,13{NBSP}€"),
    ("0", f"0,00{NBSP}€"),
    ("-0.001", f"0,00{NBSP}€"),
    ("1234567.891", f"1{NNBSP}234{NNBSP}567,89{NBSP}€"),
    ("999.995", f"1{NNBSP}000,00{NBSP}€"),
    (3, f"3,00{NBSP}€"),
])
def test_format_money_is_french(value, expected):
    assert format_money(Decimal(value) if isinstance(value, str) else value) == expected


def test_unit_prices_keep_up_to_four_decimals_and_quantities_drop_useless_zeros():
    assert format_unit_price(Decimal("0.4500")) == "0,45"
    assert format_unit_price(Decimal("0.2125")) == "0,2125"
    assert format_quantity(Decimal("7.00")) == "7"
    assert format_quantity(Decimal("1.50")) == "1,5"
    assert format_decimal(Decimal("152.07")) == "152,07"


def test_template_filters():
    html = Template("{% load money %}{{ a|euros }}|{{ a|decimal_fr }}|{{ p|unit_price }}|{{ q|quantity }}|{{ n|euros }}").render(
        Context({"a": Decimal("-1234.5"), "p": Decimal("0.45"), "q": Decimal("3"), "n": None}))
    assert html == f"-1{NNBSP}234,50{NBSP}€|-1{NNBSP}234,50|0,45|3|"
