"""Price one booking for one family on one date, and say how the price was found.

Rounding: unit amounts keep 4 decimals (staff may enter 0.2125 € per quarter hour);
every total is rounded half-up to the cent once, at the end.
"""
import datetime
import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from billing.models import Tariff, TariffRate
from billing.money import format_decimal, round_money


class NoRateError(LookupError):
    """No rate of the tariff applies to this family on this date."""


@dataclass(frozen=True)
class Quote:
    unit_price: Decimal
    quantity: Decimal
    total: Decimal
    explanation: str


def applicable_rate(rates, *, quotient, on_date: datetime.date) -> TariffRate | None:
    """Pick the rate valid on the date whose quotient bracket holds the family's quotient.

    `rates` may be a prefetched list, so pricing a whole calendar costs no query per day.
    Families without a known quotient get the highest bracket (the structure's full price).
    """
    valid = [
        rate for rate in rates
        if rate.valid_from <= on_date and (rate.valid_until is None or on_date <= rate.valid_until)
    ]
    if quotient is None:
        valid.sort(key=lambda rate: (rate.quotient_min is not None, rate.quotient_min or 0), reverse=True)
        return valid[0] if valid else None
    for rate in sorted(valid, key=lambda rate: rate.valid_from, reverse=True):
        low_ok = rate.quotient_min is None or quotient >= rate.quotient_min
        high_ok = rate.quotient_max is None or quotient < rate.quotient_max
        if low_ok and high_ok:
            return rate
    return None


def quote(*, tariff: Tariff, quotient, on_date: datetime.date, minutes: int | None = None, rates=None) -> Quote:
    """The price of one booking. `minutes` is the time spent, for per-time-unit tariffs."""
    if rates is None:
        rates = list(tariff.rates.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on_date), valid_from__lte=on_date))
    rate = applicable_rate(rates, quotient=quotient, on_date=on_date)
    if rate is None:
        raise NoRateError(_("Aucun tarif « %(tariff)s » ne s'applique le %(date)s.") % {"tariff": tariff.name,
                                                                                        "date": on_date.strftime("%d/%m/%Y")})
    bracket = _bracket_text(rate)
    if tariff.kind == Tariff.Kind.PER_TIME_UNIT:
        unit = tariff.unit_minutes or 15
        spent = max(int(minutes or 0), 0)
        units = math.ceil(spent / unit) if spent else 0
        quantity = Decimal(units)
        explanation = _("%(units)s × %(unit)s min commencées à %(amount)s €%(bracket)s") % {
            "units": units, "unit": unit, "amount": _format(rate.amount), "bracket": bracket,
        }
    else:
        quantity = Decimal(1)
        explanation = _("forfait de %(amount)s €%(bracket)s") % {"amount": _format(rate.amount), "bracket": bracket}
    return Quote(unit_price=rate.amount, quantity=quantity, total=round_money(rate.amount * quantity), explanation=explanation)


def _bracket_text(rate: TariffRate) -> str:
    if rate.quotient_min is None and rate.quotient_max is None:
        return ""
    if rate.quotient_max is None:
        return _(" (quotient familial à partir de %(low)s)") % {"low": _format(rate.quotient_min or Decimal(0), places=0)}
    return _(" (quotient familial de %(low)s à %(high)s)") % {
        "low": _format(rate.quotient_min or Decimal(0), places=0), "high": _format(rate.quotient_max, places=0),
    }


def _format(value: Decimal, places: int = 2) -> str:
    """'3,59', '1200': the amounts and quotients written inside an explanation."""
    return format_decimal(value, places, grouping=False)
