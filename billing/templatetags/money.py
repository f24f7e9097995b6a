"""Template filters for amounts: {% load money %} then {{ amount|euros }}, {{ price|unit_price }}."""
from django import template

from billing.money import format_decimal, format_money, format_quantity, format_unit_price

register = template.Library()


@register.filter
def euros(value):
    """'1 234,56 €' (half-up to the cent); empty for None."""
    if value is None or value == "":
        return ""
    return format_money(value)


@register.filter
def decimal_fr(value, places=2):
    """'1 234,56' without the euro sign (table cells under a '(€)' header)."""
    if value is None or value == "":
        return ""
    return format_decimal(value, int(places))


@register.filter
def unit_price(value):
    return "" if value is None else format_unit_price(value)


@register.filter
def quantity(value):
    return "" if value is None else format_quantity(value)
