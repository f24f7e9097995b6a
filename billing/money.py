"""Money: Decimal amounts, rounded half-up to the cent, shown the French way.

Rounding rule (the only one in the portal): an amount is rounded once, half-up, to two
decimals (0.005 → 0.01, -0.005 → -0.01: half-up means "away from zero" for Decimal's
ROUND_HALF_UP). Unit prices keep up to 4 decimals in the database; totals never do.

Display: thousands grouped with a narrow no-break space (U+202F), a decimal comma, and a
no-break space (U+00A0) before the euro sign: "1 234,56 €", "-85,13 €". The spaces never
break, so an amount never wraps across two lines.
"""
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
THOUSANDS_SEPARATOR = "\u202f"
EURO_SUFFIX = "\u00a0€"


def to_decimal(value) -> Decimal:
    """Decimal from a Decimal, int or string; floats go through str() so 0.1 stays 0.1."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    if value is None or value == "":
        return Decimal(0)
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"Montant invalide : {value!r}") from None


def round_money(value) -> Decimal:
    """Round half-up (away from zero on ties) to the cent: 2.675 → 2.68, -0.125 → -0.13."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_decimal(value, places: int = 2, *, grouping: bool = True) -> str:
    """'1 234,56' — half-up rounded to `places`, French separators, no currency."""
    number = to_decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if number == 0:
        number = abs(number)  # never show "-0,00"
    sign = "-" if number < 0 else ""
    text = f"{abs(number):f}"
    whole, _, fraction = text.partition(".")
    if grouping:
        groups: list[str] = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        groups.insert(0, whole)
        whole = THOUSANDS_SEPARATOR.join(groups)
    return f"{sign}{whole},{fraction}" if fraction else f"{sign}{whole}"


def format_money(value) -> str:
    """'1 234,56 €', '-85,13 €' — rounded half-up to the cent."""
    return format_decimal(value, 2) + EURO_SUFFIX


def format_unit_price(value) -> str:
    """A unit price: 2 decimals, or up to 4 when the rate has them ('0,2125')."""
    number = to_decimal(value)
    if number == number.quantize(CENT):
        return format_decimal(number, 2)
    return format_decimal(number.normalize(), min(_decimals(number), 4))


def format_quantity(value) -> str:
    """'7', '1,5': a quantity without useless zeros."""
    number = to_decimal(value)
    if number == number.to_integral_value():
        return format_decimal(number, 0)
    return format_decimal(number.normalize(), min(_decimals(number), 2))


def _decimals(number: Decimal) -> int:
    """How many decimals a finite number needs: 0.2125 → 4, 1.50 → 1."""
    exponent = number.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0
