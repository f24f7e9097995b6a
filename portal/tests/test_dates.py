"""The shared date helpers: Paris's today, whole months, day names."""
import datetime

import time_machine
from django.utils import translation

from portal import dates

UTC = datetime.UTC


@time_machine.travel(datetime.datetime(2026, 12, 31, 23, 30, tzinfo=UTC), tick=False)
def test_today_is_the_date_in_paris_not_in_utc():
    assert dates.today() == datetime.date(2027, 1, 1)
    summer_evening = datetime.datetime(2026, 7, 14, 22, 30, tzinfo=UTC)   # 00:30 in Paris (UTC+2)
    assert dates.today(summer_evening) == datetime.date(2026, 7, 15)


def test_months_are_counted_across_years_both_ways():
    assert dates.add_months(datetime.date(2026, 11, 26), 2) == datetime.date(2027, 1, 1)
    assert dates.add_months(datetime.date(2026, 1, 31), -1) == datetime.date(2025, 12, 1)
    assert dates.add_months(datetime.date(2026, 3, 15), -27) == datetime.date(2023, 12, 1)
    assert dates.month_end(datetime.date(2028, 2, 3)) == datetime.date(2028, 2, 29)
    assert dates.month_end(datetime.date(2026, 12, 31)) == datetime.date(2026, 12, 31)


def test_day_and_month_names_follow_the_language():
    with translation.override("fr"):
        assert [str(label) for _number, label in dates.weekday_choices(capitalised=True)][:2] == ["Lundi", "Mardi"]
        assert dates.month_label(2017, 1) == "Janvier 2017"
    with translation.override("en"):
        assert str(dates.weekday_choices()[6][1]).lower() == "sunday"
        assert dates.month_label(2017, 8) == "August 2017"
