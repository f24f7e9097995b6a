"""TARGET business days (the euro payment system's calendar: weekends, 1 January, Good Friday,
Easter Monday, 1 May, 25 and 26 December — the ECB calendar of the ``holidays`` package)."""
from __future__ import annotations

import datetime

import holidays

from portal import dates


def is_target_business_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in holidays.financial_holidays("ECB", years=day.year)


def target_day_on_or_after(day: datetime.date) -> datetime.date:
    while not is_target_business_day(day):
        day += datetime.timedelta(days=1)
    return day


def next_target_business_day(today: datetime.date) -> datetime.date:
    return target_day_on_or_after(today + datetime.timedelta(days=1))


def invoice_debit_date(invoice) -> datetime.date:
    """The debit date printed on the invoice: its due date, on a TARGET business day."""
    return target_day_on_or_after(invoice.due_date or invoice.issued_on or dates.today())
